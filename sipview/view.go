package sipview

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/callfloor/callfloor"
)

// Source is what a View loads from: a callfloor.Store.
type Source interface {
	ListAccounts(ctx context.Context) ([]*callfloor.Account, error)
	ListExtensions(ctx context.Context) ([]*callfloor.Extension, error)
	ListTrunks(ctx context.Context) ([]*callfloor.Trunk, error)
	ListInboundNumbers(ctx context.Context) ([]*callfloor.InboundNumber, error)
	FindExtensionByID(ctx context.Context, id int64) (*callfloor.Extension, error)
	FindTrunkByID(ctx context.Context, id int64) (*callfloor.Trunk, error)
	FindInboundNumberByID(ctx context.Context, id int64) (*callfloor.InboundNumber, error)
	ListCallerIDPools(ctx context.Context) ([]*callfloor.CallerIDPool, error)
	FindCallerIDPoolByID(ctx context.Context, id int64) (*callfloor.CallerIDPool, error)
}

// View is the in-memory copy of what the SIP plane looks up. Its
// methods answer as the store's of the same name do.
type View struct {
	src Source
	log *slog.Logger

	// loading serialises the loads (Load, Reload, Apply), so that each
	// reads the database after the one before it has installed.
	loading sync.Mutex

	mu  sync.RWMutex
	dir *directory
}

// New returns an empty View of src; Load fills it.
func New(src Source, logger *slog.Logger) *View {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &View{src: src, log: logger, dir: newDirectory()}
}

// directory is the view's data, guarded by View.mu. The maps hold the
// only copies; answers are copies of them.
type directory struct {
	exts     map[int64]*callfloor.Extension
	byNumber map[accountNumber]*callfloor.Extension
	byUser   map[string]*callfloor.Extension
	trunks   map[int64]*trunk
	numbers  map[int64]*callfloor.InboundNumber
	byKey    map[string]*callfloor.InboundNumber // by InboundNumberKey
	pools    map[int64]*callfloor.CallerIDPool
}

type accountNumber struct {
	account int64
	number  string
}

// trunk is a stored trunk with its sources parsed once.
type trunk struct {
	t       *callfloor.Trunk
	sources []callfloor.TrunkSource
}

func newDirectory() *directory {
	return &directory{
		exts:     map[int64]*callfloor.Extension{},
		byNumber: map[accountNumber]*callfloor.Extension{},
		byUser:   map[string]*callfloor.Extension{},
		trunks:   map[int64]*trunk{},
		numbers:  map[int64]*callfloor.InboundNumber{},
		byKey:    map[string]*callfloor.InboundNumber{},
		pools:    map[int64]*callfloor.CallerIDPool{},
	}
}

// FindSIPCredentials finds the extension with the SIP username, in any
// account.
func (v *View) FindSIPCredentials(_ context.Context, sipUsername string) (*callfloor.Extension, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	e := v.dir.byUser[sipUsername]
	if e == nil {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "no such SIP username")
	}
	return copyExtension(e), nil
}

// FindExtensionByID finds an extension of the account in ctx.
func (v *View) FindExtensionByID(ctx context.Context, id int64) (*callfloor.Extension, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	e := v.dir.exts[id]
	if e == nil || e.AccountID != account {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "extension %d not found", id)
	}
	return copyExtension(e), nil
}

// FindExtensionByNumber finds the extension with the number in the
// account in ctx.
func (v *View) FindExtensionByNumber(ctx context.Context, number string) (*callfloor.Extension, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	e := v.dir.byNumber[accountNumber{account, number}]
	if e == nil {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "no extension %s", number)
	}
	return copyExtension(e), nil
}

