package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

func loginReq(account, username, pw, ip string) req {
	return req{method: "POST", path: "/api/v1/auth/login", ip: ip,
		body: map[string]string{"account": account, "username": username, "password": pw}}
}

func sessionCookieOf(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatal("no session cookie set")
	return nil
}

func TestLoginWithCookieAndBearer(t *testing.T) {
	for _, secure := range []bool{false, true} {
		h := newHarness(t, func(c *Config) { c.SecureCookies = secure })
		a := h.seed("alpha")
		w := h.do(loginReq("Alpha", "ALPHA-agent", testPassword, ""))
		wantStatus(t, w, http.StatusOK)
		got := decode[loginResponse](t, w)
		if !strings.HasPrefix(got.Token, "cfs_") || got.User.ID != a.agent.ID || !got.ExpiresAt.After(h.clock.Now()) {
			t.Fatalf("login answer %+v", got)
		}
		if strings.Contains(w.Body.String(), "password") {
			t.Errorf("login answer mentions the password: %s", w.Body)
		}
		c := sessionCookieOf(t, w.Result())
		if c.Value != got.Token || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure != secure || c.MaxAge != 12*3600 {
			t.Errorf("cookie %+v (secure %v)", c, secure)
		}

		for _, rq := range []req{
			{method: "GET", path: "/api/v1/auth/me", cookie: got.Token},
			{method: "GET", path: "/api/v1/auth/me", token: got.Token},
		} {
			w := h.do(rq)
			wantStatus(t, w, http.StatusOK)
			me := decode[meResponse](t, w)
			if me.User.ID != a.agent.ID || me.Account.ID != a.acc.ID || me.Extension == nil || me.Extension.ID != a.agentExt.ID {
				t.Errorf("me %+v", me)
			}
		}
		w = h.call("GET", "/api/v1/auth/me", a.adminTok, nil)
		wantStatus(t, w, http.StatusOK)
		if !strings.Contains(w.Body.String(), `"extension":null`) {
			t.Errorf("admin without extension: %s", w.Body)
		}
		// An agent may not read the users, whatever the credential.
		wantError(t, h.do(req{method: "GET", path: "/api/v1/users", cookie: got.Token}), http.StatusForbidden, callfloor.ErrForbidden, "")
	}
}

func TestCrossSiteRequestsWithCookieRefused(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	body := map[string]string{"name": "Plumber", "number": "123"}
	cases := []struct {
		name   string
		rq     req
		status int
	}{
		{"cookie, foreign Origin", req{cookie: a.adminTok, header: map[string]string{"Origin": "https://evil.example"}}, http.StatusForbidden},
		{"cookie, cross-site fetch", req{cookie: a.adminTok, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden},
		{"cookie, same origin", req{cookie: a.adminTok, header: map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"}}, http.StatusCreated},
		{"cookie, no browser headers", req{cookie: a.adminTok}, http.StatusCreated},
		{"bearer, foreign Origin", req{token: a.adminTok, header: map[string]string{"Origin": "https://evil.example"}}, http.StatusCreated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rq := tc.rq
			rq.method, rq.path, rq.body = "POST", "/api/v1/directory", body
			w := h.do(rq)
			if tc.status == http.StatusForbidden {
				wantError(t, w, tc.status, callfloor.ErrForbidden, "")
			} else {
				wantStatus(t, w, tc.status)
			}
		})
	}
	// Reads are safe: a cross-site GET with the cookie is served.
	w := h.do(req{method: "GET", path: "/api/v1/directory", cookie: a.adminTok, header: map[string]string{"Sec-Fetch-Site": "cross-site"}})
	wantStatus(t, w, http.StatusOK)
	// Login from another site is refused too (login CSRF).
	rq := loginReq("alpha", "alpha-admin", testPassword, "")
	rq.header = map[string]string{"Origin": "https://evil.example"}
	wantError(t, h.do(rq), http.StatusForbidden, callfloor.ErrForbidden, "")
}

func TestLogout(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	w := h.do(req{method: "POST", path: "/api/v1/auth/logout", cookie: a.supTok})
	wantStatus(t, w, http.StatusNoContent)
	if c := sessionCookieOf(t, w.Result()); c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("logout cookie %+v does not clear it", c)
	}
	wantError(t, h.do(req{method: "GET", path: "/api/v1/auth/me", cookie: a.supTok}), http.StatusUnauthorized, callfloor.ErrUnauthorized, "")
	if w.Header().Get("WWW-Authenticate") != "" {
		t.Error("204 with WWW-Authenticate")
	}
	// Logging out with an API token leaves the token alone.
	wantStatus(t, h.call("POST", "/api/v1/auth/logout", a.apiTokenPlain, nil), http.StatusNoContent)
	wantStatus(t, h.call("GET", "/api/v1/auth/me", a.apiTokenPlain, nil), http.StatusOK)
}

func TestLoginRefusals(t *testing.T) {
	h := newHarness(t)
	h.seed("alpha")
	w := h.do(loginReq("alpha", "alpha-sup", "wrong password", ""))
	wantError(t, w, http.StatusUnauthorized, callfloor.ErrInvalidCredential, "")
	wrong := w.Body.String()
	for _, rq := range []req{
		loginReq("alpha", "nobody", "wrong password", ""),
		loginReq("nowhere", "alpha-sup", testPassword, ""),
	} {
		if w := h.do(rq); w.Code != http.StatusUnauthorized || w.Body.String() != wrong {
			t.Errorf("answer %d %s, want the same as for a wrong password: %s", w.Code, w.Body, wrong)
		}
	}

	// Failures spread over addresses slow the user down: 429 with
	// Retry-After, for the right password too, but no lockout.
	for i := 1; i < callfloor.MaxLoginFailures; i++ {
		wantError(t, h.do(loginReq("alpha", "alpha-sup", "wrong password", "")), http.StatusUnauthorized, callfloor.ErrInvalidCredential, "")
	}
	w = h.do(loginReq("alpha", "alpha-sup", testPassword, ""))
	wantError(t, w, http.StatusTooManyRequests, callfloor.ErrRateLimited, "")
	if got := w.Header().Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	h.clock.Advance(time.Second)
	wantStatus(t, h.do(loginReq("alpha", "alpha-sup", testPassword, "")), http.StatusOK)

	// Failures from one address lock that address out of the user.
	const guesser = "198.51.100.66"
	for i := 0; i < callfloor.MaxLoginFailures; i++ {
		h.clock.Advance(time.Minute) // past any slow-down
		wantError(t, h.do(loginReq("alpha", "alpha-sup", "wrong password", guesser)), http.StatusUnauthorized, callfloor.ErrInvalidCredential, "")
	}
	w = h.do(loginReq("alpha", "alpha-sup", testPassword, guesser))
	wantError(t, w, http.StatusTooManyRequests, callfloor.ErrLoginLocked, "")
	if got := w.Header().Get("Retry-After"); got != "900" {
		t.Errorf("Retry-After %q, want 900", got)
	}
	h.clock.Advance(time.Minute)
	wantStatus(t, h.do(loginReq("alpha", "alpha-sup", testPassword, "")), http.StatusOK)

	// Rate limit per address.
	const ip = "203.0.113.7"
	for i := 0; i < 20; i++ {
		h.do(loginReq("alpha", "nobody", "x", ip))
	}
	w = h.do(loginReq("alpha", "alpha-admin", testPassword, ip))
	wantError(t, w, http.StatusTooManyRequests, callfloor.ErrRateLimited, "")
	if got := w.Header().Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After %q, want 60", got)
	}
	wantStatus(t, h.do(loginReq("alpha", "alpha-admin", testPassword, "")), http.StatusOK)
}

