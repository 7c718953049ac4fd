package storetest

import (
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var userTests = []test{
	{"User/RoundTrip", testUserRoundTrip},
	{"User/UsernameTaken", testUsernameTaken},
	{"User/Extension", testUserExtension},
	{"User/LastAdmin", testLastAdmin},
	{"User/ReadOnly", testUserReadOnly},
	{"User/DeleteEndsSessionsAndTokens", testDeleteUserEndsAccess},
}

func testUserRoundTrip(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	e := mustExt(t, st, ctx, "201", agentOn)
	u := &callfloor.User{Username: "  Anna.Smith ", Name: "Anna Smith", Email: "anna@example.com",
		Role: callfloor.RoleAgent, ExtensionID: ptr(e.ID), PasswordHash: "$argon2id$hash-one"}
	ok(t, st.CreateUser(ctx, u))
	if u.ID == 0 || u.Username != "anna.smith" || u.AccountID == 0 || u.LastLoginAt != nil {
		t.Fatalf("created %+v", u)
	}
	stamped(t, "user", u.CreatedAt, u.UpdatedAt)
	got, err := st.FindUserByID(ctx, u.ID)
	ok(t, err)
	same(t, "found", got, u)
	admin := mustUser(t, st, ctx, "admin", callfloor.RoleAdmin, nil)
	list, err := st.ListUsers(ctx)
	ok(t, err)
	same(t, "list by username", list, []*callfloor.User{admin, u})

	e2 := mustExt(t, st, ctx, "202")
	upd, err := st.UpdateUser(ctx, u.ID, func(x *callfloor.User) error {
		x.Username, x.Name, x.Email = "anna", "Anna Jones", ""
		x.Role, x.ExtensionID, x.Disabled, x.PasswordHash = callfloor.RoleSupervisor, ptr(e2.ID), true, "$argon2id$hash-two"
		return nil
	})
	ok(t, err)
	want := *u
	want.Username, want.Name, want.Email = "anna", "Anna Jones", ""
	want.Role, want.ExtensionID, want.Disabled, want.PasswordHash = callfloor.RoleSupervisor, ptr(e2.ID), true, "$argon2id$hash-two"
	want.UpdatedAt = upd.UpdatedAt
	same(t, "updated", upd, &want)
	got, err = st.FindUserByID(ctx, u.ID)
	ok(t, err)
	same(t, "found after update", got, &want)
	upd, err = st.UpdateUser(ctx, u.ID, func(x *callfloor.User) error { x.ExtensionID = nil; return nil })
	ok(t, err)
	if upd.ExtensionID != nil {
		t.Fatal("extension not unbound")
	}

	_, err = st.FindUserByID(ctx, u.ID+1000)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.CreateUser(ctx, user("bob", callfloor.RoleAgent, nil)), callfloor.ErrFieldRequired, "extension_id")
	wantErr(t, st.CreateUser(ctx, user("bob", "root", nil)), callfloor.ErrInvalidField, "role")
	ok(t, st.DeleteUser(ctx, u.ID))
	_, err = st.FindUserByID(ctx, u.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteUser(ctx, u.ID), callfloor.ErrNotFound, "")
}

func testUsernameTaken(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	mustUser(t, st, ctx, "anna", callfloor.RoleAdmin, nil)
	wantErr(t, st.CreateUser(ctx, user("ANNA", callfloor.RoleSupervisor, nil)), callfloor.ErrUsernameTaken, "username")
	mustUser(t, st, other, "anna", callfloor.RoleAdmin, nil)
	bob := mustUser(t, st, ctx, "bob", callfloor.RoleAdmin, nil)
	_, err := st.UpdateUser(ctx, bob.ID, func(x *callfloor.User) error { x.Username = "Anna"; return nil })
	wantErr(t, err, callfloor.ErrUsernameTaken, "username")
	_, err = st.UpdateUser(ctx, bob.ID, func(x *callfloor.User) error { x.Name = "Bob B"; return nil })
	ok(t, err)
}

func testUserExtension(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	_, other := agentAccount(t, st, "Other", 5)
	theirs := mustExt(t, st, other, "201", agentOn)
	plain := mustExt(t, st, ctx, "202", queuesOn)
	agent := mustExt(t, st, ctx, "203", agentOn)
	mustUser(t, st, ctx, "admin", callfloor.RoleAdmin, nil)

	tests := []struct {
		name  string
		role  callfloor.Role
		ext   int64
		code  string
		field string
	}{
		{"extension of another account", callfloor.RoleSupervisor, theirs.ID, callfloor.ErrInvalidReference, "extension_id"},
		{"missing extension", callfloor.RoleSupervisor, theirs.ID + 1000, callfloor.ErrInvalidReference, "extension_id"},
		{"agent on a non-agent extension", callfloor.RoleAgent, plain.ID, callfloor.ErrInvalidField, "extension_id"},
	}
	sup := mustUser(t, st, ctx, "sup", callfloor.RoleSupervisor, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, st.CreateUser(ctx, user("x", tc.role, ptr(tc.ext))), tc.code, tc.field)
			_, err := st.UpdateUser(ctx, sup.ID, func(x *callfloor.User) error {
				x.Role, x.ExtensionID = tc.role, ptr(tc.ext)
				return nil
			})
			wantErr(t, err, tc.code, tc.field)
		})
	}
	// A supervisor may use a plain extension; an extension takes one user.
	mustUser(t, st, ctx, "sam", callfloor.RoleSupervisor, ptr(plain.ID))
	anna := mustUser(t, st, ctx, "anna", callfloor.RoleAgent, ptr(agent.ID))
	wantErr(t, st.CreateUser(ctx, user("bob", callfloor.RoleAgent, ptr(agent.ID))), callfloor.ErrExtensionBound, "extension_id")
	_, err := st.UpdateUser(ctx, sup.ID, func(x *callfloor.User) error { x.ExtensionID = ptr(plain.ID); return nil })
	wantErr(t, err, callfloor.ErrExtensionBound, "extension_id")
	// Keeping one's own extension is fine.
	_, err = st.UpdateUser(ctx, anna.ID, func(x *callfloor.User) error { x.Name = "Anna A"; return nil })
	ok(t, err)
}

