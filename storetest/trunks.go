package storetest

import (
	"context"
	"net/netip"
	"testing"

	"github.com/callfloor/callfloor"
)

var trunkTests = []test{
	{"Trunk/RoundTrip", testTrunkRoundTrip},
	{"Trunk/PasswordKept", testTrunkPasswordKept},
	{"Trunk/NameTaken", testTrunkNameTaken},
	{"Trunk/Invalid", testTrunkInvalid},
	{"Trunk/Delete", testTrunkDelete},
	{"Trunk/OtherAccount", testTrunkOtherAccount},
	{"Trunk/ListEnabled", testListEnabledTrunks},
	{"Trunk/FindBySource", testFindTrunksBySource},
}

// regTrunk returns an unsaved registration trunk.
func regTrunk(name string, mods ...func(*callfloor.Trunk)) *callfloor.Trunk {
	t := callfloor.NewTrunk(name, "sip.carrier.example")
	t.Username, t.Password = "acct-1001", "s3cret pass"
	for _, m := range mods {
		m(t)
	}
	return t
}

// ipTrunk returns an unsaved ip trunk admitting sources.
func ipTrunk(name string, sources ...string) *callfloor.Trunk {
	t := callfloor.NewTrunk(name, "203.0.113.10")
	t.Auth, t.AllowedSources = callfloor.TrunkIP, sources
	return t
}

func mustTrunk(t *testing.T, st callfloor.Store, ctx context.Context, tr *callfloor.Trunk) *callfloor.Trunk {
	t.Helper()
	ok(t, st.CreateTrunk(ctx, tr))
	return tr
}

func testTrunkRoundTrip(t *testing.T, st callfloor.Store) {
	a, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	tr := regTrunk(" Zeta carrier ", func(x *callfloor.Trunk) {
		x.Host, x.Transport, x.AuthUsername, x.Realm, x.Domain = "SIP.Carrier.Example:5080", callfloor.TransportTCP, "auth-1001", "carrier", "Voice.Example"
		x.ExpirySeconds, x.DefaultCallerID, x.StripDigits, x.Prefix = 600, "+441632960000", 1, "9"
	})
	ok(t, st.CreateTrunk(ctx, tr))
	stamped(t, "trunk", tr.CreatedAt, tr.UpdatedAt)
	want := &callfloor.Trunk{ID: tr.ID, AccountID: a.ID, Name: "Zeta carrier", Host: "sip.carrier.example:5080",
		Transport: callfloor.TransportTCP, Auth: callfloor.TrunkRegistration, Username: "acct-1001", AuthUsername: "auth-1001",
		Password: "s3cret pass", HasPassword: true, Realm: "carrier", Domain: "voice.example", ExpirySeconds: 600,
		AllowedSources: []string{}, DefaultCallerID: "+441632960000", StripDigits: 1, Prefix: "9", Enabled: true,
		CreatedAt: tr.CreatedAt, UpdatedAt: tr.UpdatedAt}
	same(t, "created", tr, want)
	got, err := st.FindTrunkByID(ctx, tr.ID)
	ok(t, err)
	same(t, "found (with its password)", got, want)

	alpha := mustTrunk(t, st, ctx, ipTrunk("alpha", "198.51.100.0/24", "2001:db8::1", "192.0.2.7/32", "10.1.2.3/8",
		"192.0.2.8:5060", "[2001:DB8::2]:5080"))
	same(t, "sources in canonical form", alpha.AllowedSources, []string{"198.51.100.0/24", "2001:db8::1", "192.0.2.7", "10.0.0.0/8",
		"192.0.2.8:5060", "[2001:db8::2]:5080"})
	if alpha.HasPassword || alpha.Password != "" {
		t.Fatalf("ip trunk without password: %+v", alpha)
	}
	list, err := st.ListTrunks(ctx)
	ok(t, err)
	same(t, "list by name ignoring case", list, []*callfloor.Trunk{alpha, want})

	upd, err := st.UpdateTrunk(ctx, alpha.ID, func(x *callfloor.Trunk) error {
		x.AllowedSources = []string{"203.0.113.5:5062"}
		x.Enabled = false
		x.ID, x.AccountID = tr.ID, a.ID+1 // read-only
		return nil
	})
	ok(t, err)
	if upd.ID != alpha.ID || upd.AccountID != a.ID || upd.Enabled || !upd.CreatedAt.Equal(alpha.CreatedAt) ||
		upd.UpdatedAt.Before(alpha.UpdatedAt) {
		t.Fatalf("updated %+v", upd)
	}
	same(t, "sources replaced", upd.AllowedSources, []string{"203.0.113.5:5062"})
	got, err = st.FindTrunkByID(ctx, alpha.ID)
	ok(t, err)
	same(t, "found after update", got, upd)
	got, err = st.FindTrunkByID(ctx, tr.ID)
	ok(t, err)
	same(t, "other trunk", got, want)

	// Switching modes: ip to registration needs credentials and no sources.
	_, err = st.UpdateTrunk(ctx, alpha.ID, func(x *callfloor.Trunk) error { x.Auth = callfloor.TrunkRegistration; return nil })
	wantErr(t, err, callfloor.ErrFieldRequired, "username")
	upd, err = st.UpdateTrunk(ctx, alpha.ID, func(x *callfloor.Trunk) error {
		x.Auth, x.Username, x.Password, x.AllowedSources = callfloor.TrunkRegistration, "me", "pw", nil
		return nil
	})
	ok(t, err)
	if !upd.HasPassword || upd.Password != "pw" || len(upd.AllowedSources) != 0 || upd.AllowedSources == nil {
		t.Fatalf("switched to registration: %+v", upd)
	}

	_, empty := newAccount(t, st, "Empty", callfloor.LicenceNone, 0)
	list, err = st.ListTrunks(empty)
	ok(t, err)
	same(t, "empty list", list, []*callfloor.Trunk{})
}

