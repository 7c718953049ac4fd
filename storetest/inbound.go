package storetest

import (
	"context"
	"testing"

	"github.com/callfloor/callfloor"
)

var inboundTests = []test{
	{"InboundNumber/RoundTrip", testInboundRoundTrip},
	{"InboundNumber/Taken", testInboundTaken},
	{"InboundNumber/References", testInboundReferences},
	{"InboundNumber/Find", testFindInboundNumber},
	{"InboundNumber/TargetsInUse", testInboundTargetsInUse},
	{"InboundNumber/OtherAccount", testInboundOtherAccount},
}

// did returns an unsaved, enabled inbound number.
func did(number string, kind callfloor.DestinationKind, id int64, mods ...func(*callfloor.InboundNumber)) *callfloor.InboundNumber {
	n := &callfloor.InboundNumber{Number: number, Destination: callfloor.Destination{Kind: kind, ID: id}, Enabled: true}
	for _, m := range mods {
		m(n)
	}
	return n
}

func mustInbound(t *testing.T, st callfloor.Store, ctx context.Context, n *callfloor.InboundNumber) *callfloor.InboundNumber {
	t.Helper()
	ok(t, st.CreateInboundNumber(ctx, n))
	return n
}

func testInboundRoundTrip(t *testing.T, st callfloor.Store) {
	a, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	tr := mustTrunk(t, st, ctx, regTrunk("Carrier"))
	q := mustQueue(t, st, ctx, "600")
	e := mustExt(t, st, ctx, "201")
	n := did(" +441632960001 ", callfloor.DestinationQueue, q.ID, func(n *callfloor.InboundNumber) {
		n.Name, n.TrunkID = " Main line ", ptr(tr.ID)
	})
	ok(t, st.CreateInboundNumber(ctx, n))
	stamped(t, "inbound number", n.CreatedAt, n.UpdatedAt)
	want := &callfloor.InboundNumber{ID: n.ID, AccountID: a.ID, Number: "+441632960001", Name: "Main line", TrunkID: ptr(tr.ID),
		Destination: callfloor.Destination{Kind: callfloor.DestinationQueue, ID: q.ID}, Enabled: true,
		CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt}
	same(t, "created", n, want)
	got, err := st.FindInboundNumberByID(ctx, n.ID)
	ok(t, err)
	same(t, "found", got, want)
	short := mustInbound(t, st, ctx, did("5550100", callfloor.DestinationExtension, e.ID))
	list, err := st.ListInboundNumbers(ctx)
	ok(t, err)
	same(t, "list, shorter numbers first", list, []*callfloor.InboundNumber{short, want})

	upd, err := st.UpdateInboundNumber(ctx, n.ID, func(x *callfloor.InboundNumber) error {
		x.Destination = callfloor.Destination{Kind: callfloor.DestinationExtension, ID: e.ID}
		x.TrunkID, x.Enabled, x.Name = nil, false, ""
		x.ID, x.AccountID = short.ID, a.ID+1 // read-only
		return nil
	})
	ok(t, err)
	if upd.ID != n.ID || upd.AccountID != a.ID || upd.TrunkID != nil || upd.Enabled || upd.Name != "" ||
		upd.Destination != (callfloor.Destination{Kind: callfloor.DestinationExtension, ID: e.ID}) || !upd.CreatedAt.Equal(n.CreatedAt) {
		t.Fatalf("updated %+v", upd)
	}
	got, err = st.FindInboundNumberByID(ctx, n.ID)
	ok(t, err)
	same(t, "found after update", got, upd)
	_, err = st.UpdateInboundNumber(ctx, n.ID, func(x *callfloor.InboundNumber) error { x.Number = "12ab"; return nil })
	wantErr(t, err, callfloor.ErrInvalidField, "number")
	_, err = st.UpdateInboundNumber(ctx, n.ID, func(x *callfloor.InboundNumber) error { x.Destination.Kind = "ivr"; return nil })
	wantErr(t, err, callfloor.ErrInvalidField, "destination.kind")

	ok(t, st.DeleteInboundNumber(ctx, n.ID))
	_, err = st.FindInboundNumberByID(ctx, n.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteInboundNumber(ctx, n.ID), callfloor.ErrNotFound, "")
	_, empty := newAccount(t, st, "Empty", callfloor.LicenceNone, 0)
	list, err = st.ListInboundNumbers(empty)
	ok(t, err)
	same(t, "empty list", list, []*callfloor.InboundNumber{})
}

