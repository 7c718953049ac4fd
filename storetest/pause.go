package storetest

import (
	"testing"

	"github.com/callfloor/callfloor"
)

var pauseTests = []test{
	{"PauseReason/RoundTrip", testPauseRoundTrip},
	{"PauseReason/Rules", testPauseRules},
	{"PauseReason/System", testPauseSystem},
}

func testPauseRoundTrip(t *testing.T, st callfloor.Store) {
	a, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	lunch := &callfloor.PauseReason{Name: " Lunch ", Code: 20, ThresholdSeconds: 3600}
	ok(t, st.CreatePauseReason(ctx, lunch))
	same(t, "created", lunch, &callfloor.PauseReason{ID: lunch.ID, AccountID: a.ID, Name: "Lunch", Code: 20, ThresholdSeconds: 3600})
	training := &callfloor.PauseReason{Name: "Training", Code: 5, Productive: true}
	ok(t, st.CreatePauseReason(ctx, training))
	got, err := st.FindPauseReasonByID(ctx, lunch.ID)
	ok(t, err)
	same(t, "found", got, lunch)
	list, err := st.ListPauseReasons(ctx)
	ok(t, err)
	if len(list) != 3 || !list[0].System {
		t.Fatalf("list = %s", show(list))
	}
	same(t, "list by code", list[1:], []*callfloor.PauseReason{training, lunch})

	upd, err := st.UpdatePauseReason(ctx, lunch.ID, func(x *callfloor.PauseReason) error {
		x.Name, x.Code, x.ThresholdSeconds, x.Productive = "Long lunch", 21, 0, true
		return nil
	})
	ok(t, err)
	want := &callfloor.PauseReason{ID: lunch.ID, AccountID: a.ID, Name: "Long lunch", Code: 21, Productive: true}
	same(t, "updated", upd, want)
	got, err = st.FindPauseReasonByID(ctx, lunch.ID)
	ok(t, err)
	same(t, "found after update", got, want)

	ok(t, st.DeletePauseReason(ctx, lunch.ID))
	_, err = st.FindPauseReasonByID(ctx, lunch.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeletePauseReason(ctx, lunch.ID), callfloor.ErrNotFound, "")
}

func testPauseRules(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	ok(t, st.CreatePauseReason(ctx, &callfloor.PauseReason{Name: "Lunch", Code: 20}))
	tests := []struct {
		name  string
		p     callfloor.PauseReason
		code  string
		field string
	}{
		{"code taken", callfloor.PauseReason{Name: "Dinner", Code: 20}, callfloor.ErrPauseCodeTaken, "code"},
		{"name taken ignoring case", callfloor.PauseReason{Name: "LUNCH", Code: 21}, callfloor.ErrNameTaken, "name"},
		{"system name", callfloor.PauseReason{Name: "wrapup", Code: 22}, callfloor.ErrNameTaken, "name"},
		{"system flag", callfloor.PauseReason{Name: "Mine", Code: 23, System: true}, callfloor.ErrInvalidField, "system"},
		{"code 0", callfloor.PauseReason{Name: "Zero", Code: 0}, callfloor.ErrInvalidField, "code"},
	}
	coffee := &callfloor.PauseReason{Name: "Coffee", Code: 30}
	ok(t, st.CreatePauseReason(ctx, coffee))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			wantErr(t, st.CreatePauseReason(ctx, &p), tc.code, tc.field)
			if tc.p.System {
				return // fn cannot set System: see testPauseSystem
			}
			_, err := st.UpdatePauseReason(ctx, coffee.ID, func(x *callfloor.PauseReason) error {
				x.Name, x.Code = tc.p.Name, tc.p.Code
				return nil
			})
			wantErr(t, err, tc.code, tc.field)
		})
	}
	// Another account has its own codes and names.
	ok(t, st.CreatePauseReason(other, &callfloor.PauseReason{Name: "Lunch", Code: 20}))
	// Keeping one's own code and name is fine.
	_, err := st.UpdatePauseReason(ctx, coffee.ID, func(x *callfloor.PauseReason) error { x.Name = "COFFEE"; return nil })
	ok(t, err)
}

func testPauseSystem(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	list, err := st.ListPauseReasons(ctx)
	ok(t, err)
	wrapup := list[0]
	called := false
	_, err = st.UpdatePauseReason(ctx, wrapup.ID, func(x *callfloor.PauseReason) error { called = true; return nil })
	wantErr(t, err, callfloor.ErrSystemReason, "")
	if called {
		t.Fatal("fn called for the system reason")
	}
	wantErr(t, st.DeletePauseReason(ctx, wrapup.ID), callfloor.ErrSystemReason, "")
	got, err := st.FindPauseReasonByID(ctx, wrapup.ID)
	ok(t, err)
	same(t, "wrapup", got, wrapup)

	// fn cannot make a reason the system one, nor move it.
	p := &callfloor.PauseReason{Name: "Lunch", Code: 20}
	ok(t, st.CreatePauseReason(ctx, p))
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	theirs, err := st.ListPauseReasons(other)
	ok(t, err)
	got, err = st.UpdatePauseReason(ctx, p.ID, func(x *callfloor.PauseReason) error {
		x.System, x.ID, x.AccountID = true, theirs[0].ID, theirs[0].AccountID
		return nil
	})
	ok(t, err)
	same(t, "after read-only changes", got, p)
	found, err := st.FindPauseReasonByID(ctx, p.ID)
	ok(t, err)
	same(t, "found", found, p)
}
