package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/attendance"
	"github.com/callfloor/callfloor/floor"
)

// The floor endpoints, through HTTP, over the real store and floor engine
// of the harness (the engine's timers run on the harness's fake clock).

// setLicences gives the tenant n agent licences.
func (h *harness) setLicences(tn *tenant, n int) {
	h.t.Helper()
	_, err := h.store.UpdateAccount(context.Background(), tn.acc.ID, func(acc *callfloor.Account) error {
		acc.AgentLicences = n
		return nil
	})
	must(h.t, err)
}

// newAgent makes an agent extension with the default Agent tab changed by
// edit, and an agent user bound to it; it returns the extension and the
// user's session token. The running engine rereads its configuration.
func (h *harness) newAgent(tn *tenant, number string, edit func(*callfloor.AgentSettings)) (*callfloor.Extension, string) {
	h.t.Helper()
	e := &callfloor.Extension{Number: number, Name: tn.marker + " " + number, QueuesFeature: true, Agent: callfloor.DefaultAgentSettings()}
	e.Agent.Enabled = true
	if edit != nil {
		edit(&e.Agent)
	}
	h.createExtension(tn, e)
	u := h.user(tn, tn.marker+"-agent-"+number, callfloor.RoleAgent, &e.ID)
	must(h.t, h.floor.Reload(context.Background(), tn.acc.ID))
	return e, h.login(tn, u.Username)
}

// agentOK sends a floor request that must answer 200 with an agent.
func agentOK(t *testing.T, h *harness, method, path, tok string, body any) AgentView {
	t.Helper()
	w := h.call(method, path, tok, body)
	wantStatus(t, w, http.StatusOK)
	return decode[AgentView](t, w)
}

// sim reports a telephony event as the tenant's admin.
func sim(t *testing.T, h *harness, tn *tenant, op string, body map[string]any) AgentView {
	t.Helper()
	return agentOK(t, h, "POST", "/api/v1/sim/"+op, tn.adminTok, body)
}

func myFloor(t *testing.T, h *harness, tok string) MyFloor {
	t.Helper()
	w := h.call("GET", "/api/v1/floor/me", tok, nil)
	wantStatus(t, w, http.StatusOK)
	return decode[MyFloor](t, w)
}

// queueCall offers, answers and ends a call of the tenant's queue (which
// has dispositions), leaving the agent in wrap-up.
func queueCall(t *testing.T, h *harness, tn *tenant, ext int64, callID string) {
	t.Helper()
	sim(t, h, tn, "offer", map[string]any{"extension_id": ext, "call_id": callID, "direction": "queue_in", "queue_id": tn.queue.ID, "from": "+441632960123"})
	sim(t, h, tn, "answer", map[string]any{"extension_id": ext, "call_id": callID})
	h.clock.Advance(time.Minute)
	if v := sim(t, h, tn, "hangup", map[string]any{"extension_id": ext, "call_id": callID, "reason": "caller hung up"}); v.State != callfloor.StateWrapup {
		t.Fatalf("after a queue call: %+v", v)
	}
}