// testInboundTaken: a number belongs to one account of the platform,
// with or without its "+".
func testInboundTaken(t *testing.T, st callfloor.Store) {
	_, actx := newAccount(t, st, "A", callfloor.LicenceNone, 0)
	_, bctx := newAccount(t, st, "B", callfloor.LicenceNone, 0)
	qa, qb := mustQueue(t, st, actx, "600"), mustQueue(t, st, bctx, "600")
	mustInbound(t, st, actx, did("+441632960001", callfloor.DestinationQueue, qa.ID))
	for _, tc := range []struct {
		ctx    context.Context
		number string
		queue  int64
	}{
		{actx, "+441632960001", qa.ID},
		{actx, "441632960001", qa.ID},
		{bctx, "+441632960001", qb.ID},
		{bctx, "441632960001", qb.ID},
	} {
		wantErr(t, st.CreateInboundNumber(tc.ctx, did(tc.number, callfloor.DestinationQueue, tc.queue)), callfloor.ErrInboundNumberTaken, "number")
	}
	other := mustInbound(t, st, bctx, did("+441632960002", callfloor.DestinationQueue, qb.ID))
	_, err := st.UpdateInboundNumber(bctx, other.ID, func(x *callfloor.InboundNumber) error { x.Number = "441632960001"; return nil })
	wantErr(t, err, callfloor.ErrInboundNumberTaken, "number")
	// Its own number, re-spelt, is no clash.
	_, err = st.UpdateInboundNumber(bctx, other.ID, func(x *callfloor.InboundNumber) error { x.Number = "441632960002"; return nil })
	ok(t, err)
}

func testInboundReferences(t *testing.T, st callfloor.Store) {
	_, actx := newAccount(t, st, "A", callfloor.LicenceNone, 0)
	_, bctx := newAccount(t, st, "B", callfloor.LicenceNone, 0)
	qa := mustQueue(t, st, actx, "600")
	ea := mustExt(t, st, actx, "201")
	qb, eb := mustQueue(t, st, bctx, "600"), mustExt(t, st, bctx, "201")
	tb := mustTrunk(t, st, bctx, regTrunk("B's carrier"))
	cases := []struct {
		n     *callfloor.InboundNumber
		code  string
		field string
	}{
		{did("1001", callfloor.DestinationQueue, qb.ID), callfloor.ErrInvalidReference, "destination.id"},
		{did("1001", callfloor.DestinationExtension, eb.ID), callfloor.ErrInvalidReference, "destination.id"},
		{did("1001", callfloor.DestinationQueue, ea.ID+qa.ID+1000), callfloor.ErrInvalidReference, "destination.id"},
		{did("1001", callfloor.DestinationExtension, qa.ID+ea.ID+1000), callfloor.ErrInvalidReference, "destination.id"},
		{did("1001", callfloor.DestinationQueue, qa.ID, func(n *callfloor.InboundNumber) { n.TrunkID = ptr(tb.ID) }), callfloor.ErrInvalidReference, "trunk_id"},
		{did("1001", callfloor.DestinationQueue, 0), callfloor.ErrFieldRequired, "destination.id"},
		{did("1001", "", qa.ID), callfloor.ErrFieldRequired, "destination.kind"},
		{did("", callfloor.DestinationQueue, qa.ID), callfloor.ErrFieldRequired, "number"},
	}
	for _, tc := range cases {
		wantErr(t, st.CreateInboundNumber(actx, tc.n), tc.code, tc.field)
	}
	list, err := st.ListInboundNumbers(actx)
	ok(t, err)
	same(t, "nothing stored", list, []*callfloor.InboundNumber{})
	mustInbound(t, st, actx, did("1001", callfloor.DestinationExtension, ea.ID))
}

