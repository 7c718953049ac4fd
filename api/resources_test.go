package api

import (
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
)

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestExtensionLifecycle(t *testing.T) {
	h := newHarness(t)
	a := h.seedWith("alpha", callfloor.LicenceAgentExtensions, 5)
	tok := a.adminTok

	w := h.call("POST", "/api/v1/extensions", tok, map[string]any{"number": "300", "name": "Reception"})
	wantStatus(t, w, http.StatusCreated)
	e := decode[callfloor.Extension](t, w)
	if !strings.HasPrefix(e.SIPUsername, "300-") || len(e.SIPSecret) != 20 || e.AccountID != a.acc.ID {
		t.Fatalf("created %+v", e)
	}
	if e.Agent != callfloor.DefaultAgentSettings() || e.AgentStatus != callfloor.AgentNotEnabled {
		t.Errorf("new extension's agent tab %+v (%s), want the defaults", e.Agent, e.AgentStatus)
	}
	stored, err := h.store.FindExtensionByID(a.ctx, e.ID)
	must(t, err)
	if stored.SIPHA1 != md5hex(e.SIPUsername+":test.realm:"+e.SIPSecret) {
		t.Error("the stored HA1 is not that of the returned secret in the configured realm")
	}
	path := idPath("/api/v1/extensions/%d", e.ID)
	w = h.call("GET", path, tok, nil)
	wantStatus(t, w, http.StatusOK)
	if strings.Contains(w.Body.String(), "sip_secret") {
		t.Errorf("GET shows the secret: %s", w.Body)
	}

	// A chosen secret; then an agent extension.
	w = h.call("POST", "/api/v1/extensions", tok, map[string]any{"number": "301", "sip_secret": "my chosen secret",
		"queues_feature": true, "agent": map[string]any{"enabled": true, "wrapup_timeout_seconds": 120}})
	wantStatus(t, w, http.StatusCreated)
	if e2 := decode[callfloor.Extension](t, w); e2.SIPSecret != "my chosen secret" || e2.AgentStatus != callfloor.AgentEnabled ||
		e2.Agent.WrapupTimeoutSeconds != 120 || e2.Agent.PhoneEngine != callfloor.PhoneWebRTC {
		t.Errorf("created %+v", e2)
	}

	// PATCH changes only what it names; nested objects merge.
	w = h.call("PATCH", path, tok, map[string]any{"name": "Front desk", "agent": map[string]any{"auto_answer": "on"}})
	wantStatus(t, w, http.StatusOK)
	patched := decode[callfloor.Extension](t, w)
	want := e
	want.Name, want.Agent.AutoAnswer, want.SIPSecret, want.UpdatedAt = "Front desk", callfloor.AutoAnswerOn, "", patched.UpdatedAt
	if !extEqual(patched, want) {
		t.Errorf("patched %+v\nwant %+v", patched, want)
	}

	// PUT replaces the agent tab alone: what it omits takes the default.
	w = h.call("PATCH", path, tok, map[string]any{"queues_feature": true})
	wantStatus(t, w, http.StatusOK)
	w = h.call("PUT", path+"/agent", tok, map[string]any{"enabled": true, "phone_engine": "external"})
	wantStatus(t, w, http.StatusOK)
	put := decode[callfloor.Extension](t, w)
	wantAgent := callfloor.DefaultAgentSettings()
	wantAgent.Enabled, wantAgent.PhoneEngine = true, callfloor.PhoneExternal
	if put.Agent != wantAgent || put.Name != "Front desk" || put.AgentStatus != callfloor.AgentEnabled {
		t.Errorf("after PUT agent: %+v", put)
	}

	// Secret reset: generated, then chosen.
	w = h.do(req{method: "POST", path: path + "/sip-secret", token: tok})
	wantStatus(t, w, http.StatusOK)
	creds := decode[sipCredentials](t, w)
	if creds.SIPUsername != e.SIPUsername || len(creds.SIPSecret) != 20 || creds.SIPSecret == e.SIPSecret {
		t.Errorf("reset %+v", creds)
	}
	w = h.call("POST", path+"/sip-secret", tok, map[string]string{"secret": "another secret"})
	wantStatus(t, w, http.StatusOK)
	stored, err = h.store.FindExtensionByID(a.ctx, e.ID)
	must(t, err)
	if stored.SIPHA1 != md5hex(e.SIPUsername+":test.realm:another secret") {
		t.Error("the reset secret is not stored")
	}

	wantStatus(t, h.call("DELETE", path, tok, nil), http.StatusNoContent)
	wantError(t, h.call("GET", path, tok, nil), http.StatusNotFound, callfloor.ErrNotFound, "")
}