func testTrunkPasswordKept(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	tr := mustTrunk(t, st, ctx, regTrunk("Carrier"))
	upd, err := st.UpdateTrunk(ctx, tr.ID, func(x *callfloor.Trunk) error {
		if x.Password != "s3cret pass" || !x.HasPassword {
			t.Errorf("fn sees password %q (has %v), want the stored one", x.Password, x.HasPassword)
		}
		x.Name = "Renamed"
		return nil
	})
	ok(t, err)
	if upd.Password != "s3cret pass" || !upd.HasPassword || upd.Name != "Renamed" {
		t.Fatalf("an update without a password lost it: %+v", upd)
	}
	upd, err = st.UpdateTrunk(ctx, tr.ID, func(x *callfloor.Trunk) error { x.Password = "n3w"; return nil })
	ok(t, err)
	got, err := st.FindTrunkByID(ctx, tr.ID)
	ok(t, err)
	if got.Password != "n3w" || upd.Password != "n3w" {
		t.Fatalf("new password not stored: %q", got.Password)
	}
	_, err = st.UpdateTrunk(ctx, tr.ID, func(x *callfloor.Trunk) error { x.Password = ""; return nil })
	wantErr(t, err, callfloor.ErrFieldRequired, "password")
}

func testTrunkNameTaken(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	mustTrunk(t, st, ctx, regTrunk("Carrier"))
	wantErr(t, st.CreateTrunk(ctx, regTrunk("CARRIER ")), callfloor.ErrNameTaken, "name")
	mustTrunk(t, st, other, regTrunk("Carrier"))
	b := mustTrunk(t, st, ctx, ipTrunk("Backup", "203.0.113.1"))
	_, err := st.UpdateTrunk(ctx, b.ID, func(x *callfloor.Trunk) error { x.Name = "carrier"; return nil })
	wantErr(t, err, callfloor.ErrNameTaken, "name")
	_, err = st.UpdateTrunk(ctx, b.ID, func(x *callfloor.Trunk) error { x.Name = "BACKUP"; return nil })
	ok(t, err)
}

