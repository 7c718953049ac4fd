package sipview_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/sipview"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
)

// fixture is a store with two accounts, and a view of it told of the
// store's changes as the server's wiring does.
type fixture struct {
	st         *sqlstore.Store
	view       *sipview.View
	acme, beta context.Context
	ids        map[string]int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/cf.db", sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, ids: map[string]int64{}}
	for _, name := range []string{"acme", "beta"} {
		a := &callfloor.Account{Name: name, TimeZone: "UTC", LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: 5}
		must(t, st.CreateAccount(ctx, a))
		actx := callfloor.SystemContext(ctx, a.ID)
		if name == "acme" {
			f.acme = actx
		} else {
			f.beta = actx
		}
		f.ids[name] = a.ID
	}
	pool := &callfloor.CallerIDPool{Name: "UK", Numbers: []string{"+442079460999"}}
	must(t, st.CreateCallerIDPool(f.acme, pool))
	f.ids["pool"] = pool.ID
	spare := &callfloor.CallerIDPool{Name: "Spare", Numbers: []string{"+442079460777", "+442079460778"}}
	must(t, st.CreateCallerIDPool(f.beta, spare))
	f.ids["spare"] = spare.ID
	// The same numbers in both accounts.
	for _, c := range []struct {
		ctx  context.Context
		name string
	}{{f.acme, "acme"}, {f.beta, "beta"}} {
		for _, n := range []string{"201", "202"} {
			e := &callfloor.Extension{Number: n, SIPUsername: c.name + "-" + n, Agent: callfloor.DefaultAgentSettings()}
			e.Agent.Enabled = n == "201"
			if c.name == "acme" {
				e.Agent.CallerIDPoolID = &pool.ID
			}
			e.SetSIPSecret("callfloor", "secret-"+c.name+n)
			must(t, st.CreateExtension(c.ctx, e))
			f.ids[c.name+"-"+n] = e.ID
		}
	}
	carrier := callfloor.NewTrunk("Carrier", "192.0.2.1")
	carrier.Auth, carrier.AllowedSources = callfloor.TrunkIP, []string{"192.0.2.0/24", "198.51.100.7:5080"}
	must(t, st.CreateTrunk(f.acme, carrier))
	f.ids["carrier"] = carrier.ID
	// Another account's trunk admitting the same network, and a disabled one.
	shared := callfloor.NewTrunk("shared", "192.0.2.2")
	shared.Auth, shared.AllowedSources = callfloor.TrunkIP, []string{"192.0.2.2"}
	must(t, st.CreateTrunk(f.beta, shared))
	f.ids["shared"] = shared.ID
	off := callfloor.NewTrunk("Off", "192.0.2.3")
	off.Auth, off.AllowedSources, off.Enabled = callfloor.TrunkIP, []string{"192.0.2.3"}, false
	must(t, st.CreateTrunk(f.beta, off))
	f.ids["off"] = off.ID
	reg := callfloor.NewTrunk("Registered", "sip.example.com")
	reg.Username, reg.Password = "acme", "trunk-pass"
	must(t, st.CreateTrunk(f.acme, reg))
	f.ids["registered"] = reg.ID

	did := &callfloor.InboundNumber{Number: "+442079460000", TrunkID: &carrier.ID, Enabled: true,
		Destination: callfloor.Destination{Kind: callfloor.DestinationExtension, ID: f.ids["acme-201"]}}
	must(t, st.CreateInboundNumber(f.acme, did))
	f.ids["did"] = did.ID
	dark := &callfloor.InboundNumber{Number: "442079460001", Enabled: false,
		Destination: callfloor.Destination{Kind: callfloor.DestinationExtension, ID: f.ids["beta-201"]}}
	must(t, st.CreateInboundNumber(f.beta, dark))

	f.view = sipview.New(st, nil)
	must(t, f.view.Reload(ctx))
	st.OnChange(func(ch callfloor.Change) {
		if err := f.view.Apply(context.Background(), ch); err != nil {
			t.Errorf("apply %v: %v", ch, err)
		}
	})
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// lookup is one look-up, asked of the store and of the view alike.
type lookup struct {
	name string
	ask  func(s lookups) (any, error)
}

// lookups are the methods the view shares with the store.
type lookups interface {
	FindSIPCredentials(ctx context.Context, sipUsername string) (*callfloor.Extension, error)
	FindExtensionByID(ctx context.Context, id int64) (*callfloor.Extension, error)
	FindExtensionByNumber(ctx context.Context, number string) (*callfloor.Extension, error)
	FindTrunksBySource(ctx context.Context, src netip.AddrPort) ([]*callfloor.Trunk, error)
	ListEnabledTrunks(ctx context.Context) ([]*callfloor.Trunk, error)
	ListTrunks(ctx context.Context) ([]*callfloor.Trunk, error)
	FindInboundNumber(ctx context.Context, number string) (*callfloor.InboundNumber, error)
	FindCallerIDPoolByID(ctx context.Context, id int64) (*callfloor.CallerIDPool, error)
}

func (f *fixture) lookups() []lookup {
	bg := context.Background()
	src := func(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
	return []lookup{
		{"credentials", func(s lookups) (any, error) { return s.FindSIPCredentials(bg, "acme-201") }},
		{"credentials of the other account", func(s lookups) (any, error) { return s.FindSIPCredentials(bg, "beta-202") }},
		{"unknown username", func(s lookups) (any, error) { return s.FindSIPCredentials(bg, "nobody") }},
		{"username differing in case", func(s lookups) (any, error) { return s.FindSIPCredentials(bg, "ACME-201") }},
		{"extension by id", func(s lookups) (any, error) { return s.FindExtensionByID(f.acme, f.ids["acme-202"]) }},
		{"another account's extension by id", func(s lookups) (any, error) { return s.FindExtensionByID(f.acme, f.ids["beta-202"]) }},
		{"extension by id without an actor", func(s lookups) (any, error) { return s.FindExtensionByID(bg, f.ids["acme-202"]) }},
		{"extension by number", func(s lookups) (any, error) { return s.FindExtensionByNumber(f.beta, "201") }},
		{"unknown number", func(s lookups) (any, error) { return s.FindExtensionByNumber(f.beta, "299") }},
		{"trunk by network", func(s lookups) (any, error) { return s.FindTrunksBySource(bg, src("192.0.2.9:5060")) }},
		{"two accounts' trunks", func(s lookups) (any, error) { return s.FindTrunksBySource(bg, src("192.0.2.2:5060")) }},
		{"disabled trunk's source", func(s lookups) (any, error) { return s.FindTrunksBySource(bg, src("192.0.2.3:5060")) }},
		{"source with its port", func(s lookups) (any, error) { return s.FindTrunksBySource(bg, src("198.51.100.7:5080")) }},
		{"source on another port", func(s lookups) (any, error) { return s.FindTrunksBySource(bg, src("198.51.100.7:5060")) }},
		{"mapped IPv4 source", func(s lookups) (any, error) { return s.FindTrunksBySource(bg, src("[::ffff:192.0.2.9]:5060")) }},
		{"no source", func(s lookups) (any, error) { return s.FindTrunksBySource(bg, netip.AddrPort{}) }},
		{"enabled trunks", func(s lookups) (any, error) { return s.ListEnabledTrunks(bg) }},
		{"an account's trunks", func(s lookups) (any, error) { return s.ListTrunks(f.beta) }},
		{"inbound number", func(s lookups) (any, error) { return s.FindInboundNumber(bg, "442079460000") }},
		{"inbound number with +", func(s lookups) (any, error) { return s.FindInboundNumber(bg, "+442079460000") }},
		{"disabled inbound number", func(s lookups) (any, error) { return s.FindInboundNumber(bg, "442079460001") }},
		{"no inbound number", func(s lookups) (any, error) { return s.FindInboundNumber(bg, "") }},
		{"caller-ID pool", func(s lookups) (any, error) { return s.FindCallerIDPoolByID(f.acme, f.ids["pool"]) }},
		{"another account's pool", func(s lookups) (any, error) { return s.FindCallerIDPoolByID(f.acme, f.ids["spare"]) }},
		{"its own pool", func(s lookups) (any, error) { return s.FindCallerIDPoolByID(f.beta, f.ids["spare"]) }},
	}
}

// check asks every look-up of both and wants the same answers.
func (f *fixture) check(t *testing.T, when string) {
	t.Helper()
	for _, l := range f.lookups() {
		want, werr := l.ask(f.st)
		got, gerr := l.ask(f.view)
		if callfloor.ErrorCode(gerr) != callfloor.ErrorCode(werr) || (gerr == nil) != (werr == nil) {
			t.Errorf("%s, %s: view error %v, store error %v", when, l.name, gerr, werr)
			continue
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s, %s:\nview  %s\nstore %s", when, l.name, show(got), show(want))
		}
	}
}

func show(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		s := "["
		for i := range rv.Len() {
			s += show(rv.Index(i).Interface()) + " "
		}
		return s + "]"
	}
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return fmt.Sprintf("&%+v", rv.Elem().Interface())
	}
	return fmt.Sprintf("%+v", v)
}