func extEqual(a, b callfloor.Extension) bool {
	a.Agent.OutboundQueueID, b.Agent.OutboundQueueID = nil, nil
	a.Agent.CallerIDPoolID, b.Agent.CallerIDPoolID = nil, nil
	return a == b
}

func TestQueuePatchReplacesLists(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	path := idPath("/api/v1/queues/%d", a.queue.ID)
	outcomeID := a.queue.Outcomes[0].ID

	w := h.call("PATCH", path, a.adminTok, map[string]any{"name": "Renamed", "max_callers": 5})
	wantStatus(t, w, http.StatusOK)
	q := decode[callfloor.Queue](t, w)
	if q.Name != "Renamed" || q.MaxCallers != 5 || q.Number != "600" || q.Strategy != callfloor.StrategyLongestIdle ||
		len(q.Members) != 1 || q.Members[0].Penalty != 5 || q.Members[0].Kind != callfloor.MemberAgent || q.Members[0].Number != "201" ||
		len(q.Outcomes) != 1 || q.Outcomes[0].ID != outcomeID {
		t.Fatalf("patched %+v", q)
	}

	// A members list replaces the old one: the old penalty is not merged in.
	w = h.call("PATCH", path, a.adminTok, map[string]any{"members": []map[string]any{{"extension_id": a.agentExt.ID}}})
	wantStatus(t, w, http.StatusOK)
	if q := decode[callfloor.Queue](t, w); len(q.Members) != 1 || q.Members[0].Penalty != 0 {
		t.Errorf("members %+v, want penalty 0", q.Members)
	}

	// An outcome that keeps its id keeps its identity when renamed.
	w = h.call("PATCH", path, a.adminTok, map[string]any{"outcomes": []map[string]any{
		{"id": outcomeID, "category": "success", "name": "Big sale"},
		{"category": "fail", "name": "Wrong number", "fail_scope": "number"},
	}})
	wantStatus(t, w, http.StatusOK)
	q = decode[callfloor.Queue](t, w)
	if len(q.Outcomes) != 2 || q.Outcomes[0].ID != outcomeID || q.Outcomes[0].Name != "Big sale" || q.Outcomes[1].ID == 0 {
		t.Errorf("outcomes %+v", q.Outcomes)
	}

	// Create takes NewQueue's defaults.
	w = h.call("POST", "/api/v1/queues", a.adminTok, map[string]any{"number": "700", "name": "Support"})
	wantStatus(t, w, http.StatusCreated)
	q = decode[callfloor.Queue](t, w)
	def := callfloor.NewQueue("700", "Support")
	if q.Strategy != def.Strategy || q.RingTimeoutSeconds != def.RingTimeoutSeconds || q.ServiceLevelSeconds != def.ServiceLevelSeconds ||
		q.Members == nil || q.Outcomes == nil {
		t.Errorf("created %+v", q)
	}
	wantStatus(t, h.call("DELETE", idPath("/api/v1/queues/%d", q.ID), a.adminTok, nil), http.StatusNoContent)
}

