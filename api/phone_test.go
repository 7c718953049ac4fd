package api

import (
	"net/http"
	"testing"

	"github.com/callfloor/callfloor"
)

// TestMyPhone: an agent on the page phone gets the WebSocket URL, its
// own SIP username, the realm, the HA1 of its secret (never the secret)
// and the ICE servers; on the external engine, only the engine; without
// a WebSocket listener, telephony_unavailable; a user without an
// extension, not_agent.
func TestMyPhone(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	w := h.do(req{method: "GET", path: "/api/v1/floor/me/phone", token: a.agentTok})
	wantStatus(t, w, http.StatusOK)
	p := decode[PhoneSettings](t, w)
	if p.Engine != callfloor.PhoneWebRTC || p.WebSocketURL != "ws://127.0.0.1:5066" || p.Username != a.agentExt.SIPUsername ||
		p.Realm != "test.realm" || p.HA1 != a.agentExt.SIPHA1 || p.HA1 == "" || p.URI != "sip:"+a.agentExt.SIPUsername+"@test.realm" ||
		len(p.ICEServers) != 1 || p.ICEServers[0].URLs[0] != "stun:stun.test.invalid:3478" {
		t.Fatalf("phone %+v", p)
	}

	if _, err := h.store.UpdateExtension(a.ctx, a.agentExt.ID, func(e *callfloor.Extension) error {
		e.Agent.PhoneEngine = callfloor.PhoneExternal
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w = h.do(req{method: "GET", path: "/api/v1/floor/me/phone", token: a.agentTok})
	wantStatus(t, w, http.StatusOK)
	if p := decode[PhoneSettings](t, w); p.Engine != callfloor.PhoneExternal || p.HA1 != "" || p.WebSocketURL != "" {
		t.Fatalf("external engine: %+v", p)
	}

	w = h.do(req{method: "GET", path: "/api/v1/floor/me/phone", token: a.supTok})
	wantError(t, w, http.StatusConflict, callfloor.ErrNotAgent, "")

	noWS := newHarness(t, func(c *Config) { c.BrowserPhone = nil })
	b := noWS.seed("beta")
	w = noWS.do(req{method: "GET", path: "/api/v1/floor/me/phone", token: b.agentTok})
	wantError(t, w, http.StatusServiceUnavailable, callfloor.ErrTelephonyOff, "")
}
