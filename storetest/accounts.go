package storetest

import (
	"context"
	"testing"

	"github.com/callfloor/callfloor"
)

var accountTests = []test{
	{"Account/RoundTrip", testAccountRoundTrip},
	{"Account/NameTaken", testAccountNameTaken},
	{"Account/Update", testAccountUpdate},
	{"Account/Licences", testAccountLicences},
}

func testAccountRoundTrip(t *testing.T, st callfloor.Store) {
	ctx := context.Background()
	a := &callfloor.Account{Name: "  Acme Ltd ", TimeZone: "America/New_York",
		LicenceKind: callfloor.LicenceQueueAgentAnalytics, AgentLicences: 7}
	ok(t, st.CreateAccount(ctx, a))
	if a.ID == 0 || a.Name != "Acme Ltd" {
		t.Fatalf("created %+v", a)
	}
	stamped(t, "account", a.CreatedAt, a.UpdatedAt)
	got, err := st.FindAccountByID(ctx, a.ID)
	ok(t, err)
	same(t, "by id", got, a)
	got, err = st.FindAccountByName(ctx, "ACME ltd")
	ok(t, err)
	same(t, "by name", got, a)

	b := &callfloor.Account{Name: "beta", TimeZone: "UTC"}
	ok(t, st.CreateAccount(ctx, b))
	if b.LicenceKind != callfloor.LicenceNone {
		t.Fatalf("default licence kind %q", b.LicenceKind)
	}
	list, err := st.ListAccounts(ctx)
	ok(t, err)
	same(t, "list", list, []*callfloor.Account{a, b})

	_, err = st.FindAccountByID(ctx, b.ID+100)
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, err = st.FindAccountByName(ctx, "gamma")
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.CreateAccount(ctx, &callfloor.Account{Name: "x", TimeZone: "Mars/Base"}), callfloor.ErrInvalidField, "time_zone")

	// Every account has the system pause reason.
	reasons, err := st.ListPauseReasons(callfloor.SystemContext(ctx, a.ID))
	ok(t, err)
	want := &callfloor.PauseReason{ID: reasons[0].ID, AccountID: a.ID, Name: callfloor.WrapupReasonName,
		Code: 0, Productive: true, System: true}
	same(t, "pause reasons", reasons, []*callfloor.PauseReason{want})
}

func testAccountNameTaken(t *testing.T, st callfloor.Store) {
	ctx := context.Background()
	a, _ := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	err := st.CreateAccount(ctx, &callfloor.Account{Name: "ACME", TimeZone: "UTC"})
	wantErr(t, err, callfloor.ErrAccountNameTaken, "name")
	b, _ := newAccount(t, st, "Beta", callfloor.LicenceNone, 0)
	_, err = st.UpdateAccount(ctx, b.ID, func(x *callfloor.Account) error { x.Name = "acme"; return nil })
	wantErr(t, err, callfloor.ErrAccountNameTaken, "name")
	// Changing only the case of one's own name is fine.
	got, err := st.UpdateAccount(ctx, a.ID, func(x *callfloor.Account) error { x.Name = "ACME"; return nil })
	ok(t, err)
	if got.Name != "ACME" {
		t.Fatalf("renamed to %q", got.Name)
	}
}

func testAccountUpdate(t *testing.T, st callfloor.Store) {
	ctx := context.Background()
	a, _ := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, actx := agentAccount(t, st, "Other", 1)
	mustExt(t, st, actx, "200", agentOn)

	got, err := st.UpdateAccount(ctx, a.ID, func(x *callfloor.Account) error {
		x.Name, x.TimeZone = "Acme Two", "Asia/Tokyo"
		x.LicenceKind, x.AgentLicences = callfloor.LicenceAgentExtensions, 3
		// Read-only fields: the store puts them back.
		x.ID, x.AgentsInUse, x.CreatedAt = 999, 42, x.CreatedAt.Add(-1e12)
		return nil
	})
	ok(t, err)
	want := *a
	want.Name, want.TimeZone, want.LicenceKind, want.AgentLicences = "Acme Two", "Asia/Tokyo", callfloor.LicenceAgentExtensions, 3
	want.UpdatedAt = got.UpdatedAt
	same(t, "updated", got, &want)
	if got.UpdatedAt.Before(a.UpdatedAt) {
		t.Fatalf("updated_at went back: %v < %v", got.UpdatedAt, a.UpdatedAt)
	}
	found, err := st.FindAccountByID(ctx, a.ID)
	ok(t, err)
	same(t, "found", found, got)

	// An error from fn is returned as it is and nothing is written.
	_, err = st.UpdateAccount(ctx, a.ID, func(x *callfloor.Account) error { x.Name = "Changed"; return errFn })
	if err != errFn {
		t.Fatalf("fn error came back as %v", err)
	}
	// A validation error is the domain's.
	_, err = st.UpdateAccount(ctx, a.ID, func(x *callfloor.Account) error { x.TimeZone = ""; return nil })
	wantErr(t, err, callfloor.ErrFieldRequired, "time_zone")
	found, err = st.FindAccountByID(ctx, a.ID)
	ok(t, err)
	same(t, "after failed updates", found, got)

	called := false
	_, err = st.UpdateAccount(ctx, a.ID+1000, func(*callfloor.Account) error { called = true; return nil })
	wantErr(t, err, callfloor.ErrNotFound, "")
	if called {
		t.Fatal("fn called for a missing account")
	}
}

func testAccountLicences(t *testing.T, st callfloor.Store) {
	ctx := context.Background()
	a, actx := agentAccount(t, st, "Acme", 3)
	mustExt(t, st, actx, "201", agentOn)
	mustExt(t, st, actx, "202", agentOn)
	mustExt(t, st, actx, "203", queuesOn)
	got, err := st.FindAccountByID(ctx, a.ID)
	ok(t, err)
	if got.AgentsInUse != 2 {
		t.Fatalf("agents in use = %d, want 2", got.AgentsInUse)
	}
	list, err := st.ListAccounts(ctx)
	ok(t, err)
	if list[0].AgentsInUse != 2 {
		t.Fatalf("listed agents in use = %d, want 2", list[0].AgentsInUse)
	}

	tests := []struct {
		name     string
		kind     callfloor.LicenceKind
		licences int
		code     string
		field    string
	}{
		{"below agents in use", callfloor.LicenceAgentExtensions, 1, callfloor.ErrLicenceExhausted, "agent_licences"},
		{"no activation with agents", callfloor.LicenceNone, 0, callfloor.ErrLicenceExhausted, "licence_kind"},
		{"none with licences", callfloor.LicenceNone, 2, callfloor.ErrInvalidField, "agent_licences"},
		{"unknown kind", "gold", 2, callfloor.ErrInvalidField, "licence_kind"},
		{"other activation", callfloor.LicenceQueueAgentAnalytics, 2, "", ""},
		{"exactly the agents in use", callfloor.LicenceAgentExtensions, 2, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.UpdateAccount(ctx, a.ID, func(x *callfloor.Account) error {
				x.LicenceKind, x.AgentLicences = tc.kind, tc.licences
				return nil
			})
			wantErr(t, err, tc.code, tc.field)
			if err == nil && (got.LicenceKind != tc.kind || got.AgentLicences != tc.licences || got.AgentsInUse != 2) {
				t.Fatalf("updated to %+v", got)
			}
		})
	}
}