func TestUserLifecycle(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	w := h.call("POST", "/api/v1/users", a.adminTok, map[string]any{
		"username": "Newbie", "name": "New Supervisor", "email": "new@example.com", "role": "supervisor", "password": "long enough phrase"})
	wantStatus(t, w, http.StatusCreated)
	if strings.Contains(w.Body.String(), "password") || strings.Contains(w.Body.String(), "argon2") {
		t.Errorf("the answer shows the password: %s", w.Body)
	}
	u := decode[callfloor.User](t, w)
	if u.Username != "newbie" || u.Role != callfloor.RoleSupervisor || u.AccountID != a.acc.ID {
		t.Errorf("created %+v", u)
	}
	wantStatus(t, h.do(loginReq("alpha", "newbie", "long enough phrase", "")), http.StatusOK)

	path := idPath("/api/v1/users/%d", u.ID)
	w = h.call("PATCH", path, a.adminTok, map[string]any{"name": "Renamed"})
	wantStatus(t, w, http.StatusOK)
	if p := decode[callfloor.User](t, w); p.Name != "Renamed" || p.Email != "new@example.com" || p.Role != callfloor.RoleSupervisor {
		t.Errorf("patched %+v", p)
	}
	// Promote to admin; then the first admin may step down.
	wantStatus(t, h.call("PATCH", path, a.adminTok, map[string]any{"role": "admin"}), http.StatusOK)
	wantStatus(t, h.call("PATCH", idPath("/api/v1/users/%d", a.admin.ID), a.adminTok, map[string]any{"role": "supervisor"}), http.StatusOK)
	// The demotion applies at once to the open session.
	wantError(t, h.call("GET", "/api/v1/tokens", a.adminTok, nil), http.StatusForbidden, callfloor.ErrForbidden, "")

	w = h.call("GET", "/api/v1/users", a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	if l := decode[list[callfloor.User]](t, w); len(l.Items) != 4 {
		t.Errorf("%d users", len(l.Items))
	}
}

func TestAccountAndTokens(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	w := h.call("PATCH", "/api/v1/account", a.adminTok, map[string]any{"name": "Alpha Ltd", "time_zone": "America/New_York"})
	wantStatus(t, w, http.StatusOK)
	acc := decode[callfloor.Account](t, w)
	if acc.Name != "Alpha Ltd" || acc.TimeZone != "America/New_York" || acc.LicenceKind != callfloor.LicenceAgentExtensions || acc.AgentLicences != 1 || acc.AgentsInUse != 1 {
		t.Errorf("account %+v", acc)
	}
	wantStatus(t, h.call("GET", "/api/v1/account", a.supTok, nil), http.StatusOK)

	w = h.call("POST", "/api/v1/tokens", a.adminTok, map[string]string{"name": "CRM"})
	wantStatus(t, w, http.StatusCreated)
	nt := decode[struct {
		callfloor.APIToken
		Token string `json:"token"`
	}](t, w)
	if !strings.HasPrefix(nt.Token, "cfk_") || nt.Prefix != nt.Token[4:12] || nt.Name != "CRM" || nt.UserID != a.admin.ID {
		t.Fatalf("created %+v", nt)
	}
	w = h.call("GET", "/api/v1/tokens", a.adminTok, nil)
	wantStatus(t, w, http.StatusOK)
	if strings.Contains(w.Body.String(), nt.Token) || strings.Contains(w.Body.String(), `"token"`) {
		t.Errorf("the list shows a token: %s", w.Body)
	}
	wantStatus(t, h.call("GET", "/api/v1/users", nt.Token, nil), http.StatusOK)
	wantStatus(t, h.call("DELETE", idPath("/api/v1/tokens/%d", nt.ID), a.adminTok, nil), http.StatusNoContent)
	wantError(t, h.call("GET", "/api/v1/users", nt.Token, nil), http.StatusUnauthorized, callfloor.ErrUnauthorized, "")
}

func TestSimpleResources(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	cases := []struct {
		path          string
		create, patch map[string]any
		check         string // in the patched answer
	}{
		{"/api/v1/pause-reasons", map[string]any{"name": "Training", "code": 2, "productive": true}, map[string]any{"threshold_seconds": 600}, `"threshold_seconds":600`},
		{"/api/v1/directory", map[string]any{"name": "Plumber", "number": "+441632960123"}, map[string]any{"company": "Pipes Ltd"}, `"company":"Pipes Ltd"`},
		{"/api/v1/caller-id-pools", map[string]any{"name": "Sales lines", "numbers": []string{"+441632960010"}}, map[string]any{"numbers": []string{"+441632960011", "+441632960012"}}, `"numbers":["+441632960011","+441632960012"]`},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			w := h.call("POST", tc.path, a.adminTok, tc.create)
			wantStatus(t, w, http.StatusCreated)
			id := decode[struct {
				ID int64 `json:"id"`
			}](t, w).ID
			one := idPath(tc.path+"/%d", id)
			w = h.call("PATCH", one, a.adminTok, tc.patch)
			wantStatus(t, w, http.StatusOK)
			if !strings.Contains(w.Body.String(), tc.check) || !strings.Contains(w.Body.String(), `"name":"`+tc.create["name"].(string)+`"`) {
				t.Errorf("patched %s", w.Body)
			}
			w = h.call("GET", one, a.supTok, nil)
			wantStatus(t, w, http.StatusOK)
			w = h.call("GET", tc.path, a.supTok, nil)
			wantStatus(t, w, http.StatusOK)
			if !strings.Contains(w.Body.String(), tc.create["name"].(string)) {
				t.Errorf("list lacks the new object: %s", w.Body)
			}
			wantStatus(t, h.call("DELETE", one, a.adminTok, nil), http.StatusNoContent)
			wantError(t, h.call("GET", one, a.supTok, nil), http.StatusNotFound, callfloor.ErrNotFound, "")
		})
	}
	// Agents read the pause reasons and the directory, Wrapup first.
	w := h.call("GET", "/api/v1/pause-reasons", a.agentTok, nil)
	wantStatus(t, w, http.StatusOK)
	if l := decode[list[callfloor.PauseReason]](t, w); len(l.Items) != 2 || !l.Items[0].System {
		t.Errorf("pause reasons %+v", l.Items)
	}
	wantStatus(t, h.call("GET", "/api/v1/directory", a.agentTok, nil), http.StatusOK)
}