func testTrunkInvalid(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	wantErr(t, st.CreateTrunk(ctx, regTrunk("x", func(x *callfloor.Trunk) { x.Password = "" })), callfloor.ErrFieldRequired, "password")
	wantErr(t, st.CreateTrunk(ctx, ipTrunk("x")), callfloor.ErrFieldRequired, "allowed_sources")
	wantErr(t, st.CreateTrunk(ctx, ipTrunk("x", "10.0.0.1", "10.0.0.1/32")), callfloor.ErrInvalidField, "allowed_sources[1]")
	wantErr(t, st.CreateTrunk(ctx, ipTrunk("x", "10.0.0.0/8:5060")), callfloor.ErrInvalidField, "allowed_sources[0]")
	wantErr(t, st.CreateTrunk(ctx, regTrunk("x", func(x *callfloor.Trunk) { x.Host = "carrier:99999" })), callfloor.ErrInvalidField, "host")
	list, err := st.ListTrunks(ctx)
	ok(t, err)
	same(t, "nothing stored", list, []*callfloor.Trunk{})
	wantErr(t, st.CreateTrunk(context.Background(), regTrunk("x")), callfloor.ErrUnauthorized, "")
}

func testTrunkDelete(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	tr := mustTrunk(t, st, ctx, regTrunk("Carrier"))
	q := mustQueue(t, st, ctx, "600")
	n := mustInbound(t, st, ctx, did("+441632960001", callfloor.DestinationQueue, q.ID, func(n *callfloor.InboundNumber) { n.TrunkID = ptr(tr.ID) }))
	wantErr(t, st.DeleteTrunk(ctx, tr.ID), callfloor.ErrInUse, "")
	_, err := st.FindTrunkByID(ctx, tr.ID)
	ok(t, err)
	_, err = st.UpdateInboundNumber(ctx, n.ID, func(x *callfloor.InboundNumber) error { x.TrunkID = nil; return nil })
	ok(t, err)
	ok(t, st.DeleteTrunk(ctx, tr.ID))
	_, err = st.FindTrunkByID(ctx, tr.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteTrunk(ctx, tr.ID), callfloor.ErrNotFound, "")
	ip := mustTrunk(t, st, ctx, ipTrunk("IP", "203.0.113.1"))
	ok(t, st.DeleteTrunk(ctx, ip.ID)) // with its sources
	list, err := st.FindTrunksBySource(context.Background(), netip.MustParseAddrPort("203.0.113.1:5060"))
	ok(t, err)
	same(t, "deleted ip trunk", list, []*callfloor.Trunk{})
}