func testFindInboundNumber(t *testing.T, st callfloor.Store) {
	_, actx := newAccount(t, st, "A", callfloor.LicenceNone, 0)
	_, bctx := newAccount(t, st, "B", callfloor.LicenceNone, 0)
	qa, qb := mustQueue(t, st, actx, "600"), mustQueue(t, st, bctx, "600")
	a := mustInbound(t, st, actx, did("+441632960001", callfloor.DestinationQueue, qa.ID))
	b := mustInbound(t, st, bctx, did("5550100", callfloor.DestinationQueue, qb.ID))
	off := mustInbound(t, st, bctx, did("5550199", callfloor.DestinationQueue, qb.ID, func(n *callfloor.InboundNumber) { n.Enabled = false }))
	ctx := context.Background() // no actor: the SIP plane
	for number, want := range map[string]*callfloor.InboundNumber{
		"+441632960001": a, "441632960001": a, "5550100": b, "+5550100": b,
	} {
		got, err := st.FindInboundNumber(ctx, number)
		ok(t, err)
		same(t, number, got, want)
	}
	for _, number := range []string{"", "+", "5550199", off.Number, "0441632960001", "5550100;npdi", "sip:5550100", "++5550100"} {
		_, err := st.FindInboundNumber(ctx, number)
		wantErr(t, err, callfloor.ErrNotFound, "")
	}
}

// testInboundTargetsInUse: an extension, queue or trunk that an inbound
// number uses cannot be deleted.
func testInboundTargetsInUse(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	q := mustQueue(t, st, ctx, "600")
	e := mustExt(t, st, ctx, "201")
	other := mustQueue(t, st, ctx, "601")
	toQ := mustInbound(t, st, ctx, did("1001", callfloor.DestinationQueue, q.ID))
	toE := mustInbound(t, st, ctx, did("1002", callfloor.DestinationExtension, e.ID))
	wantErr(t, st.DeleteQueue(ctx, q.ID), callfloor.ErrInUse, "")
	wantErr(t, st.DeleteExtension(ctx, e.ID), callfloor.ErrInUse, "")
	_, err := st.FindQueueByID(ctx, q.ID)
	ok(t, err)
	_, err = st.FindExtensionByID(ctx, e.ID)
	ok(t, err)
	for _, n := range []*callfloor.InboundNumber{toQ, toE} {
		_, err := st.UpdateInboundNumber(ctx, n.ID, func(x *callfloor.InboundNumber) error {
			x.Destination = callfloor.Destination{Kind: callfloor.DestinationQueue, ID: other.ID}
			return nil
		})
		ok(t, err)
	}
	ok(t, st.DeleteQueue(ctx, q.ID))
	ok(t, st.DeleteExtension(ctx, e.ID))
}

func testInboundOtherAccount(t *testing.T, st callfloor.Store) {
	_, actx := newAccount(t, st, "A", callfloor.LicenceNone, 0)
	_, bctx := newAccount(t, st, "B", callfloor.LicenceNone, 0)
	q := mustQueue(t, st, actx, "600")
	n := mustInbound(t, st, actx, did("1001", callfloor.DestinationQueue, q.ID))
	_, err := st.FindInboundNumberByID(bctx, n.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	called := false
	_, err = st.UpdateInboundNumber(bctx, n.ID, func(*callfloor.InboundNumber) error { called = true; return nil })
	wantErr(t, err, callfloor.ErrNotFound, "")
	if called {
		t.Fatal("fn called with another account's inbound number")
	}
	wantErr(t, st.DeleteInboundNumber(bctx, n.ID), callfloor.ErrNotFound, "")
	list, err := st.ListInboundNumbers(bctx)
	ok(t, err)
	same(t, "B's list", list, []*callfloor.InboundNumber{})

	_, err = st.UpdateInboundNumber(actx, n.ID, func(x *callfloor.InboundNumber) error { x.Number = "2002"; return errFn })
	if err != errFn {
		t.Fatalf("update returned %v, want errFn", err)
	}
	got, err := st.FindInboundNumberByID(actx, n.ID)
	ok(t, err)
	same(t, "after the refused update", got, n)

	ctx := context.Background()
	wantErr(t, st.CreateInboundNumber(ctx, did("3003", callfloor.DestinationQueue, q.ID)), callfloor.ErrUnauthorized, "")
	_, err = st.ListInboundNumbers(ctx)
	wantErr(t, err, callfloor.ErrUnauthorized, "")
	_, err = st.FindInboundNumberByID(ctx, n.ID)
	wantErr(t, err, callfloor.ErrUnauthorized, "")
	_, err = st.UpdateInboundNumber(ctx, n.ID, func(*callfloor.InboundNumber) error { return nil })
	wantErr(t, err, callfloor.ErrUnauthorized, "")
	wantErr(t, st.DeleteInboundNumber(ctx, n.ID), callfloor.ErrUnauthorized, "")
}