// FindTrunksBySource returns the enabled ip trunks, of any account, that
// admit src, by account and name.
func (v *View) FindTrunksBySource(_ context.Context, src netip.AddrPort) ([]*callfloor.Trunk, error) {
	out := []*callfloor.Trunk{}
	if !src.Addr().IsValid() {
		return out, nil
	}
	v.mu.RLock()
	for _, tr := range v.dir.trunks {
		if tr.t.Enabled && tr.t.Auth == callfloor.TrunkIP && admits(tr.sources, src) {
			out = append(out, copyTrunk(tr.t))
		}
	}
	v.mu.RUnlock()
	sortTrunks(out)
	return out, nil
}

func admits(sources []callfloor.TrunkSource, src netip.AddrPort) bool {
	for _, s := range sources {
		if s.Admits(src) {
			return true
		}
	}
	return false
}

// ListEnabledTrunks returns the enabled trunks of every account, with
// their passwords, by account and name.
func (v *View) ListEnabledTrunks(context.Context) ([]*callfloor.Trunk, error) {
	out := []*callfloor.Trunk{}
	v.mu.RLock()
	for _, tr := range v.dir.trunks {
		if tr.t.Enabled {
			out = append(out, copyTrunk(tr.t))
		}
	}
	v.mu.RUnlock()
	sortTrunks(out)
	return out, nil
}

// ListTrunks returns the trunks of the account in ctx by name.
func (v *View) ListTrunks(ctx context.Context) ([]*callfloor.Trunk, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	out := []*callfloor.Trunk{}
	v.mu.RLock()
	for _, tr := range v.dir.trunks {
		if tr.t.AccountID == account {
			out = append(out, copyTrunk(tr.t))
		}
	}
	v.mu.RUnlock()
	sortTrunks(out)
	return out, nil
}

// sortTrunks orders trunks as the store lists them: by account, name
// (ignoring case) and id.
func sortTrunks(list []*callfloor.Trunk) {
	slices.SortFunc(list, func(a, b *callfloor.Trunk) int {
		if a.AccountID != b.AccountID {
			return compare(a.AccountID, b.AccountID)
		}
		if c := strings.Compare(nameKey(a.Name), nameKey(b.Name)); c != 0 {
			return c
		}
		return compare(a.ID, b.ID)
	})
}

func nameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

func compare(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FindInboundNumber finds the enabled inbound number, of any account,
// that number dials (with or without a leading "+").
func (v *View) FindInboundNumber(_ context.Context, number string) (*callfloor.InboundNumber, error) {
	key := callfloor.InboundNumberKey(number)
	v.mu.RLock()
	defer v.mu.RUnlock()
	n := v.dir.byKey[key]
	if key == "" || n == nil || !n.Enabled {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "no such inbound number")
	}
	return copyInbound(n), nil
}

// FindCallerIDPoolByID finds a caller-ID pool of the account in ctx.
func (v *View) FindCallerIDPoolByID(ctx context.Context, id int64) (*callfloor.CallerIDPool, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	p := v.dir.pools[id]
	if p == nil || p.AccountID != account {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "caller-ID pool %d not found", id)
	}
	return copyPool(p), nil
}

func copyPool(p *callfloor.CallerIDPool) *callfloor.CallerIDPool {
	c := *p
	c.Numbers = append([]string{}, p.Numbers...)
	return &c
}

func copyExtension(e *callfloor.Extension) *callfloor.Extension {
	c := *e
	c.Agent.OutboundQueueID, c.Agent.CallerIDPoolID = copyID(e.Agent.OutboundQueueID), copyID(e.Agent.CallerIDPoolID)
	return &c
}

func copyTrunk(t *callfloor.Trunk) *callfloor.Trunk {
	c := *t
	c.AllowedSources = append([]string{}, t.AllowedSources...)
	return &c
}

func copyInbound(n *callfloor.InboundNumber) *callfloor.InboundNumber {
	c := *n
	c.TrunkID = copyID(n.TrunkID)
	return &c
}

func copyID(id *int64) *int64 {
	if id == nil {
		return nil
	}
	v := *id
	return &v
}