// testTrunkOtherAccount: an actor of account B never sees, changes or
// deletes a trunk of account A; an update refused by fn writes nothing.
func testTrunkOtherAccount(t *testing.T, st callfloor.Store) {
	_, actx := newAccount(t, st, "A", callfloor.LicenceNone, 0)
	_, bctx := newAccount(t, st, "B", callfloor.LicenceNone, 0)
	tr := mustTrunk(t, st, actx, regTrunk("Carrier"))
	_, err := st.FindTrunkByID(bctx, tr.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	called := false
	_, err = st.UpdateTrunk(bctx, tr.ID, func(x *callfloor.Trunk) error { called = true; return nil })
	wantErr(t, err, callfloor.ErrNotFound, "")
	if called {
		t.Fatal("fn called with another account's trunk")
	}
	wantErr(t, st.DeleteTrunk(bctx, tr.ID), callfloor.ErrNotFound, "")
	list, err := st.ListTrunks(bctx)
	ok(t, err)
	same(t, "B's list", list, []*callfloor.Trunk{})

	_, err = st.UpdateTrunk(actx, tr.ID, func(x *callfloor.Trunk) error { x.Name, x.Password = "Changed", "other"; return errFn })
	if err != errFn {
		t.Fatalf("update returned %v, want errFn", err)
	}
	got, err := st.FindTrunkByID(actx, tr.ID)
	ok(t, err)
	same(t, "after the refused update", got, tr)

	ctx := context.Background()
	_, err = st.ListTrunks(ctx)
	wantErr(t, err, callfloor.ErrUnauthorized, "")
	_, err = st.FindTrunkByID(ctx, tr.ID)
	wantErr(t, err, callfloor.ErrUnauthorized, "")
	_, err = st.UpdateTrunk(ctx, tr.ID, func(*callfloor.Trunk) error { return nil })
	wantErr(t, err, callfloor.ErrUnauthorized, "")
	wantErr(t, st.DeleteTrunk(ctx, tr.ID), callfloor.ErrUnauthorized, "")
}

func testListEnabledTrunks(t *testing.T, st callfloor.Store) {
	_, actx := newAccount(t, st, "A", callfloor.LicenceNone, 0)
	_, bctx := newAccount(t, st, "B", callfloor.LicenceNone, 0)
	a1 := mustTrunk(t, st, actx, regTrunk("Carrier"))
	mustTrunk(t, st, actx, regTrunk("Off", func(x *callfloor.Trunk) { x.Enabled = false }))
	a2 := mustTrunk(t, st, actx, ipTrunk("By IP", "203.0.113.0/24"))
	b1 := mustTrunk(t, st, bctx, regTrunk("Carrier", func(x *callfloor.Trunk) { x.Password = "b's" }))
	// No actor needed; every account; passwords included.
	list, err := st.ListEnabledTrunks(context.Background())
	ok(t, err)
	same(t, "enabled trunks", list, []*callfloor.Trunk{a2, a1, b1})
	if list[2].Password != "b's" {
		t.Fatalf("password %q", list[2].Password)
	}
}

func testFindTrunksBySource(t *testing.T, st callfloor.Store) {
	_, actx := newAccount(t, st, "A", callfloor.LicenceNone, 0)
	_, bctx := newAccount(t, st, "B", callfloor.LicenceNone, 0)
	ctx := context.Background()
	a := mustTrunk(t, st, actx, ipTrunk("Shared carrier", "203.0.113.0/24", "2001:db8::/32"))
	b := mustTrunk(t, st, bctx, ipTrunk("Shared carrier", "203.0.113.10"))
	// Sources that name a port admit that port only.
	c := mustTrunk(t, st, bctx, ipTrunk("Pinned", "192.0.2.20:5060", "[2001:db9::20]:5080"))
	mustTrunk(t, st, bctx, func() *callfloor.Trunk {
		off := ipTrunk("Off", "198.51.100.1")
		off.Enabled = false
		return off
	}())
	mustTrunk(t, st, bctx, regTrunk("Registered"))
	cases := []struct {
		src  string
		want []*callfloor.Trunk
	}{
		{"203.0.113.10:5060", []*callfloor.Trunk{a, b}},
		{"203.0.113.10:40000", []*callfloor.Trunk{a, b}},
		{"[::ffff:203.0.113.10]:5060", []*callfloor.Trunk{a, b}},
		{"203.0.113.11:5060", []*callfloor.Trunk{a}},
		{"[2001:db8:1::5]:5060", []*callfloor.Trunk{a}},
		{"192.0.2.20:5060", []*callfloor.Trunk{c}},
		{"192.0.2.20:5061", []*callfloor.Trunk{}},
		{"[2001:db9::20]:5080", []*callfloor.Trunk{c}},
		{"[2001:db9::20]:5060", []*callfloor.Trunk{}},
		{"198.51.100.1:5060", []*callfloor.Trunk{}}, // disabled
		{"192.0.2.1:5060", []*callfloor.Trunk{}},
	}
	for _, tc := range cases {
		got, err := st.FindTrunksBySource(ctx, netip.MustParseAddrPort(tc.src))
		ok(t, err)
		same(t, tc.src, got, tc.want)
	}
	got, err := st.FindTrunksBySource(ctx, netip.AddrPort{})
	ok(t, err)
	same(t, "invalid address", got, []*callfloor.Trunk{})
}
