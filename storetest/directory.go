package storetest

import (
	"testing"

	"github.com/callfloor/callfloor"
)

var directoryTests = []test{
	{"Directory/RoundTrip", testDirectoryRoundTrip},
}

var poolTests = []test{
	{"CallerIDPool/RoundTrip", testPoolRoundTrip},
	{"CallerIDPool/NameTaken", testPoolNameTaken},
	{"CallerIDPool/Delete", testPoolDelete},
}

func testDirectoryRoundTrip(t *testing.T, st callfloor.Store) {
	a, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	d := &callfloor.DirectoryEntry{Name: " zeta Plumbing ", Number: "+441234567890", Company: " Zeta ", Notes: "Ask for Sam.\nAfter 9."}
	ok(t, st.CreateDirectoryEntry(ctx, d))
	same(t, "created", d, &callfloor.DirectoryEntry{ID: d.ID, AccountID: a.ID, Name: "zeta Plumbing",
		Number: "+441234567890", Company: "Zeta", Notes: "Ask for Sam.\nAfter 9."})
	alpha := &callfloor.DirectoryEntry{Name: "Alpha", Number: "123"}
	ok(t, st.CreateDirectoryEntry(ctx, alpha))
	got, err := st.FindDirectoryEntryByID(ctx, d.ID)
	ok(t, err)
	same(t, "found", got, d)
	list, err := st.ListDirectoryEntries(ctx)
	ok(t, err)
	same(t, "list by name ignoring case", list, []*callfloor.DirectoryEntry{alpha, d})

	upd, err := st.UpdateDirectoryEntry(ctx, d.ID, func(x *callfloor.DirectoryEntry) error {
		x.Name, x.Number, x.Company, x.Notes = "Beta", "*99#", "", ""
		x.ID, x.AccountID = alpha.ID, a.ID+1 // read-only
		return nil
	})
	ok(t, err)
	want := &callfloor.DirectoryEntry{ID: d.ID, AccountID: a.ID, Name: "Beta", Number: "*99#"}
	same(t, "updated", upd, want)
	got, err = st.FindDirectoryEntryByID(ctx, d.ID)
	ok(t, err)
	same(t, "found after update", got, want)
	got, err = st.FindDirectoryEntryByID(ctx, alpha.ID)
	ok(t, err)
	same(t, "other entry", got, alpha)
	_, err = st.UpdateDirectoryEntry(ctx, d.ID, func(x *callfloor.DirectoryEntry) error { x.Number = "call me"; return nil })
	wantErr(t, err, callfloor.ErrInvalidField, "number")

	ok(t, st.DeleteDirectoryEntry(ctx, d.ID))
	_, err = st.FindDirectoryEntryByID(ctx, d.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteDirectoryEntry(ctx, d.ID), callfloor.ErrNotFound, "")
	_, empty := newAccount(t, st, "Empty", callfloor.LicenceNone, 0)
	list, err = st.ListDirectoryEntries(empty)
	ok(t, err)
	same(t, "empty list", list, []*callfloor.DirectoryEntry{})
}

func testPoolRoundTrip(t *testing.T, st callfloor.Store) {
	a, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	p := &callfloor.CallerIDPool{Name: " UK ", Numbers: []string{"+442000000003", "+442000000001", "+442000000002"}}
	ok(t, st.CreateCallerIDPool(ctx, p))
	same(t, "created", p, &callfloor.CallerIDPool{ID: p.ID, AccountID: a.ID, Name: "UK",
		Numbers: []string{"+442000000003", "+442000000001", "+442000000002"}})
	us := mustPool(t, st, ctx, "us", "+15550000001")
	got, err := st.FindCallerIDPoolByID(ctx, p.ID)
	ok(t, err)
	same(t, "found (numbers in order)", got, p)
	list, err := st.ListCallerIDPools(ctx)
	ok(t, err)
	same(t, "list by name ignoring case", list, []*callfloor.CallerIDPool{p, us})

	upd, err := st.UpdateCallerIDPool(ctx, p.ID, func(x *callfloor.CallerIDPool) error {
		x.Name, x.Numbers = "Britain", []string{"+442000000009"}
		x.ID, x.AccountID = us.ID, a.ID+1 // read-only
		return nil
	})
	ok(t, err)
	want := &callfloor.CallerIDPool{ID: p.ID, AccountID: a.ID, Name: "Britain", Numbers: []string{"+442000000009"}}
	same(t, "updated", upd, want)
	got, err = st.FindCallerIDPoolByID(ctx, p.ID)
	ok(t, err)
	same(t, "found after update", got, want)
	got, err = st.FindCallerIDPoolByID(ctx, us.ID)
	ok(t, err)
	same(t, "other pool", got, us)
	_, err = st.UpdateCallerIDPool(ctx, p.ID, func(x *callfloor.CallerIDPool) error { x.Numbers = nil; return nil })
	wantErr(t, err, callfloor.ErrFieldRequired, "numbers")
	_, err = st.UpdateCallerIDPool(ctx, p.ID, func(x *callfloor.CallerIDPool) error {
		x.Numbers = []string{"+1", "+2", "+1"}
		return nil
	})
	wantErr(t, err, callfloor.ErrInvalidField, "numbers[2]")
	_, empty := newAccount(t, st, "Empty", callfloor.LicenceNone, 0)
	list, err = st.ListCallerIDPools(empty)
	ok(t, err)
	same(t, "empty list", list, []*callfloor.CallerIDPool{})
}

func testPoolNameTaken(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	mustPool(t, st, ctx, "Sales", "+15550000001")
	wantErr(t, st.CreateCallerIDPool(ctx, &callfloor.CallerIDPool{Name: "SALES", Numbers: []string{"1"}}),
		callfloor.ErrNameTaken, "name")
	mustPool(t, st, other, "Sales", "+15550000001")
	p := mustPool(t, st, ctx, "Support", "+15550000002")
	_, err := st.UpdateCallerIDPool(ctx, p.ID, func(x *callfloor.CallerIDPool) error { x.Name = "sales"; return nil })
	wantErr(t, err, callfloor.ErrNameTaken, "name")
	_, err = st.UpdateCallerIDPool(ctx, p.ID, func(x *callfloor.CallerIDPool) error { x.Name = "SUPPORT"; return nil })
	ok(t, err)
}

func testPoolDelete(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	p := mustPool(t, st, ctx, "Sales", "+15550000001")
	e := mustExt(t, st, ctx, "201", agentOn, func(e *callfloor.Extension) { e.Agent.CallerIDPoolID = ptr(p.ID) })
	wantErr(t, st.DeleteCallerIDPool(ctx, p.ID), callfloor.ErrInUse, "")
	_, err := st.UpdateExtension(ctx, e.ID, func(x *callfloor.Extension) error { x.Agent.CallerIDPoolID = nil; return nil })
	ok(t, err)
	ok(t, st.DeleteCallerIDPool(ctx, p.ID))
	_, err = st.FindCallerIDPoolByID(ctx, p.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteCallerIDPool(ctx, p.ID), callfloor.ErrNotFound, "")
}
