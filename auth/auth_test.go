package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/auth"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/password"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
)

const pw = "correct horse"

type env struct {
	ctx   context.Context
	clock *clocktest.Clock
	store *sqlstore.Store
	svc   *auth.Service
	acc   *callfloor.Account
	admin *callfloor.User
	// sys acts as the account's system, for setting things up.
	sys context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	clock := clocktest.New(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "callfloor.db"), sqlstore.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := password.New(password.Fast)
	e := &env{ctx: ctx, clock: clock, store: st,
		svc: auth.NewService(auth.Config{Store: st, Hasher: h, Clock: clock})}
	e.acc = &callfloor.Account{Name: "acme", TimeZone: "Europe/London"}
	if err := st.CreateAccount(ctx, e.acc); err != nil {
		t.Fatal(err)
	}
	e.sys = callfloor.SystemContext(ctx, e.acc.ID)
	e.admin = e.user(t, "boss", callfloor.RoleAdmin, false)
	return e
}

func (e *env) user(t *testing.T, name string, role callfloor.Role, disabled bool) *callfloor.User {
	t.Helper()
	hash, err := password.New(password.Fast).Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	u := &callfloor.User{Username: name, Role: role, PasswordHash: hash, Disabled: disabled}
	if err := e.store.CreateUser(e.sys, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) login(user, password, ip string) (string, error) {
	token, _, _, err := e.svc.Login(e.ctx, "acme", user, password, ip)
	return token, err
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := callfloor.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func TestLoginAuthenticateLogout(t *testing.T) {
	e := newEnv(t)
	token, sess, u, err := e.svc.Login(e.ctx, "ACME", " Boss ", pw, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "cfs_") || len(token) != 4+43 {
		t.Errorf("token %q: want cfs_ and 43 base64url characters", token)
	}
	if u.ID != e.admin.ID || sess.UserID != u.ID || !bytes.Equal(sess.TokenHash, auth.HashToken(token)) {
		t.Errorf("session %+v of user %d", sess, u.ID)
	}
	if got := sess.ExpiresAt.Sub(e.clock.Now()); got != auth.DefaultSessionTTL {
		t.Errorf("session lasts %v, want %v", got, auth.DefaultSessionTTL)
	}
	a, err := e.svc.Authenticate(e.ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if want := (callfloor.Actor{AccountID: e.acc.ID, UserID: e.admin.ID, Role: callfloor.RoleAdmin}); a != want {
		t.Errorf("actor %+v, want %+v", a, want)
	}
	for _, bad := range []string{"", "cfs_", "cfs_" + strings.Repeat("A", 43), auth.NewToken("cfk_"), "Bearer " + token, token + "x"} {
		_, err := e.svc.Authenticate(e.ctx, bad)
		wantCode(t, err, callfloor.ErrUnauthorized)
	}
	if err := e.svc.Logout(e.ctx, token); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(e.ctx, token)
	wantCode(t, err, callfloor.ErrUnauthorized)
}

// TestLockoutCannotBeUsedAsAWeapon: an address that keeps failing for a
// user is locked out of it, but the user from another address is not;
// the failures only slow the user down, by a delay that grows to a minute.
func TestLockoutCannotBeUsedAsAWeapon(t *testing.T) {
	e := newEnv(t)
	const attacker, office = "192.0.2.66", "198.51.100.7"
	for i := 0; i < callfloor.MaxLoginFailures; i++ {
		_, err := e.login("boss", "wrong password", attacker)
		wantCode(t, err, callfloor.ErrInvalidCredential)
	}
	// The attacker's address is locked out of the user, whatever it tries.
	e.clock.Advance(time.Minute)
	_, err := e.login("boss", pw, attacker)
	wantCode(t, err, callfloor.ErrLoginLocked)
	var re *auth.RetryError
	if !errors.As(err, &re) || re.RetryAfter() != callfloor.LoginLockout-time.Minute {
		t.Fatalf("retry after: %v", err)
	}
	if msg := callfloor.ErrorMessage(err); !strings.Contains(msg, "14m0s") {
		t.Errorf("message %q does not tell the remaining time", msg)
	}
	_, err2 := e.login("boss", "another guess", attacker)
	if callfloor.ErrorMessage(err2) != callfloor.ErrorMessage(err) {
		t.Errorf("locked answers differ: %v / %v", err, err2)
	}
	// The real user, from the office, logs in.
	if _, err := e.login("boss", pw, office); err != nil {
		t.Fatalf("the real user from another address: %v", err)
	}
	e.clock.Advance(callfloor.LoginLockout - time.Minute)
	if _, err := e.login("boss", pw, attacker); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

// TestFailuresFromManyAddressesSlowTheUserDown: guesses spread over
// addresses make every attempt for the user wait a delay after the last
// failure, doubling up to a minute, right password or not.
func TestFailuresFromManyAddressesSlowTheUserDown(t *testing.T) {
	e := newEnv(t)
	addr := func(i int) string { return fmt.Sprintf("203.0.113.%d", i+1) }
	for i := 0; i < callfloor.MaxLoginFailures-1; i++ {
		_, err := e.login("boss", "guess", addr(i))
		wantCode(t, err, callfloor.ErrInvalidCredential)
	}
	var waits []time.Duration
	for i := callfloor.MaxLoginFailures - 1; i < callfloor.MaxLoginFailures+8; i++ {
		_, err := e.login("boss", "guess", addr(i))
		wantCode(t, err, callfloor.ErrInvalidCredential)
		_, err = e.login("boss", pw, addr(100+i)) // the right password must wait too
		var re *auth.RetryError
		if callfloor.ErrorCode(err) != callfloor.ErrRateLimited || !errors.As(err, &re) {
			t.Fatalf("attempt after failure %d: %v", i+1, err)
		}
		waits = append(waits, re.RetryAfter())
		e.clock.Advance(re.RetryAfter())
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		want[i] *= time.Second
	}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("delays %v, want %v", waits, want)
	}
	// Once the delay has passed the real user logs in, and the count is over.
	if _, err := e.login("boss", pw, "198.51.100.7"); err != nil {
		t.Fatalf("after the delay: %v", err)
	}
	if _, err := e.login("boss", "guess", "198.51.100.8"); callfloor.ErrorCode(err) != callfloor.ErrInvalidCredential {
		t.Fatalf("a failure after a success starts a new count: %v", err)
	}
}

func TestUnknownUserLooksLikeWrongPassword(t *testing.T) {
	e := newEnv(t)
	e.user(t, "gone", callfloor.RoleSupervisor, true)
	attempts := []struct{ account, user, password string }{
		{"acme", "boss", "wrong password"},
		{"acme", "nobody", "wrong password"},
		{"no-such-account", "boss", pw},
		{"acme", "gone", pw}, // disabled, right password
	}
	var first error
	for _, a := range attempts {
		_, _, _, err := e.svc.Login(e.ctx, a.account, a.user, a.password, "192.0.2.1")
		wantCode(t, err, callfloor.ErrInvalidCredential)
		if first == nil {
			first = err
		} else if err.Error() != first.Error() {
			t.Errorf("%+v: %q, want the same as %q", a, err, first)
		}
	}
	// Unknown names lock like real ones, so a lockout does not tell that
	// a name exists either (each name has failed once above, elsewhere).
	var locked []string
	for _, name := range []string{"boss", "nobody"} {
		var err error
		for i := 0; i <= callfloor.MaxLoginFailures; i++ {
			e.clock.Advance(time.Minute) // past any slow-down
			_, err = e.login(name, "wrong password", "192.0.2.3")
		}
		wantCode(t, err, callfloor.ErrLoginLocked)
		locked = append(locked, err.Error())
	}
	if len(locked) != 2 || locked[0] != locked[1] {
		t.Errorf("lockout answers differ: %q", locked)
	}
}

func TestRateLimitPerAddress(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < auth.DefaultLoginsPerMinute; i++ {
		_, err := e.login("nobody"+string(rune('a'+i)), "x", "192.0.2.1")
		wantCode(t, err, callfloor.ErrInvalidCredential)
	}
	_, err := e.login("boss", pw, "192.0.2.1")
	wantCode(t, err, callfloor.ErrRateLimited)
	var re *auth.RetryError
	if !errors.As(err, &re) || re.RetryAfter() != time.Minute {
		t.Errorf("retry after: %v", err)
	}
	if _, err := e.login("boss", pw, "192.0.2.2"); err != nil {
		t.Errorf("another address: %v", err)
	}
	e.clock.Advance(time.Minute)
	if _, err := e.login("boss", pw, "192.0.2.1"); err != nil {
		t.Errorf("a minute later: %v", err)
	}
}

func TestExpiredSessionRejected(t *testing.T) {
	e := newEnv(t)
	token, err := e.login("boss", pw, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(auth.DefaultSessionTTL - time.Second)
	if _, err := e.svc.Authenticate(e.ctx, token); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	e.clock.Advance(time.Second)
	_, err = e.svc.Authenticate(e.ctx, token)
	wantCode(t, err, callfloor.ErrUnauthorized)
}

func TestDisabledUserRejected(t *testing.T) {
	e := newEnv(t)
	sup := e.user(t, "sup", callfloor.RoleSupervisor, false)
	token, err := e.login("sup", pw, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.UpdateUser(e.sys, sup.ID, func(u *callfloor.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(e.ctx, token)
	wantCode(t, err, callfloor.ErrUnauthorized)
	_, err = e.login("sup", pw, "192.0.2.1")
	wantCode(t, err, callfloor.ErrInvalidCredential)
}

func TestAPIToken(t *testing.T) {
	e := newEnv(t)
	ctx := callfloor.NewContext(e.ctx, callfloor.Actor{AccountID: e.acc.ID, UserID: e.admin.ID, Role: callfloor.RoleAdmin})
	token, tok, err := e.svc.CreateAPIToken(ctx, "CRM sync")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "cfk_") || tok.Prefix != token[4:12] || !bytes.Equal(tok.TokenHash, auth.HashToken(token)) {
		t.Errorf("token %q stored as %+v", token, tok)
	}
	a, err := e.svc.Authenticate(e.ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if a.TokenID != tok.ID || a.UserID != e.admin.ID || a.Role != callfloor.RoleAdmin {
		t.Errorf("actor %+v", a)
	}
	_, _, err = e.svc.CreateAPIToken(ctx, "")
	wantCode(t, err, callfloor.ErrFieldRequired)
	if err := e.store.DeleteAPIToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(e.ctx, token)
	wantCode(t, err, callfloor.ErrUnauthorized)
}

func TestChangeAndResetPassword(t *testing.T) {
	e := newEnv(t)
	mine, err := e.login("boss", pw, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.login("boss", pw, "192.0.2.2")
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.Authenticate(e.ctx, mine)
	if err != nil {
		t.Fatal(err)
	}
	ctx := callfloor.NewContext(e.ctx, a)
	err = e.svc.ChangePassword(ctx, mine, "wrong password", "new password 1", "192.0.2.1")
	wantCode(t, err, callfloor.ErrInvalidField)
	if f := callfloor.ErrorField(err); f != "current_password" {
		t.Errorf("field %q", f)
	}
	err = e.svc.ChangePassword(ctx, mine, pw, "short", "192.0.2.1")
	wantCode(t, err, callfloor.ErrInvalidField)
	if err := e.svc.ChangePassword(ctx, mine, pw, "new password 1", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(e.ctx, mine); err != nil {
		t.Errorf("own session ended: %v", err)
	}
	_, err = e.svc.Authenticate(e.ctx, other)
	wantCode(t, err, callfloor.ErrUnauthorized)
	_, err = e.login("boss", pw, "192.0.2.1")
	wantCode(t, err, callfloor.ErrInvalidCredential)
	if _, err := e.login("boss", "new password 1", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}

	// An admin's reset ends every session of the user.
	sup := e.user(t, "sup", callfloor.RoleSupervisor, false)
	supToken, err := e.login("sup", pw, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ResetPassword(ctx, sup.ID, "reset password"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(e.ctx, supToken)
	wantCode(t, err, callfloor.ErrUnauthorized)
	if _, err := e.login("sup", "reset password", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
}
