package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/callfloor/callfloor"
)

// fakeCalls records the controls the API asks of the telephony plane and
// answers with err.
type fakeCalls struct {
	mu  sync.Mutex
	log []string
	err error
}

func (f *fakeCalls) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf(format, args...))
	return f.err
}

func (f *fakeCalls) got() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.log, "; ")
}

func (f *fakeCalls) Hangup(_ context.Context, _, ext int64, id string) error {
	return f.record("hangup %d %s", ext, id)
}
func (f *fakeCalls) Hold(_ context.Context, _, ext int64, id string, held bool) error {
	return f.record("hold %d %s %v", ext, id, held)
}
func (f *fakeCalls) Mute(_ context.Context, _, ext int64, id string, muted bool) error {
	return f.record("mute %d %s %v", ext, id, muted)
}
func (f *fakeCalls) SendDTMF(_ context.Context, _, ext int64, id, keys string) error {
	return f.record("dtmf %d %s %s", ext, id, keys)
}
func (f *fakeCalls) Transfer(_ context.Context, _, ext int64, id, number string) error {
	return f.record("transfer %d %s %s", ext, id, number)
}
func (f *fakeCalls) Consult(_ context.Context, _, ext int64, id, number string) (string, error) {
	return "consult-1", f.record("consult %d %s %s", ext, id, number)
}
func (f *fakeCalls) CompleteTransfer(_ context.Context, _, ext int64, id string) error {
	return f.record("complete %d %s", ext, id)
}
func (f *fakeCalls) Conference(_ context.Context, _, ext int64, ids []string) error {
	return f.record("conference %d %s", ext, strings.Join(ids, ","))
}
func (f *fakeCalls) Dial(_ context.Context, _ int64, ext *callfloor.Extension, id, number string) error {
	return f.record("dial %d %s", ext.ID, number)
}

// onCall gives the agent an answered internal call with ID id.
func onCall(t *testing.T, h *harness, tn *tenant, ext int64, id string) {
	t.Helper()
	sim(t, h, tn, "offer", map[string]any{"extension_id": ext, "call_id": id, "direction": "internal_in", "from": "299"})
	sim(t, h, tn, "answer", map[string]any{"extension_id": ext, "call_id": id})
}

func TestCallControls(t *testing.T) {
	fc := &fakeCalls{}
	h := newHarness(t, func(c *Config) { c.Calls = fc })
	tn := h.seed("calls")
	h.setLicences(tn, 5)
	ag, tok := h.newAgent(tn, "241", nil)
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	onCall(t, h, tn, ag.ID, "c1")

	for _, tt := range []struct {
		path string
		body map[string]any
		want string
	}{
		{"hold", map[string]any{"call_id": "c1"}, "hold %d c1 true"},
		{"resume", map[string]any{"call_id": "c1"}, "hold %d c1 false"},
		{"mute", map[string]any{"call_id": "c1"}, "mute %d c1 true"},
		{"unmute", map[string]any{"call_id": "c1"}, "mute %d c1 false"},
		{"dtmf", map[string]any{"call_id": "c1", "digits": "12#*A"}, "dtmf %d c1 12#*A"},
		{"transfer", map[string]any{"call_id": "c1", "number": "242"}, "transfer %d c1 242"},
		{"transfer", map[string]any{"call_id": "c1", "number": "242", "mode": "attended"}, "consult %d c1 242"},
		{"complete-transfer", map[string]any{"call_id": "c1"}, "complete %d c1"},
		{"hangup", map[string]any{"call_id": "c1"}, "hangup %d c1"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			fc.mu.Lock()
			fc.log = nil
			fc.mu.Unlock()
			w := h.call("POST", "/api/v1/floor/me/calls/"+tt.path, tok, tt.body)
			wantStatus(t, w, http.StatusOK)
			res := decode[CallResult](t, w)
			if got, want := fc.got(), fmt.Sprintf(tt.want, ag.ID); got != want {
				t.Fatalf("telephony got %q, want %q", got, want)
			}
			if res.Agent == nil || res.Agent.ExtensionID != ag.ID {
				t.Fatalf("result %+v has no agent", res)
			}
			if tt.body["mode"] == "attended" && res.CallID != "consult-1" {
				t.Fatalf("consultation call id %q", res.CallID)
			}
			// A mute is shown on the line, to this page and every other.
			if tt.path == "mute" || tt.path == "unmute" {
				lines := myFloor(t, h, tok).Lines
				if len(lines) != 1 || lines[0].Muted != (tt.path == "mute") {
					t.Fatalf("after %s the lines are %+v", tt.path, lines)
				}
			}
		})
	}

	// Bad input never reaches the telephony plane.
	fc.mu.Lock()
	fc.log = nil
	fc.mu.Unlock()
	wantError(t, h.call("POST", "/api/v1/floor/me/calls/hold", tok, map[string]any{"call_id": "nope"}), http.StatusConflict, callfloor.ErrUnknownCall, "")
	wantError(t, h.call("POST", "/api/v1/floor/me/calls/hold", tok, map[string]any{}), http.StatusUnprocessableEntity, callfloor.ErrFieldRequired, "call_id")
	wantError(t, h.call("POST", "/api/v1/floor/me/calls/dtmf", tok, map[string]any{"call_id": "c1", "digits": "12x"}), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "digits")
	wantError(t, h.call("POST", "/api/v1/floor/me/calls/transfer", tok, map[string]any{"call_id": "c1", "number": "242", "mode": "sideways"}), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "mode")
	wantError(t, h.call("POST", "/api/v1/floor/me/calls/transfer", tok, map[string]any{"call_id": "c1"}), http.StatusUnprocessableEntity, callfloor.ErrFieldRequired, "number")
	wantError(t, h.call("POST", "/api/v1/floor/me/calls/conference", tok, map[string]any{"call_ids": []string{"c1"}}), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "call_ids")
	if got := fc.got(); got != "" {
		t.Fatalf("refused requests reached the telephony plane: %q", got)
	}

	// The telephony plane's refusal comes back with its code.
	fc.mu.Lock()
	fc.err = callfloor.Errorf(callfloor.ErrCallState, "call c1 is not connected")
	fc.mu.Unlock()
	wantError(t, h.call("POST", "/api/v1/floor/me/calls/hold", tok, map[string]any{"call_id": "c1"}), http.StatusConflict, callfloor.ErrCallState, "")
}