func TestPasswordChangeAndReset(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	other := h.login(a, "alpha-sup")
	w := h.do(req{method: "PUT", path: "/api/v1/auth/password", cookie: a.supTok,
		body: map[string]string{"current_password": testPassword, "new_password": "a new password"}})
	wantStatus(t, w, http.StatusNoContent)
	wantStatus(t, h.do(req{method: "GET", path: "/api/v1/auth/me", cookie: a.supTok}), http.StatusOK)
	wantError(t, h.call("GET", "/api/v1/auth/me", other, nil), http.StatusUnauthorized, callfloor.ErrUnauthorized, "")
	wantError(t, h.do(loginReq("alpha", "alpha-sup", testPassword, "")), http.StatusUnauthorized, callfloor.ErrInvalidCredential, "")
	wantStatus(t, h.do(loginReq("alpha", "alpha-sup", "a new password", "")), http.StatusOK)

	// An API token cannot change its user's password.
	w = h.call("PUT", "/api/v1/auth/password", a.apiTokenPlain, map[string]string{"current_password": testPassword, "new_password": "another one"})
	wantError(t, w, http.StatusForbidden, callfloor.ErrForbidden, "")

	// An admin's reset ends the user's sessions.
	w = h.call("POST", idPath("/api/v1/users/%d/password", a.agent.ID), a.adminTok, map[string]string{"password": "reset by admin"})
	wantStatus(t, w, http.StatusNoContent)
	wantError(t, h.call("GET", "/api/v1/auth/me", a.agentTok, nil), http.StatusUnauthorized, callfloor.ErrUnauthorized, "")
	wantStatus(t, h.do(loginReq("alpha", "alpha-agent", "reset by admin", "")), http.StatusOK)
}

func TestDisablingEndsSessions(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	w := h.call("PATCH", idPath("/api/v1/users/%d", a.sup.ID), a.adminTok, map[string]bool{"disabled": true})
	wantStatus(t, w, http.StatusOK)
	wantError(t, h.call("GET", "/api/v1/auth/me", a.supTok, nil), http.StatusUnauthorized, callfloor.ErrUnauthorized, "")
	w = h.call("PATCH", idPath("/api/v1/users/%d", a.sup.ID), a.adminTok, map[string]bool{"disabled": false})
	wantStatus(t, w, http.StatusOK)
	wantError(t, h.call("GET", "/api/v1/auth/me", a.supTok, nil), http.StatusUnauthorized, callfloor.ErrUnauthorized, "")
}

func TestLogsKeepSecretsOut(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	h.do(req{method: "GET", path: "/api/v1/users", cookie: a.adminTok})
	h.call("POST", "/api/v1/users", a.adminTok, map[string]string{"username": "newbie", "role": "supervisor", "password": "newbies secret pw"})
	h.do(loginReq("alpha", "alpha-admin", "wrong secret pw", ""))
	logs := h.logs.String()
	for _, secret := range []string{testPassword, "newbies secret pw", "wrong secret pw", a.adminTok, a.apiTokenPlain, "cfs_", "cfk_"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
	want := `route="GET /api/v1/users" status=200`
	if !strings.Contains(logs, want) || !strings.Contains(logs, "account="+idPath("%d", a.acc.ID)+" user="+idPath("%d", a.admin.ID)) {
		t.Errorf("the log lacks %s with account and user:\n%s", want, logs)
	}
}