func TestWorkspaceLifecycle(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	tok, ext := a.agentTok, a.agentExt.ID
	me := "/api/v1/floor/me"

	if f := myFloor(t, h, tok); f.State != callfloor.StateLoggedOff || f.ExtensionID != ext || f.Number != "201" ||
		len(f.Incomplete) != 0 || f.Toolbar != (attendance.Counters{}) || f.LoginAt != nil {
		t.Fatalf("before login: %+v", f)
	}
	v := agentOK(t, h, "POST", me+"/login", tok, nil)
	if v.State != callfloor.StateIdle || v.LoginAt == nil || !v.LoginAt.Equal(h.clock.Now()) || v.UserID != a.agent.ID {
		t.Fatalf("after login: %+v", v)
	}

	h.clock.Advance(time.Minute)
	v = agentOK(t, h, "POST", me+"/pause", tok, map[string]any{"reason_id": a.reason.ID})
	if v.State != callfloor.StatePaused || v.Pause == nil || v.Pause.Name != "alpha lunch" || !v.Since.Equal(h.clock.Now()) {
		t.Fatalf("after pause: %+v", v)
	}
	h.clock.Advance(5 * time.Minute)
	if v = agentOK(t, h, "POST", me+"/unpause", tok, nil); v.State != callfloor.StateIdle || v.Pause != nil {
		t.Fatalf("after unpause: %+v", v)
	}

	// A queue call with dispositions; the pause asked for during it waits.
	h.clock.Advance(time.Minute)
	v = sim(t, h, a, "offer", map[string]any{"extension_id": ext, "call_id": "c1", "direction": "queue_in", "queue_id": a.queue.ID, "from": "+441632960123"})
	if v.State != callfloor.StateRinging || len(v.Lines) != 1 || v.Lines[0].Call.ID != "c1" || v.Lines[0].Answered ||
		v.Lines[0].QueueName != a.queue.Name {
		t.Fatalf("offered: %+v", v)
	}
	if v = sim(t, h, a, "answer", map[string]any{"extension_id": ext, "call_id": "c1"}); v.State != callfloor.StateOnCall || !v.Lines[0].Answered {
		t.Fatalf("answered: %+v", v)
	}
	v = agentOK(t, h, "POST", me+"/pause", tok, map[string]any{"reason_id": a.reason.ID})
	if v.State != callfloor.StateOnCall || v.Pending.Pause == nil || v.Pending.Pause.Name != "alpha lunch" {
		t.Fatalf("pause during a call: %+v", v)
	}
	h.clock.Advance(2 * time.Minute)
	sim(t, h, a, "hangup", map[string]any{"extension_id": ext, "call_id": "c1"})

	f := myFloor(t, h, tok)
	if f.State != callfloor.StateWrapup || f.Wrapup == nil || f.Wrapup.Call.ID != "c1" || f.Wrapup.Call.QueueID != a.queue.ID || f.Wrapup.QueueName != a.queue.Name ||
		!f.Wrapup.DueAt.Equal(h.clock.Now().Add(time.Minute)) || len(f.Wrapup.Outcomes) != 1 || f.Wrapup.Outcomes[0].Name != "alpha sale" ||
		f.Pending.Pause == nil {
		t.Fatalf("wrap-up: %+v", f)
	}

	h.clock.Advance(10 * time.Second)
	v = agentOK(t, h, "POST", me+"/dispositions", tok, map[string]any{"call_id": "c1", "category": "success", "outcome": "alpha sale",
		"notes": "wants the blue one", "tags": []string{"vip"}})
	if v.State != callfloor.StatePaused || v.Pause == nil || v.Pause.Name != "alpha lunch" || v.Pending.Pause != nil || v.Wrapup != nil {
		t.Fatalf("after the disposition, the pending pause: %+v", v)
	}
	h.clock.Advance(3 * time.Minute)
	if f = myFloor(t, h, tok); f.Toolbar != (attendance.Counters{Calls: 1, Successful: 1}) || len(f.Incomplete) != 0 {
		t.Fatalf("toolbar %+v, incomplete %+v", f.Toolbar, f.Incomplete)
	}
	if v = agentOK(t, h, "POST", me+"/logoff", tok, nil); v.State != callfloor.StateLoggedOff || v.Pause != nil {
		t.Fatalf("after logoff: %+v", v)
	}

	// The journal says who did what, and the disposition carries the form.
	var disp *callfloor.Disposition
	for _, ev := range h.journalOf(a) {
		if ev.Type == callfloor.EventDisposition {
			disp = ev.Disposition
		}
		if ev.Type == callfloor.EventLoggedIn && ev.UserID != a.agent.ID {
			t.Errorf("login by %d, want the agent user %d", ev.UserID, a.agent.ID)
		}
	}
	if disp == nil || disp.By != a.agent.ID || disp.Notes != "wants the blue one" || len(disp.Tags) != 1 || disp.Incomplete {
		t.Errorf("disposition %+v", disp)
	}

	// Today's attendance: one session, the two Lunch pauses and the wrap-up.
	h.clock.Advance(time.Minute)
	w := h.call("GET", me+"/attendance", tok, nil)
	wantStatus(t, w, http.StatusOK)
	rep := decode[attendance.Report](t, w)
	if len(rep.Sessions) != 1 || rep.Sessions[0].End == nil || rep.Sessions[0].EndReason != callfloor.LogoffAgent ||
		rep.Sessions[0].Seconds != (12*time.Minute+10*time.Second).Seconds() {
		t.Fatalf("sessions %+v", rep.Sessions)
	}
	var names []string
	for _, p := range rep.Pauses {
		names = append(names, fmt.Sprintf("%s %gs", p.Reason, p.Seconds))
	}
	if got := strings.Join(names, ", "); got != "alpha lunch 300s, Wrapup 10s, alpha lunch 180s" {
		t.Fatalf("pauses: %s", got)
	}
	if len(rep.Days) != 1 || rep.Days[0].Date != "2025-03-01" || rep.Days[0].Calls != 1 || rep.Days[0].Successful != 1 {
		t.Fatalf("days %+v", rep.Days)
	}
	// The supervisor sees the same report; the date range is explicit.
	w = h.call("GET", idPath("/api/v1/floor/agents/%d/attendance?from=2025-02-28&to=2025-03-01", ext), a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	if sup := decode[attendance.Report](t, w); len(sup.Sessions) != 1 || len(sup.Pauses) != 3 || sup.ExtensionID != ext {
		t.Errorf("supervisor's report %+v", sup)
	}
	// A day without activity has none.
	w = h.call("GET", me+"/attendance?from=2025-02-01&to=2025-02-28", tok, nil)
	wantStatus(t, w, http.StatusOK)
	if old := decode[attendance.Report](t, w); len(old.Sessions) != 0 || len(old.Pauses) != 0 || len(old.Days) != 0 {
		t.Errorf("February: %+v", old)
	}
}

// waitState polls the caller's floor until the agent is in state.
func waitState(t *testing.T, h *harness, tok string, state callfloor.AgentState) MyFloor {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f := myFloor(t, h, tok)
		if f.State == state {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent still %s, want %s: %+v", f.State, state, f)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWrapupTimeoutLeavesAnIncompleteDisposition(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	tok, ext := a.agentTok, a.agentExt.ID
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	queueCall(t, h, a, ext, "c7")

	// Past the wrap-up timeout (60 s), the engine submits for the agent.
	h.clock.Advance(61 * time.Second)
	f := waitState(t, h, tok, callfloor.StateIdle)
	if len(f.Incomplete) != 1 {
		t.Fatalf("incomplete %+v", f.Incomplete)
	}
	inc := f.Incomplete[0]
	if inc.Call.ID != "c7" || inc.Call.QueueID != a.queue.ID || inc.Recorded == nil || len(inc.Outcomes) != 1 || inc.Outcomes[0].Name != "alpha sale" ||
		inc.Recorded.Category != callfloor.CategoryUnsure || inc.Recorded.Outcome != callfloor.NoAgentSubmission || inc.Recorded.By != 0 {
		t.Fatalf("incomplete disposition %+v (recorded %+v)", inc, inc.Recorded)
	}
	if f.Toolbar != (attendance.Counters{Calls: 1, Unsure: 1}) {
		t.Errorf("toolbar %+v", f.Toolbar)
	}

	// The agent completes it later: the system's Unsure gives way.
	h.clock.Advance(time.Minute)
	v := agentOK(t, h, "POST", "/api/v1/floor/me/dispositions", tok, map[string]any{"call_id": "c7", "category": "success", "outcome": "alpha sale"})
	if v.State != callfloor.StateIdle {
		t.Errorf("after completing: %+v", v)
	}
	h.clock.Advance(time.Second)
	if f = myFloor(t, h, tok); len(f.Incomplete) != 0 || f.Toolbar != (attendance.Counters{Calls: 1, Successful: 1}) {
		t.Fatalf("after completing: incomplete %+v, toolbar %+v", f.Incomplete, f.Toolbar)
	}
	// Completed once only.
	wantError(t, h.call("POST", "/api/v1/floor/me/dispositions", tok, map[string]any{"call_id": "c7", "category": "success", "outcome": "alpha sale"}),
		http.StatusConflict, callfloor.ErrNoWrapup, "call_id")
}

func TestSupervisorForceLogoff(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	ext := a.agentExt.ID
	path := idPath("/api/v1/floor/agents/%d/logoff", ext)
	agentOK(t, h, "POST", "/api/v1/floor/me/login", a.agentTok, nil)

	// On a call, the logoff waits for the call to end.
	sim(t, h, a, "offer", map[string]any{"extension_id": ext, "call_id": "c1", "direction": "internal_in", "from": "202"})
	sim(t, h, a, "answer", map[string]any{"extension_id": ext, "call_id": "c1"})
	v := agentOK(t, h, "POST", path, a.supTok, nil)
	if v.State != callfloor.StateOnCall || v.Pending.Logoff != callfloor.LogoffSupervisor {
		t.Fatalf("force logoff during a call: %+v", v)
	}
	if v = sim(t, h, a, "hangup", map[string]any{"extension_id": ext, "call_id": "c1"}); v.State != callfloor.StateLoggedOff {
		t.Fatalf("after the call: %+v", v)
	}

	// Idle: at once, and the board shows it.
	agentOK(t, h, "POST", "/api/v1/floor/me/login", a.agentTok, nil)
	if v = agentOK(t, h, "POST", path, a.supTok, nil); v.State != callfloor.StateLoggedOff {
		t.Fatalf("force logoff: %+v", v)
	}
	w := h.call("GET", "/api/v1/floor/agents", a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	if l := decode[list[AgentView]](t, w); len(l.Items) != 1 || l.Items[0].ExtensionID != ext || l.Items[0].State != callfloor.StateLoggedOff {
		t.Fatalf("board %+v", l.Items)
	}
	evs := h.journalOf(a)
	last := evs[len(evs)-1]
	if last.Type != callfloor.EventLoggedOff || last.LogoffReason != callfloor.LogoffSupervisor || last.UserID != a.sup.ID {
		t.Errorf("last event %+v", last)
	}
	// Logged off already: nothing happens, still 200.
	agentOK(t, h, "POST", path, a.supTok, nil)
	if n := len(h.journalOf(a)); n != len(evs) {
		t.Errorf("a second force logoff wrote %d events", n-len(evs))
	}
}

func TestParticipantPause(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	part := a.partExt
	path := idPath("/api/v1/floor/participants/%d/pause", part.ID)
	pause := func(tok string, paused bool) {
		t.Helper()
		wantStatus(t, h.call("POST", path, tok, map[string]any{"queue_id": a.partQueue.ID, "paused": paused}), http.StatusNoContent)
	}
	pause(a.supTok, true)
	// The supervisors' queues board reads which queues it is paused in.
	parts := decode[list[ParticipantView]](t, h.call("GET", "/api/v1/floor/participants", a.supTok, nil)).Items
	if len(parts) != 1 || parts[0].ExtensionID != part.ID || len(parts[0].Queues) != 1 ||
		parts[0].Paused[fmt.Sprint(a.partQueue.ID)].IsZero() {
		t.Fatalf("participants %+v", parts)
	}
	// A user at the participant's desk (agent users need an agent
	// extension, so a supervisor here) unpauses it; no login needed.
	u := h.user(a, "alpha-part", callfloor.RoleSupervisor, &part.ID)
	partTok := h.login(a, u.Username)
	h.clock.Advance(10 * time.Minute)
	pause(partTok, false)
	pause(a.adminTok, false) // already unpaused: nothing happens

	var types []callfloor.EventType
	for _, ev := range h.journalOf(a) {
		if ev.ExtensionID == part.ID {
			if ev.QueueID != a.partQueue.ID {
				t.Errorf("event %+v", ev)
			}
			types = append(types, ev.Type)
		}
	}
	if fmt.Sprint(types) != fmt.Sprint([]callfloor.EventType{callfloor.EventParticipantPaused, callfloor.EventParticipantResume}) {
		t.Errorf("participant events %v", types)
	}
	// The pause is in the participant's report (individual pause details).
	w := h.call("GET", idPath("/api/v1/floor/agents/%d/attendance", part.ID), a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	if rep := decode[attendance.Report](t, w); len(rep.Pauses) != 1 || rep.Pauses[0].QueueID != a.partQueue.ID || rep.Pauses[0].Seconds != 600 {
		t.Errorf("participant report %+v", rep)
	}
	// A participant has no workspace.
	wantError(t, h.call("GET", "/api/v1/floor/me", partTok, nil), http.StatusConflict, callfloor.ErrNotAgent, "")
}

func TestFloorConfigReload(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	tok, ext := a.agentTok, a.agentExt.ID
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil) // the engine runs

	// A new pause reason is usable at once.
	w := h.call("POST", "/api/v1/pause-reasons", a.adminTok, map[string]any{"name": "Training", "code": 5, "productive": true})
	wantStatus(t, w, http.StatusCreated)
	reason := decode[callfloor.PauseReason](t, w)
	v := agentOK(t, h, "POST", "/api/v1/floor/me/pause", tok, map[string]any{"reason_id": reason.ID})
	if v.State != callfloor.StatePaused || v.Pause.Name != "Training" || !v.Pause.Productive {
		t.Fatalf("paused with the new reason: %+v", v)
	}
	agentOK(t, h, "POST", "/api/v1/floor/me/unpause", tok, nil)

	// So is a change of the Agent tab.
	wantError(t, h.call("PUT", "/api/v1/floor/me/auto-answer", tok, map[string]any{"on": true}), http.StatusConflict, callfloor.ErrAutoAnswerFixed, "")
	wantStatus(t, h.call("PATCH", idPath("/api/v1/extensions/%d", ext), a.adminTok, map[string]any{"agent": map[string]any{"auto_answer": "optional"}}), http.StatusOK)
	if v = agentOK(t, h, "PUT", "/api/v1/floor/me/auto-answer", tok, map[string]any{"on": true}); !v.AutoAnswer || v.AutoAnswerSetting != callfloor.AutoAnswerOptional {
		t.Fatalf("auto answer: %+v", v)
	}
	// And of the account's time zone, which the toolbar's day follows.
	wantStatus(t, h.call("PATCH", "/api/v1/account", a.adminTok, map[string]any{"time_zone": "Pacific/Auckland"}), http.StatusOK)
	var loc *time.Location
	must(t, h.floor.View(context.Background(), a.acc.ID, func(_ *floor.State, cfg *floor.Config) { loc = cfg.Location }))
	if loc.String() != "Pacific/Auckland" {
		t.Errorf("engine's time zone %s", loc)
	}
}

func TestAgentDialAndCallControls(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	h.setLicences(a, 5)
	ext, tok := h.newAgent(a, "210", func(s *callfloor.AgentSettings) { s.OutboundQueueID = &a.queue.ID })
	me := "/api/v1/floor/me"
	agentOK(t, h, "POST", me+"/login", tok, nil)

	// An extension number of the account is an internal call.
	v := agentOK(t, h, "POST", me+"/dial", tok, map[string]any{"number": "202"})
	if v.State != callfloor.StateOnCall || len(v.Lines) != 1 || !v.Lines[0].Outbound || v.Lines[0].Call.Direction != callfloor.DirInternalOut ||
		v.Lines[0].Call.To != "202" || v.Lines[0].Call.QueueID != 0 || !strings.HasPrefix(v.Lines[0].Call.ID, "call-") {
		t.Fatalf("internal dial: %+v", v)
	}
	sim(t, h, a, "hangup", map[string]any{"extension_id": ext.ID, "call_id": v.Lines[0].Call.ID})

	// Anything else goes out, counted against the outbound queue.
	v = agentOK(t, h, "POST", me+"/dial", tok, map[string]any{"number": "+441632960777"})
	if len(v.Lines) != 1 || v.Lines[0].Call.Direction != callfloor.DirExternalOut || v.Lines[0].Call.QueueID != a.queue.ID {
		t.Fatalf("external dial: %+v", v)
	}
	call := v.Lines[0].Call.ID
	sim(t, h, a, "answer", map[string]any{"extension_id": ext.ID, "call_id": call})
	if v = sim(t, h, a, "hold", map[string]any{"extension_id": ext.ID, "call_id": call, "held": true}); !v.Lines[0].Held {
		t.Fatalf("held: %+v", v)
	}
	if v = sim(t, h, a, "hold", map[string]any{"extension_id": ext.ID, "call_id": call, "held": false}); v.Lines[0].Held {
		t.Fatalf("resumed: %+v", v)
	}
	// The outbound queue has dispositions: wrap-up follows.
	if v = sim(t, h, a, "hangup", map[string]any{"extension_id": ext.ID, "call_id": call, "reason": "agent hung up"}); v.State != callfloor.StateWrapup {
		t.Fatalf("after the outbound call: %+v", v)
	}
	agentOK(t, h, "POST", me+"/dispositions", tok, map[string]any{"call_id": call, "category": "success", "outcome": "alpha sale"})

	// The dialler's preview.
	v = sim(t, h, a, "preview", map[string]any{"extension_id": ext.ID, "lead_id": 42, "campaign_id": 7})
	if v.State != callfloor.StatePreview || v.Preview == nil || v.Preview.LeadID != 42 || v.Preview.CampaignID != 7 {
		t.Fatalf("preview: %+v", v)
	}
	if v = sim(t, h, a, "preview-end", map[string]any{"extension_id": ext.ID}); v.State != callfloor.StateIdle || v.Preview != nil {
		t.Fatalf("preview ended: %+v", v)
	}
	h.clock.Advance(time.Second)
	if f := myFloor(t, h, tok); f.Toolbar != (attendance.Counters{Calls: 2, Successful: 1}) {
		t.Errorf("toolbar %+v", f.Toolbar)
	}
}

func TestSimulationOff(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Simulate = false })
	a := h.seed("alpha")
	n := 0
	for _, rt := range routeTable() {
		if !rt.ep.simulated {
			continue
		}
		n++
		wantError(t, h.call(rt.Method, rt.Path, a.adminTok, map[string]any{"extension_id": a.agentExt.ID, "call_id": "c1"}),
			http.StatusNotFound, callfloor.ErrSimulationOff, "")
		wantError(t, h.call(rt.Method, rt.Path, "", nil), http.StatusUnauthorized, callfloor.ErrUnauthorized, "")
	}
	if n != 6 {
		t.Errorf("%d simulation routes", n)
	}
	if evs := h.journalOf(a); len(evs) != 0 {
		t.Errorf("journal %+v", evs)
	}
}

// TestFloorRefusals reaches every refusal of the floor endpoints, with its
// status, code and field, and checks that none of them wrote an event.
func TestFloorRefusals(t *testing.T) {
	h := newHarness(t)
	a, b := h.seed("alpha"), h.seed("zeta")
	h.setLicences(a, 10)
	me := "/api/v1/floor/me"

	// 201 (a.agent) stays logged off. The others are set up in a state.
	paused, pausedTok := h.newAgent(a, "211", nil)
	ringing, ringingTok := h.newAgent(a, "212", nil)
	wrapup, wrapupTok := h.newAgent(a, "213", nil)
	_, limitedTok := h.newAgent(a, "214", func(s *callfloor.AgentSettings) { s.Permissions.Pause, s.Permissions.Logoff = false, false })
	_, noDialTok := h.newAgent(a, "215", func(s *callfloor.AgentSettings) { s.Permissions.ManualDial = false })
	plainUser := h.user(a, "alpha-plain", callfloor.RoleSupervisor, &a.plainExt.ID)
	plainTok := h.login(a, plainUser.Username)
	for _, tok := range []string{pausedTok, ringingTok, wrapupTok, limitedTok, noDialTok} {
		agentOK(t, h, "POST", me+"/login", tok, nil)
	}
	agentOK(t, h, "POST", me+"/pause", pausedTok, map[string]any{"reason_id": a.reason.ID})
	sim(t, h, a, "offer", map[string]any{"extension_id": ringing.ID, "call_id": "ring-1", "direction": "external_in", "from": "+441632960100"})
	queueCall(t, h, a, wrapup.ID, "wrap-1")

	const agentsAt = "/api/v1/floor/agents/"
	participant := idPath("/api/v1/floor/participants/%d/pause", a.partExt.ID)
	offer := func(ext int64, callID string) map[string]any {
		return map[string]any{"extension_id": ext, "call_id": callID, "direction": "external_in", "from": "+441632960100"}
	}
	const (
		s403, s404, s409, s422 = http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity
	)
	admin := a.adminTok
	cases := []struct {
		name         string
		tok          string
		method, path string
		body         any
		status       int
		code, field  string
	}{
		// Who is an agent.
		{"user bound to a plain extension", plainTok, "GET", me, nil, s409, callfloor.ErrNotAgent, ""},
		{"supervisor without an extension", a.supTok, "POST", me + "/login", nil, s409, callfloor.ErrNotAgent, ""},
		{"attendance of a non-agent", plainTok, "GET", me + "/attendance", nil, s409, callfloor.ErrNotAgent, ""},
		{"force logoff of a non-agent", a.supTok, "POST", idPath(agentsAt+"%d/logoff", a.plainExt.ID), nil, s409, callfloor.ErrNotAgent, ""},
		{"call offered to a non-agent", admin, "POST", "/api/v1/sim/offer", offer(a.plainExt.ID, "x-1"), s409, callfloor.ErrNotAgent, ""},
		{"agent of another account", a.supTok, "POST", idPath(agentsAt+"%d/logoff", b.agentExt.ID), nil, s404, callfloor.ErrNotFound, ""},
		{"attendance of another account's agent", a.supTok, "GET", idPath(agentsAt+"%d/attendance", b.agentExt.ID), nil, s404, callfloor.ErrNotFound, ""},

		// The agent's state.
		{"pause while logged off", a.agentTok, "POST", me + "/pause", map[string]any{"reason_id": a.reason.ID}, s409, callfloor.ErrAgentLoggedOff, ""},
		{"dial while logged off", a.agentTok, "POST", me + "/dial", map[string]any{"number": "202"}, s409, callfloor.ErrAgentLoggedOff, ""},
		{"call offered to a paused agent", admin, "POST", "/api/v1/sim/offer", offer(paused.ID, "x-2"), s409, callfloor.ErrAgentPaused, ""},
		{"dial while paused", pausedTok, "POST", me + "/dial", map[string]any{"number": "202"}, s409, callfloor.ErrAgentPaused, ""},
		{"second call offered while ringing", admin, "POST", "/api/v1/sim/offer", offer(ringing.ID, "x-3"), s409, callfloor.ErrAgentBusy, ""},
		{"dial while ringing", ringingTok, "POST", me + "/dial", map[string]any{"number": "202"}, s409, callfloor.ErrAgentBusy, ""},
		{"preview while ringing", admin, "POST", "/api/v1/sim/preview", map[string]any{"extension_id": ringing.ID, "lead_id": 1, "campaign_id": 1}, s409, callfloor.ErrAgentBusy, ""},
		{"call offered in wrap-up", admin, "POST", "/api/v1/sim/offer", offer(wrapup.ID, "x-4"), s409, callfloor.ErrInWrapup, ""},
		{"external dial without outbound queue", limitedTok, "POST", me + "/dial", map[string]any{"number": "+441632960555"}, s409, callfloor.ErrNoOutboundQueue, ""},
		{"pause not permitted", limitedTok, "POST", me + "/pause", map[string]any{"reason_id": a.reason.ID}, s403, callfloor.ErrNotPermitted, ""},
		{"logoff not permitted", limitedTok, "POST", me + "/logoff", nil, s403, callfloor.ErrNotPermitted, ""},
		{"manual dial not permitted", noDialTok, "POST", me + "/dial", map[string]any{"number": "202"}, s403, callfloor.ErrNotPermitted, ""},
		{"auto answer set by the admin", a.agentTok, "PUT", me + "/auto-answer", map[string]any{"on": true}, s409, callfloor.ErrAutoAnswerFixed, ""},
		{"disposition of no call", a.agentTok, "POST", me + "/dispositions", map[string]any{"call_id": "nope", "category": "success", "outcome": "alpha sale"}, s409, callfloor.ErrNoWrapup, "call_id"},
		{"disposition of another agent's call", ringingTok, "POST", me + "/dispositions", map[string]any{"call_id": "wrap-1", "category": "success", "outcome": "alpha sale"}, s409, callfloor.ErrNoWrapup, "call_id"},
		{"outcome not of the queue", wrapupTok, "POST", me + "/dispositions", map[string]any{"call_id": "wrap-1", "category": "success", "outcome": "zeta sale"}, s422, callfloor.ErrInvalidOutcome, "outcome"},
		{"outcome in another category", wrapupTok, "POST", me + "/dispositions", map[string]any{"call_id": "wrap-1", "category": "fail", "outcome": "alpha sale"}, s422, callfloor.ErrInvalidOutcome, "outcome"},
		{"system outcome", wrapupTok, "POST", me + "/dispositions", map[string]any{"call_id": "wrap-1", "category": "unsure", "outcome": callfloor.NoAgentSubmission}, s422, callfloor.ErrInvalidOutcome, "outcome"},
		{"answer of no call", admin, "POST", "/api/v1/sim/answer", map[string]any{"extension_id": paused.ID, "call_id": "nope"}, s409, callfloor.ErrUnknownCall, ""},
		{"hold of a ringing call", admin, "POST", "/api/v1/sim/hold", map[string]any{"extension_id": ringing.ID, "call_id": "ring-1", "held": true}, s409, callfloor.ErrUnknownCall, ""},

		// Participants.
		{"participant pause in another queue", a.supTok, "POST", participant, map[string]any{"queue_id": a.queue.ID, "paused": true}, s409, callfloor.ErrNotQueueMember, "queue_id"},
		{"participant pause in another account's queue", a.supTok, "POST", participant, map[string]any{"queue_id": b.partQueue.ID, "paused": true}, s409, callfloor.ErrNotQueueMember, "queue_id"},
		{"agent paused per queue", a.agentTok, "POST", idPath("/api/v1/floor/participants/%d/pause", a.agentExt.ID), map[string]any{"queue_id": a.queue.ID, "paused": true}, s409, callfloor.ErrNotParticipant, ""},
		{"agent user pausing another extension", a.agentTok, "POST", participant, map[string]any{"queue_id": a.partQueue.ID, "paused": true}, s403, callfloor.ErrForbidden, ""},
		{"participant of another account", a.supTok, "POST", idPath("/api/v1/floor/participants/%d/pause", b.partExt.ID), map[string]any{"queue_id": b.partQueue.ID, "paused": true}, s404, callfloor.ErrNotFound, ""},
		{"participant pause without queue", a.supTok, "POST", participant, map[string]any{"paused": true}, s422, callfloor.ErrFieldRequired, "queue_id"},
		{"participant pause without paused", a.supTok, "POST", participant, map[string]any{"queue_id": a.partQueue.ID}, s422, callfloor.ErrFieldRequired, "paused"},

		// Inputs.
		{"pause without reason", pausedTok, "POST", me + "/pause", map[string]any{}, s422, callfloor.ErrFieldRequired, "reason_id"},
		{"pause with an unknown reason", pausedTok, "POST", me + "/pause", map[string]any{"reason_id": 999999}, s422, callfloor.ErrInvalidReference, "reason_id"},
		{"pause with another account's reason", pausedTok, "POST", me + "/pause", map[string]any{"reason_id": b.reason.ID}, s422, callfloor.ErrInvalidReference, "reason_id"},
		{"pause as wrap-up", pausedTok, "POST", me + "/pause", map[string]any{"reason_id": a.wrapup.ID}, s409, callfloor.ErrSystemReason, "reason_id"},
		{"pause with an unknown field", pausedTok, "POST", me + "/pause", map[string]any{"reason_id": a.reason.ID, "why": "tired"}, http.StatusBadRequest, callfloor.ErrUnknownField, "why"},
		{"auto answer without on", a.agentTok, "PUT", me + "/auto-answer", map[string]any{}, s422, callfloor.ErrFieldRequired, "on"},
		{"dial without number", limitedTok, "POST", me + "/dial", map[string]any{}, s422, callfloor.ErrFieldRequired, "number"},
		{"dial a bad number", limitedTok, "POST", me + "/dial", map[string]any{"number": "12ab"}, s422, callfloor.ErrInvalidField, "number"},
		{"dial oneself", limitedTok, "POST", me + "/dial", map[string]any{"number": "214"}, s422, callfloor.ErrInvalidField, "number"},
		{"disposition without call", wrapupTok, "POST", me + "/dispositions", map[string]any{"category": "success", "outcome": "alpha sale"}, s422, callfloor.ErrFieldRequired, "call_id"},
		{"disposition without category", wrapupTok, "POST", me + "/dispositions", map[string]any{"call_id": "wrap-1", "outcome": "alpha sale"}, s422, callfloor.ErrFieldRequired, "category"},
		{"disposition with a bad category", wrapupTok, "POST", me + "/dispositions", map[string]any{"call_id": "wrap-1", "category": "great", "outcome": "alpha sale"}, s422, callfloor.ErrInvalidField, "category"},
		{"disposition without outcome", wrapupTok, "POST", me + "/dispositions", map[string]any{"call_id": "wrap-1", "category": "success"}, s422, callfloor.ErrFieldRequired, "outcome"},
		{"disposition with an empty tag", wrapupTok, "POST", me + "/dispositions", map[string]any{"call_id": "wrap-1", "category": "success", "outcome": "alpha sale", "tags": []string{""}}, s422, callfloor.ErrInvalidField, "tags"},
		{"attendance from a bad date", a.agentTok, "GET", me + "/attendance?from=2025-13-01", nil, s422, callfloor.ErrInvalidField, "from"},
		{"attendance to a bad date", a.agentTok, "GET", me + "/attendance?to=1.3.2025", nil, s422, callfloor.ErrInvalidField, "to"},
		{"attendance to before from", a.agentTok, "GET", me + "/attendance?from=2025-03-01&to=2025-02-28", nil, s422, callfloor.ErrInvalidField, "to"},
		{"attendance at the end of time", a.supTok, "GET", idPath(agentsAt+"%d/attendance?from=9999-12-31&to=9999-12-31", a.agentExt.ID), nil, s422, callfloor.ErrInvalidField, "to"},
		{"attendance in year 1", a.agentTok, "GET", me + "/attendance?from=0001-01-01&to=2025-01-02", nil, s422, callfloor.ErrInvalidField, "from"},
		{"attendance over 92 days", a.supTok, "GET", idPath(agentsAt+"%d/attendance?from=2024-11-29&to=2025-03-01", a.agentExt.ID), nil, s422, callfloor.ErrInvalidField, "to"},

		// The simulated telephony plane's inputs.
		{"sim without extension", admin, "POST", "/api/v1/sim/offer", map[string]any{"call_id": "x", "direction": "external_in"}, s422, callfloor.ErrFieldRequired, "extension_id"},
		{"sim on another account's extension", admin, "POST", "/api/v1/sim/offer", offer(b.agentExt.ID, "x-5"), s422, callfloor.ErrInvalidReference, "extension_id"},
		{"sim without call", admin, "POST", "/api/v1/sim/answer", map[string]any{"extension_id": ringing.ID}, s422, callfloor.ErrFieldRequired, "call_id"},
		{"sim with a bad call id", admin, "POST", "/api/v1/sim/answer", map[string]any{"extension_id": ringing.ID, "call_id": "a b"}, s422, callfloor.ErrInvalidField, "call_id"},
		{"sim with a long call id", admin, "POST", "/api/v1/sim/hangup", map[string]any{"extension_id": ringing.ID, "call_id": strings.Repeat("x", 65)}, s422, callfloor.ErrInvalidField, "call_id"},
		{"sim without direction", admin, "POST", "/api/v1/sim/offer", map[string]any{"extension_id": ringing.ID, "call_id": "x-6"}, s422, callfloor.ErrFieldRequired, "direction"},
		{"sim with a bad direction", admin, "POST", "/api/v1/sim/offer", map[string]any{"extension_id": ringing.ID, "call_id": "x-6", "direction": "sideways"}, s422, callfloor.ErrInvalidField, "direction"},
		{"queue call without queue", admin, "POST", "/api/v1/sim/offer", map[string]any{"extension_id": ringing.ID, "call_id": "x-6", "direction": "queue_in"}, s422, callfloor.ErrFieldRequired, "queue_id"},
		{"queue call from another account's queue", admin, "POST", "/api/v1/sim/offer", map[string]any{"extension_id": ringing.ID, "call_id": "x-6", "direction": "queue_in", "queue_id": b.queue.ID}, s422, callfloor.ErrInvalidReference, "queue_id"},
		{"campaign call without campaign", admin, "POST", "/api/v1/sim/offer", map[string]any{"extension_id": ringing.ID, "call_id": "x-6", "direction": "campaign"}, s422, callfloor.ErrFieldRequired, "campaign_id"},
		{"sim with a bad caller", admin, "POST", "/api/v1/sim/offer", map[string]any{"extension_id": ringing.ID, "call_id": "x-6", "direction": "external_in", "from": "Bob"}, s422, callfloor.ErrInvalidField, "from"},
		{"sim with a bad hangup reason", admin, "POST", "/api/v1/sim/hangup", map[string]any{"extension_id": ringing.ID, "call_id": "ring-1", "reason": "bye\n"}, s422, callfloor.ErrInvalidField, "reason"},
		{"preview without lead", admin, "POST", "/api/v1/sim/preview", map[string]any{"extension_id": ringing.ID, "campaign_id": 1}, s422, callfloor.ErrFieldRequired, "lead_id"},
		{"preview with a negative campaign", admin, "POST", "/api/v1/sim/preview", map[string]any{"extension_id": ringing.ID, "lead_id": 1, "campaign_id": -1}, s422, callfloor.ErrInvalidField, "campaign_id"},
		{"preview end without extension", admin, "POST", "/api/v1/sim/preview-end", map[string]any{}, s422, callfloor.ErrFieldRequired, "extension_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(h.journalOf(a))
			w := h.call(tc.method, tc.path, tc.tok, tc.body)
			wantError(t, w, tc.status, tc.code, tc.field)
			if after := h.journalOf(a); len(after) != before {
				t.Errorf("a refused request wrote events: %+v", after[before:])
			}
		})
	}
}

