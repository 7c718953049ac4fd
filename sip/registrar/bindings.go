package registrar

import (
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Binding is one registered contact of an extension (the address of
// record is the extension).
type Binding struct {
	AccountID   int64
	ExtensionID int64
	// Contact is the contact URI as the device registered it.
	Contact string
	Expires time.Time
	// Source is the ip:port the REGISTER came from and Transport its
	// transport (UDP, TCP, WS, ...): requests to a Browser binding must go
	// there, its contact host is not resolvable.
	Source    string
	Transport string
	// Browser is set when the contact host ends in ".invalid" (a WebRTC
	// client such as JsSIP).
	Browser   bool
	CallID    string
	CSeq      uint32
	UserAgent string
}

// Change reports that the contacts of an extension changed: a contact was
// added or removed, or expired. It carries the state after the change, so
// a consumer that missed one still ends up right.
type Change struct {
	AccountID   int64
	ExtensionID int64
	Registered  bool
	Contacts    int
	// Softphone and Browser tell which kinds of device are registered
	// now: any SIP device but a browser page, and a browser page.
	Softphone, Browser bool
}

type aor struct{ account, ext int64 }

// changeBuffer is the room of each watcher's channel; a watcher that
// falls that far behind misses changes (logged), not blocks the
// registrar.
const changeBuffer = 64

// table holds the bindings of every extension in memory.
type table struct {
	log *slog.Logger

	mu       sync.Mutex
	aors     map[aor][]Binding
	watchers map[*chan Change]struct{}
	wake     chan struct{} // a binding was added: re-arm the expiry timer
}

func newTable(log *slog.Logger) *table {
	return &table{log: log, aors: map[aor][]Binding{}, watchers: map[*chan Change]struct{}{}, wake: make(chan struct{}, 1)}
}

// contacts returns the unexpired bindings of k at now.
func (t *table) contacts(k aor, now time.Time) []Binding {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Binding
	for _, b := range t.aors[k] {
		if b.Expires.After(now) {
			out = append(out, b)
		}
	}
	return out
}

// contactReq is one Contact of a REGISTER.
type contactReq struct {
	uri     string
	host    string
	expires time.Duration // 0 removes
}

// update is what one REGISTER asks of the bindings of an AOR.
type update struct {
	wildcard bool // "Contact: *" with Expires: 0
	contacts []contactReq
	template Binding // source, transport, call, user agent
	max      int
}

// Outcomes of apply besides success.
type applyResult int

const (
	applied applyResult = iota
	outOfOrder
	tooMany
)

// apply changes the bindings of k as u asks (RFC 3261 10.3 steps 6 to 8)
// and returns the bindings after it; nothing changes unless all of u is
// accepted.
func (t *table) apply(k aor, now time.Time, u update) ([]Binding, applyResult) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.aors[k]
	next := make([]Binding, 0, len(old)+len(u.contacts))
	for _, b := range old {
		if b.Expires.After(now) && !u.wildcard {
			next = append(next, b)
		}
	}
	added := false
	for _, c := range u.contacts {
		i := slices.IndexFunc(next, func(b Binding) bool { return b.Contact == c.uri })
		if i >= 0 && next[i].CallID == u.template.CallID && u.template.CSeq <= next[i].CSeq {
			return nil, outOfOrder
		}
		if c.expires == 0 {
			if i >= 0 {
				next = slices.Delete(next, i, i+1)
			}
			continue
		}
		b := u.template
		b.Contact, b.Expires = c.uri, now.Add(c.expires)
		b.Browser = strings.HasSuffix(strings.ToLower(c.host), ".invalid")
		if i >= 0 {
			next[i] = b
			continue
		}
		next = append(next, b)
		added = true
	}
	if len(next) > u.max {
		return nil, tooMany
	}
	if len(next) == 0 {
		delete(t.aors, k)
	} else {
		t.aors[k] = next
	}
	if !sameContacts(old, next, now) {
		t.notify(k, next)
	}
	if added {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
	return slices.Clone(next), applied
}

// expire removes the bindings expired at now and returns the earliest
// expiry left (zero if none).
func (t *table) expire(now time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	var next time.Time
	for k, bs := range t.aors {
		keep := slices.DeleteFunc(slices.Clone(bs), func(b Binding) bool { return !b.Expires.After(now) })
		if len(keep) != len(bs) {
			if len(keep) == 0 {
				delete(t.aors, k)
			} else {
				t.aors[k] = keep
			}
			t.notify(k, keep)
		}
		for _, b := range keep {
			if next.IsZero() || b.Expires.Before(next) {
				next = b.Expires
			}
		}
	}
	return next
}

// notify tells every watcher; t.mu is held, so changes arrive in order.
func (t *table) notify(k aor, bs []Binding) {
	c := Change{AccountID: k.account, ExtensionID: k.ext, Registered: len(bs) > 0, Contacts: len(bs)}
	c.Softphone, c.Browser = kinds(bs)
	for ch := range t.watchers {
		select {
		case *ch <- c:
		default:
			t.log.Warn("sip registration watcher too slow; change dropped", "account", k.account, "ext", k.ext)
		}
	}
}

func (t *table) watch() (<-chan Change, func()) {
	ch := make(chan Change, changeBuffer)
	t.mu.Lock()
	t.watchers[&ch] = struct{}{}
	t.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			t.mu.Lock()
			delete(t.watchers, &ch)
			close(ch) // notify sends under t.mu, so never after this
			t.mu.Unlock()
		})
	}
}

// sameContacts reports whether the unexpired contacts of a and b are the
// same set (a refresh changes nothing a watcher cares about).
func sameContacts(a, b []Binding, now time.Time) bool {
	set := func(bs []Binding) []string {
		var s []string
		for _, x := range bs {
			if x.Expires.After(now) {
				// A contact that registers again from another connection
				// (a page reloaded) is a change too.
				s = append(s, x.Contact+" "+x.Transport+" "+x.Source)
			}
		}
		slices.Sort(s)
		return s
	}
	return slices.Equal(set(a), set(b))
}

// all returns every unexpired binding at now.
func (t *table) all(now time.Time) []Binding {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Binding
	for _, bs := range t.aors {
		for _, b := range bs {
			if b.Expires.After(now) {
				out = append(out, b)
			}
		}
	}
	return out
}

// remove deletes the bindings of k that match and reports whether one
// was; watchers are told.
func (t *table) remove(k aor, match func(Binding) bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	bs := t.aors[k]
	keep := slices.DeleteFunc(slices.Clone(bs), match)
	if len(keep) == len(bs) {
		return false
	}
	if len(keep) == 0 {
		delete(t.aors, k)
	} else {
		t.aors[k] = keep
	}
	t.notify(k, keep)
	return true
}

// kinds tells whether bs hold a softphone (any device but a browser) and
// a browser page.
func kinds(bs []Binding) (softphone, browser bool) {
	for _, b := range bs {
		if b.Browser {
			browser = true
		} else {
			softphone = true
		}
	}
	return softphone, browser
}