func TestCallControlsFollowTheAgentTab(t *testing.T) {
	fc := &fakeCalls{}
	h := newHarness(t, func(c *Config) { c.Calls = fc })
	tn := h.seed("perm")
	h.setLicences(tn, 5)
	ag, tok := h.newAgent(tn, "251", func(a *callfloor.AgentSettings) {
		a.Permissions.Hold, a.Permissions.Transfer, a.Permissions.DTMF = false, false, false
	})
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	onCall(t, h, tn, ag.ID, "c1")
	for path, body := range map[string]map[string]any{
		"hold":     {"call_id": "c1"},
		"resume":   {"call_id": "c1"},
		"transfer": {"call_id": "c1", "number": "252"},
		"dtmf":     {"call_id": "c1", "digits": "1"},
	} {
		wantError(t, h.call("POST", "/api/v1/floor/me/calls/"+path, tok, body), http.StatusForbidden, callfloor.ErrNotPermitted, "")
	}
	if got := fc.got(); got != "" {
		t.Fatalf("controls the Agent tab forbids reached the telephony plane: %q", got)
	}
	// Mute is still permitted.
	wantStatus(t, h.call("POST", "/api/v1/floor/me/calls/mute", tok, map[string]any{"call_id": "c1"}), http.StatusOK)
}

func TestCallControlsWithoutTelephony(t *testing.T) {
	h := newHarness(t)
	tn := h.seed("notel")
	h.setLicences(tn, 5)
	ag, tok := h.newAgent(tn, "261", nil)
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	onCall(t, h, tn, ag.ID, "c1")
	wantError(t, h.call("POST", "/api/v1/floor/me/calls/hangup", tok, map[string]any{"call_id": "c1"}), http.StatusServiceUnavailable, callfloor.ErrTelephonyOff, "")
}

func TestDialGoesToTheTelephonyPlane(t *testing.T) {
	fc := &fakeCalls{}
	h := newHarness(t, func(c *Config) { c.Calls = fc })
	tn := h.seed("dial")
	h.setLicences(tn, 5)
	ag, tok := h.newAgent(tn, "271", nil)
	h.newAgent(tn, "272", nil)
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	v := agentOK(t, h, "POST", "/api/v1/floor/me/dial", tok, map[string]any{"number": "272"})
	if got, want := fc.got(), fmt.Sprintf("dial %d 272", ag.ID); got != want {
		t.Fatalf("telephony got %q, want %q", got, want)
	}
	if len(v.Lines) != 1 {
		t.Fatalf("lines after dialling: %+v", v.Lines)
	}
	// A dial the telephony plane refuses leaves no line behind.
	wantStatus(t, h.call("POST", "/api/v1/floor/me/calls/hangup", tok, map[string]any{"call_id": v.Lines[0].Call.ID}), http.StatusOK)
	sim(t, h, tn, "hangup", map[string]any{"extension_id": ag.ID, "call_id": v.Lines[0].Call.ID, "reason": "hangup"})
	fc.mu.Lock()
	fc.err = callfloor.FieldError(callfloor.ErrPhoneOffline, "number", "extension 272 has no registered phone")
	fc.mu.Unlock()
	wantError(t, h.call("POST", "/api/v1/floor/me/dial", tok, map[string]any{"number": "272"}), http.StatusConflict, callfloor.ErrPhoneOffline, "number")
	if f := myFloor(t, h, tok); len(f.Lines) != 0 {
		t.Fatalf("a refused dial left lines %+v", f.Lines)
	}
	// A queue's number is no call to place from the workspace: refused
	// before the floor or the telephony plane hear of it.
	fc.mu.Lock()
	fc.err, fc.log = nil, nil
	fc.mu.Unlock()
	wantError(t, h.call("POST", "/api/v1/floor/me/dial", tok, map[string]any{"number": tn.queue.Number}), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "number")
	if got := fc.got(); got != "" {
		t.Errorf("the telephony plane was asked %q", got)
	}
	if f := myFloor(t, h, tok); len(f.Lines) != 0 {
		t.Fatalf("dialling a queue left lines %+v", f.Lines)
	}
}
