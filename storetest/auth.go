package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var authTests = []test{
	{"Auth/FindCredentials", testFindCredentials},
	{"Auth/Lockout", testLockout},
	{"Auth/NewPasswordLiftsLockout", testNewPasswordLiftsLockout},
	{"Auth/Sessions", testSessions},
}

func testFindCredentials(t *testing.T, st callfloor.Store) {
	ctx := context.Background()
	_, actx := newAccount(t, st, "Acme Ltd", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	mustUser(t, st, actx, "admin", callfloor.RoleAdmin, nil)
	u := mustUser(t, st, actx, "anna", callfloor.RoleSupervisor, nil)
	mustUser(t, st, other, "bob", callfloor.RoleAdmin, nil)

	got, state, err := st.FindCredentials(ctx, "ACME ltd", "Anna")
	ok(t, err)
	same(t, "user", got, u)
	same(t, "state", state, &callfloor.LoginState{})

	for _, tc := range []struct{ account, username string }{
		{"Acme Ltd", "bob"}, {"Other", "anna"}, {"Nobody", "anna"}, {"", ""},
	} {
		_, _, err := st.FindCredentials(ctx, tc.account, tc.username)
		wantErr(t, err, callfloor.ErrNotFound, "")
	}
	// Disabled users are found: the caller tells them apart.
	_, err = st.UpdateUser(actx, u.ID, func(x *callfloor.User) error { x.Disabled = true; return nil })
	ok(t, err)
	got, _, err = st.FindCredentials(ctx, "Acme Ltd", "anna")
	ok(t, err)
	if !got.Disabled {
		t.Fatal("disabled user found enabled")
	}
}

func testLockout(t *testing.T, st callfloor.Store) {
	ctx := context.Background()
	_, actx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	u := mustUser(t, st, actx, "anna", callfloor.RoleAdmin, nil)
	other := mustUser(t, st, actx, "bob", callfloor.RoleAdmin, nil)
	clock := NewClock(time.Date(2030, 3, 4, 5, 6, 7, 891e6, time.UTC))

	for i := 1; i < callfloor.MaxLoginFailures; i++ {
		state, err := st.RecordLoginFailure(ctx, u.ID, clock.Now())
		ok(t, err)
		same(t, "state", state, &callfloor.LoginState{Failures: i})
		clock.Advance(time.Second)
	}
	_, state, err := st.FindCredentials(ctx, "acme", "anna")
	ok(t, err)
	same(t, "stored state", state, &callfloor.LoginState{Failures: callfloor.MaxLoginFailures - 1})

	locked := clock.Now().Add(callfloor.LoginLockout)
	state, err = st.RecordLoginFailure(ctx, u.ID, clock.Now())
	ok(t, err)
	same(t, "locked state", state, &callfloor.LoginState{LockedUntil: locked})
	_, state, err = st.FindCredentials(ctx, "acme", "anna")
	ok(t, err)
	same(t, "stored locked state", state, &callfloor.LoginState{LockedUntil: locked})
	_, state, err = st.FindCredentials(ctx, "acme", "bob")
	ok(t, err)
	same(t, "other user's state", state, &callfloor.LoginState{})

	// Counting starts again; the lockout stays until a success clears it.
	clock.Advance(callfloor.LoginLockout)
	state, err = st.RecordLoginFailure(ctx, u.ID, clock.Now())
	ok(t, err)
	same(t, "after lockout", state, &callfloor.LoginState{Failures: 1, LockedUntil: locked})

	clock.Advance(time.Minute)
	ok(t, st.RecordLoginSuccess(ctx, u.ID, clock.Now()))
	got, state, err := st.FindCredentials(ctx, "acme", "anna")
	ok(t, err)
	same(t, "state after success", state, &callfloor.LoginState{})
	if got.LastLoginAt == nil || !got.LastLoginAt.Equal(clock.Now()) {
		t.Fatalf("last login %v, want %v", got.LastLoginAt, clock.Now())
	}
	got, _, err = st.FindCredentials(ctx, "acme", "bob")
	ok(t, err)
	if got.ID != other.ID || got.LastLoginAt != nil {
		t.Fatalf("other user %+v", got)
	}

	_, err = st.RecordLoginFailure(ctx, other.ID+1000, clock.Now())
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.RecordLoginSuccess(ctx, other.ID+1000, clock.Now()), callfloor.ErrNotFound, "")
}