func testLastAdmin(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	mustUser(t, st, other, "root", callfloor.RoleAdmin, nil)
	admin := mustUser(t, st, ctx, "admin", callfloor.RoleAdmin, nil)
	off := mustUser(t, st, ctx, "off", callfloor.RoleAdmin, nil)
	_, err := st.UpdateUser(ctx, off.ID, func(x *callfloor.User) error { x.Disabled = true; return nil })
	ok(t, err)

	// A disabled admin and another account's admin do not count.
	_, err = st.UpdateUser(ctx, admin.ID, func(x *callfloor.User) error { x.Role = callfloor.RoleSupervisor; return nil })
	wantErr(t, err, callfloor.ErrLastAdmin, "role")
	_, err = st.UpdateUser(ctx, admin.ID, func(x *callfloor.User) error { x.Disabled = true; return nil })
	wantErr(t, err, callfloor.ErrLastAdmin, "disabled")
	wantErr(t, st.DeleteUser(ctx, admin.ID), callfloor.ErrLastAdmin, "")
	// Disabled admins may go.
	ok(t, st.DeleteUser(ctx, off.ID))

	second := mustUser(t, st, ctx, "second", callfloor.RoleAdmin, nil)
	_, err = st.UpdateUser(ctx, admin.ID, func(x *callfloor.User) error { x.Role = callfloor.RoleSupervisor; return nil })
	ok(t, err)
	wantErr(t, st.DeleteUser(ctx, second.ID), callfloor.ErrLastAdmin, "")
	_, err = st.UpdateUser(ctx, admin.ID, func(x *callfloor.User) error { x.Role = callfloor.RoleAdmin; return nil })
	ok(t, err)
	ok(t, st.DeleteUser(ctx, second.ID))
}

func testUserReadOnly(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	theirs := mustUser(t, st, other, "theirs", callfloor.RoleAdmin, nil)
	u := mustUser(t, st, ctx, "anna", callfloor.RoleAdmin, nil)
	login := time.Date(2030, 1, 2, 3, 4, 5, 6e6, time.UTC)
	ok(t, st.RecordLoginSuccess(ctx, u.ID, login))
	got, err := st.UpdateUser(ctx, u.ID, func(x *callfloor.User) error {
		x.ID, x.AccountID, x.CreatedAt = theirs.ID, theirs.AccountID, x.CreatedAt.Add(-time.Hour)
		x.LastLoginAt = nil
		return nil
	})
	ok(t, err)
	want := *u
	want.LastLoginAt, want.UpdatedAt = &login, got.UpdatedAt
	same(t, "after read-only changes", got, &want)
	found, err := st.FindUserByID(ctx, u.ID)
	ok(t, err)
	same(t, "found", found, &want)
	found, err = st.FindUserByID(other, theirs.ID)
	ok(t, err)
	same(t, "other account's user", found, theirs)
}

func testDeleteUserEndsAccess(t *testing.T, st callfloor.Store) {
	a, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	mustUser(t, st, ctx, "admin", callfloor.RoleAdmin, nil)
	u := mustUser(t, st, ctx, "anna", callfloor.RoleSupervisor, nil)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	ses := &callfloor.Session{AccountID: a.ID, UserID: u.ID, TokenHash: []byte("session-hash"), ExpiresAt: now.Add(time.Hour)}
	ok(t, st.CreateSession(ctx, ses))
	tok := &callfloor.APIToken{Name: "CRM", Prefix: "cf_abc", TokenHash: []byte("token-hash")}
	ok(t, st.CreateAPIToken(actorCtx(a.ID, u.ID, callfloor.RoleSupervisor), tok))

	ok(t, st.DeleteUser(ctx, u.ID))
	_, _, err := st.FindSession(ctx, ses.TokenHash, now)
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, _, err = st.FindAPIToken(ctx, tok.TokenHash, now)
	wantErr(t, err, callfloor.ErrNotFound, "")
	list, err := st.ListAPITokens(ctx)
	ok(t, err)
	same(t, "tokens", list, []*callfloor.APIToken{})
}