// The view answers every look-up as the store does, after a load and
// after each kind of change made through the store.
func TestViewAnswersAsTheStore(t *testing.T) {
	f := newFixture(t)
	f.check(t, "loaded")
	ctx := context.Background()

	changes := []struct {
		name string
		do   func() error
	}{
		{"new SIP secret", func() error {
			_, err := f.st.UpdateExtension(f.acme, f.ids["acme-201"], func(e *callfloor.Extension) error {
				e.SetSIPSecret("callfloor", "another-secret")
				return nil
			})
			return err
		}},
		{"number changed", func() error {
			_, err := f.st.UpdateExtension(f.beta, f.ids["beta-202"], func(e *callfloor.Extension) error {
				e.Number = "299"
				return nil
			})
			return err
		}},
		{"extension deleted", func() error { return f.st.DeleteExtension(f.acme, f.ids["acme-202"]) }},
		{"extension created", func() error {
			e := &callfloor.Extension{Number: "202", SIPUsername: "acme-202b", Agent: callfloor.DefaultAgentSettings()}
			e.SetSIPSecret("callfloor", "new-one-here")
			return f.st.CreateExtension(f.acme, e)
		}},
		{"trunk disabled", func() error {
			_, err := f.st.UpdateTrunk(f.acme, f.ids["carrier"], func(t *callfloor.Trunk) error {
				t.Enabled = false
				return nil
			})
			return err
		}},
		{"trunk source changed", func() error {
			_, err := f.st.UpdateTrunk(f.beta, f.ids["shared"], func(t *callfloor.Trunk) error {
				t.AllowedSources = []string{"192.0.2.9"}
				return nil
			})
			return err
		}},
		{"trunk enabled", func() error {
			_, err := f.st.UpdateTrunk(f.beta, f.ids["off"], func(t *callfloor.Trunk) error {
				t.Enabled = true
				return nil
			})
			return err
		}},
		{"trunk deleted", func() error { return f.st.DeleteTrunk(f.acme, f.ids["registered"]) }},
		{"inbound number disabled", func() error {
			_, err := f.st.UpdateInboundNumber(f.acme, f.ids["did"], func(n *callfloor.InboundNumber) error {
				n.Enabled = false
				return nil
			})
			return err
		}},
		{"inbound number deleted", func() error { return f.st.DeleteInboundNumber(f.acme, f.ids["did"]) }},
		{"pool's numbers changed", func() error {
			_, err := f.st.UpdateCallerIDPool(f.acme, f.ids["pool"], func(p *callfloor.CallerIDPool) error {
				p.Numbers = []string{"+442079460555"}
				return nil
			})
			return err
		}},
		{"pool deleted", func() error { return f.st.DeleteCallerIDPool(f.beta, f.ids["spare"]) }},
		{"pool created", func() error {
			p := &callfloor.CallerIDPool{Name: "Spare", Numbers: []string{"+442079460779"}}
			if err := f.st.CreateCallerIDPool(f.beta, p); err != nil {
				return err
			}
			f.ids["spare"] = p.ID
			return nil
		}},
		{"agent activation withdrawn", func() error {
			_, err := f.st.UpdateExtension(f.beta, f.ids["beta-201"], func(e *callfloor.Extension) error {
				e.Agent.Enabled = false
				return nil
			})
			if err != nil {
				return err
			}
			_, err = f.st.UpdateAccount(ctx, f.ids["beta"], func(a *callfloor.Account) error {
				a.LicenceKind, a.AgentLicences = callfloor.LicenceNone, 0
				return nil
			})
			return err
		}},
	}
	for _, c := range changes {
		must(t, c.do())
		f.check(t, c.name)
	}
	// A write that fails changes nothing and tells nothing.
	_, err := f.st.UpdateExtension(f.acme, f.ids["acme-201"], func(e *callfloor.Extension) error {
		e.SetSIPSecret("callfloor", "rolled-back")
		return errors.New("no")
	})
	if err == nil {
		t.Fatal("the update did not fail")
	}
	f.check(t, "rolled back")
	must(t, f.view.Reload(ctx))
	f.check(t, "reloaded")
}