func testSessions(t *testing.T, st callfloor.Store) {
	ctx := context.Background()
	a, actx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	b, bctx := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	mustUser(t, st, actx, "admin", callfloor.RoleAdmin, nil)
	u := mustUser(t, st, actx, "anna", callfloor.RoleSupervisor, nil)
	bob := mustUser(t, st, bctx, "bob", callfloor.RoleAdmin, nil)
	clock := NewClock(time.Date(2030, 3, 4, 5, 6, 7, 891e6, time.UTC))

	ses := &callfloor.Session{AccountID: a.ID, UserID: u.ID, TokenHash: []byte{0, 1, 2, 255}, RemoteAddr: "192.0.2.1",
		CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour)}
	ok(t, st.CreateSession(ctx, ses))
	if ses.ID == 0 {
		t.Fatal("session without ID")
	}
	second := &callfloor.Session{AccountID: a.ID, UserID: u.ID, TokenHash: []byte("second"), ExpiresAt: clock.Now().Add(time.Hour)}
	ok(t, st.CreateSession(ctx, second))
	if second.CreatedAt.IsZero() {
		t.Fatal("created_at not set")
	}
	bobs := &callfloor.Session{AccountID: b.ID, UserID: bob.ID, TokenHash: []byte("bob"), ExpiresAt: clock.Now().Add(time.Hour)}
	ok(t, st.CreateSession(ctx, bobs))
	// A session of a user of another account, or of nobody, is refused.
	wantErr(t, st.CreateSession(ctx, &callfloor.Session{AccountID: a.ID, UserID: bob.ID, TokenHash: []byte("x"),
		ExpiresAt: clock.Now().Add(time.Hour)}), callfloor.ErrNotFound, "")

	got, gotUser, err := st.FindSession(ctx, ses.TokenHash, clock.Now())
	ok(t, err)
	same(t, "session", got, ses)
	same(t, "session user", gotUser, u)
	clock.Advance(time.Hour - time.Millisecond)
	_, _, err = st.FindSession(ctx, ses.TokenHash, clock.Now())
	ok(t, err)
	clock.Advance(time.Millisecond)
	_, _, err = st.FindSession(ctx, ses.TokenHash, clock.Now())
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, _, err = st.FindSession(ctx, []byte("unknown"), clock.Now())
	wantErr(t, err, callfloor.ErrNotFound, "")

	early := clock.Now().Add(-time.Minute)
	ok(t, st.DeleteSession(ctx, ses.TokenHash))
	_, _, err = st.FindSession(ctx, ses.TokenHash, early)
	wantErr(t, err, callfloor.ErrNotFound, "")
	ok(t, st.DeleteSession(ctx, ses.TokenHash)) // already gone: fine

	// A disabled user's sessions do not authenticate.
	_, err = st.UpdateUser(actx, u.ID, func(x *callfloor.User) error { x.Disabled = true; return nil })
	ok(t, err)
	_, _, err = st.FindSession(ctx, second.TokenHash, early)
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, err = st.UpdateUser(actx, u.ID, func(x *callfloor.User) error { x.Disabled = false; return nil })
	ok(t, err)
	_, _, err = st.FindSession(ctx, second.TokenHash, early)
	ok(t, err)

	ok(t, st.DeleteUserSessions(ctx, u.ID))
	_, _, err = st.FindSession(ctx, second.TokenHash, early)
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, _, err = st.FindSession(ctx, bobs.TokenHash, early)
	ok(t, err)
}

// testNewPasswordLiftsLockout: an administrator's new password lets a
// locked-out user in at once; other changes leave the lockout alone.
func testNewPasswordLiftsLockout(t *testing.T, st callfloor.Store) {
	ctx := context.Background()
	acc, actx := newAccount(t, st, "Acme Ltd", callfloor.LicenceNone, 0)
	mustUser(t, st, actx, "admin", callfloor.RoleAdmin, nil)
	u := mustUser(t, st, actx, "anna", callfloor.RoleSupervisor, nil)
	now := time.Now()
	for i := 0; i < callfloor.MaxLoginFailures; i++ {
		_, err := st.RecordLoginFailure(ctx, u.ID, now)
		ok(t, err)
	}
	_, err := st.UpdateUser(actx, u.ID, func(u *callfloor.User) error { u.Name = "Anna"; return nil })
	ok(t, err)
	_, state, err := st.FindCredentials(ctx, acc.Name, "anna")
	ok(t, err)
	if !state.LockedUntil.After(now) {
		t.Fatalf("renaming lifted the lockout: %+v", state)
	}
	_, err = st.UpdateUser(actx, u.ID, func(u *callfloor.User) error { u.PasswordHash = "new-hash"; return nil })
	ok(t, err)
	_, state, err = st.FindCredentials(ctx, acc.Name, "anna")
	ok(t, err)
	if state.Failures != 0 || state.LockedUntil.After(now) {
		t.Fatalf("after a new password: %+v", state)
	}
}