// TestAcknowledgedSequence: a command that changed the floor answers with
// the sequence number of its last event, which is in the journal; one that
// changed nothing has no such header.
func TestAcknowledgedSequence(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	w := h.call("POST", "/api/v1/floor/me/login", a.agentTok, nil)
	wantStatus(t, w, http.StatusOK)
	seq := w.Header().Get("X-Callfloor-Seq")
	evs, err := h.store.ReadEvents(context.Background(), a.acc.ID, 0, 10)
	must(t, err)
	if len(evs) == 0 || seq != strconv.FormatInt(evs[len(evs)-1].Seq, 10) || evs[len(evs)-1].Type != callfloor.EventLoggedIn {
		t.Fatalf("header %q, journal %+v", seq, evs)
	}
	w = h.call("POST", "/api/v1/floor/me/login", a.agentTok, nil) // already logged in
	wantStatus(t, w, http.StatusOK)
	if got := w.Header().Get("X-Callfloor-Seq"); got != "" {
		t.Fatalf("a command that changed nothing acknowledged seq %s", got)
	}
}

// TestNotesDuringTheCall: notes and tags typed during a call are kept on
// the server, shown with the line and the wrap-up, and kept by a
// disposition that names its outcome by id and brings none of its own.
func TestNotesDuringTheCall(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	h.setLicences(a, 5)
	ag, tok := h.newAgent(a, "251", nil)
	ext := ag.ID
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	sim(t, h, a, "offer", map[string]any{"extension_id": ext, "call_id": "n1", "direction": "queue_in", "queue_id": a.queue.ID, "from": "+441632960123"})
	sim(t, h, a, "answer", map[string]any{"extension_id": ext, "call_id": "n1"})

	v := agentOK(t, h, "PUT", "/api/v1/floor/me/calls/notes", tok, map[string]any{"call_id": "n1", "notes": "wants a quote", "tags": []string{"quote"}})
	if len(v.Lines) != 1 || v.Lines[0].Notes == nil || v.Lines[0].Notes.Notes != "wants a quote" {
		t.Fatalf("line after notes: %+v", v.Lines)
	}
	wantError(t, h.call("PUT", "/api/v1/floor/me/calls/notes", tok, map[string]any{"call_id": "nope", "notes": "x"}), http.StatusConflict, callfloor.ErrUnknownCall, "call_id")
	wantError(t, h.call("PUT", "/api/v1/floor/me/calls/notes", tok, map[string]any{"notes": "x"}), http.StatusUnprocessableEntity, callfloor.ErrFieldRequired, "call_id")

	sim(t, h, a, "hangup", map[string]any{"extension_id": ext, "call_id": "n1"})
	f := myFloor(t, h, tok)
	if f.Wrapup == nil || f.Wrapup.Notes == nil || f.Wrapup.Notes.Notes != "wants a quote" || len(f.Wrapup.Outcomes) == 0 {
		t.Fatalf("wrap-up: %+v", f.Wrapup)
	}
	out := f.Wrapup.Outcomes[0]
	// An id that is not the call's, or that disagrees with the name given, is refused.
	wantError(t, h.call("POST", "/api/v1/floor/me/dispositions", tok, map[string]any{"call_id": "n1", "outcome_id": out.ID + 1000}),
		http.StatusUnprocessableEntity, callfloor.ErrInvalidOutcome, "outcome_id")
	wantError(t, h.call("POST", "/api/v1/floor/me/dispositions", tok, map[string]any{"call_id": "n1", "outcome_id": out.ID, "outcome": "something else"}),
		http.StatusUnprocessableEntity, callfloor.ErrInvalidOutcome, "outcome_id")
	if v := agentOK(t, h, "POST", "/api/v1/floor/me/dispositions", tok, map[string]any{"call_id": "n1", "outcome_id": out.ID}); v.State != callfloor.StateIdle {
		t.Fatalf("after the disposition: %+v", v)
	}
	evs, err := h.store.ReadEvents(context.Background(), a.acc.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var d *callfloor.Disposition
	for _, e := range evs {
		if e.Type == callfloor.EventDisposition {
			d = e.Disposition
		}
	}
	if d == nil || d.Category != out.Category || d.Outcome != out.Name || d.Notes != "wants a quote" || len(d.Tags) != 1 || d.Tags[0] != "quote" {
		t.Fatalf("journaled disposition %+v", d)
	}
}