// An answer is the caller's: changing it changes nothing in the view.
func TestAnswersAreCopies(t *testing.T) {
	f := newFixture(t)
	bg := context.Background()
	e, err := f.view.FindSIPCredentials(bg, "acme-201")
	must(t, err)
	e.SIPHA1, e.Number, *e.Agent.CallerIDPoolID = "0000", "999", 0
	e, err = f.view.FindExtensionByNumber(f.acme, "201")
	must(t, err)
	e.SIPUsername, e.Agent.Permissions.Hold = "x", false
	ts, err := f.view.FindTrunksBySource(bg, netip.MustParseAddrPort("192.0.2.9:5060"))
	must(t, err)
	ts[0].AllowedSources[0], ts[0].Enabled = "0.0.0.0/0", false
	ts, err = f.view.ListEnabledTrunks(bg)
	must(t, err)
	for _, tr := range ts {
		tr.Password, tr.Name = "", "x"
	}
	n, err := f.view.FindInboundNumber(bg, "442079460000")
	must(t, err)
	*n.TrunkID, n.Enabled = 0, false
	p, err := f.view.FindCallerIDPoolByID(f.acme, f.ids["pool"])
	must(t, err)
	p.Numbers[0], p.Name = "+15550000000", "x"
	f.check(t, "after the answers were changed")
}

// failing is a source whose look-ups by id fail once broken.
type failing struct {
	sipview.Source
	broken bool
}

var errDown = errors.New("database down")

func (s *failing) FindExtensionByID(ctx context.Context, id int64) (*callfloor.Extension, error) {
	if s.broken {
		return nil, errDown
	}
	return s.Source.FindExtensionByID(ctx, id)
}

func (s *failing) FindTrunkByID(ctx context.Context, id int64) (*callfloor.Trunk, error) {
	if s.broken {
		return nil, errDown
	}
	return s.Source.FindTrunkByID(ctx, id)
}

// An object whose change cannot be loaded is refused, not served as it
// was, until a reload finds it again.
func TestApplyFailsClosed(t *testing.T) {
	f := newFixture(t)
	bg := context.Background()
	src := &failing{Source: f.st}
	v := sipview.New(src, nil)
	must(t, v.Reload(bg))
	src.broken = true
	ext := callfloor.Change{Kind: callfloor.ChangeExtension, AccountID: f.ids["acme"], ID: f.ids["acme-201"]}
	if err := v.Apply(bg, ext); !errors.Is(err, errDown) {
		t.Fatalf("apply = %v, want the source's error", err)
	}
	if _, err := v.FindSIPCredentials(bg, "acme-201"); callfloor.ErrorCode(err) != callfloor.ErrNotFound {
		t.Fatalf("credentials after a failed load: %v, want not_found", err)
	}
	tr := callfloor.Change{Kind: callfloor.ChangeTrunk, AccountID: f.ids["acme"], ID: f.ids["carrier"]}
	if err := v.Apply(bg, tr); !errors.Is(err, errDown) {
		t.Fatalf("apply = %v, want the source's error", err)
	}
	if ts, _ := v.FindTrunksBySource(bg, netip.MustParseAddrPort("192.0.2.9:5060")); len(ts) != 0 {
		t.Fatalf("trunks after a failed load: %v", ts)
	}
	src.broken = false
	must(t, v.Reload(bg))
	if _, err := v.FindSIPCredentials(bg, "acme-201"); err != nil {
		t.Fatalf("credentials after the reload: %v", err)
	}
	if err := v.Apply(bg, callfloor.Change{AccountID: 1, ID: 1}); err == nil {
		t.Fatal("a change of unknown kind was applied")
	}
}

// Run reloads on its clock: a change the view was not told of is seen
// after the interval.
func TestRunReloads(t *testing.T) {
	f := newFixture(t)
	v := sipview.New(f.st, nil) // not told of changes
	must(t, v.Reload(context.Background()))
	clock := clocktest.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Run(ctx, clock, time.Minute)
	}()
	defer func() {
		cancel()
		<-done
	}()
	must(t, f.st.DeleteTrunk(f.acme, f.ids["registered"]))
	if ts, _ := v.ListTrunks(f.acme); len(ts) != 2 {
		t.Fatalf("trunks before the reload: %s", show(ts))
	}
	for clock.Timers() == 0 {
		time.Sleep(time.Millisecond)
	}
	clock.Advance(time.Minute)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		ts, _ := v.ListTrunks(f.acme)
		if len(ts) == 1 && ts[0].ID == f.ids["carrier"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("trunks 10s after the reload's time: %s", show(ts))
		}
	}
}
