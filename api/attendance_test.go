package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

// TestReportsAgreeWithToolbarAndBoard: the team's time and attendance,
// the agent's own toolbar and the supervisors' board count the same
// calls and outcomes from the same floor; the day's state times add up
// to its login time; another account's agent never shows.
func TestReportsAgreeWithToolbarAndBoard(t *testing.T) {
	h := newHarness(t)
	a, b := h.seed("alpha"), h.seed("bravo")
	tok, ext := a.agentTok, a.agentExt.ID
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	for i, outcome := range []string{"alpha sale", "", "alpha sale"} {
		id := fmt.Sprint("r", i)
		sim(t, h, a, "offer", map[string]any{"extension_id": ext, "call_id": id, "direction": "queue_in", "queue_id": a.queue.ID, "from": "+441632960123"})
		h.clock.Advance(5 * time.Second)
		if outcome == "" {
			sim(t, h, a, "hangup", map[string]any{"extension_id": ext, "call_id": id, "reason": "no_answer"}) // rang, not answered
			continue
		}
		sim(t, h, a, "answer", map[string]any{"extension_id": ext, "call_id": id})
		h.clock.Advance(2 * time.Minute)
		sim(t, h, a, "hangup", map[string]any{"extension_id": ext, "call_id": id})
		h.clock.Advance(10 * time.Second)
		agentOK(t, h, "POST", "/api/v1/floor/me/dispositions", tok, map[string]any{"call_id": id, "category": "success", "outcome": outcome})
	}
	h.clock.Advance(time.Minute)
	w := h.call("GET", "/api/v1/reports/attendance", a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	var mine *AgentAttendance
	for _, r := range decode[list[AgentAttendance]](t, w).Items {
		if r.ExtensionID == b.agentExt.ID {
			t.Fatal("another account's agent in the report")
		}
		if r.ExtensionID == ext {
			mine = &r
		}
	}
	if mine == nil {
		t.Fatal("the agent is not in the report")
	}
	me := decode[MyFloor](t, h.call("GET", "/api/v1/floor/me", tok, nil))
	var board AgentView
	for _, v := range decode[list[AgentView]](t, h.call("GET", "/api/v1/floor/agents", a.supTok, nil)).Items {
		if v.ExtensionID == ext {
			board = v
		}
	}
	if mine.Total.Calls != 2 || me.Toolbar.Calls != 2 || board.CallsToday != 2 {
		t.Errorf("calls: report %d, toolbar %d, board %d; want 2 each", mine.Total.Calls, me.Toolbar.Calls, board.CallsToday)
	}
	if mine.Total.Successful != me.Toolbar.Successful || mine.Total.Successful != 2 {
		t.Errorf("successful: report %d, toolbar %d; want 2", mine.Total.Successful, me.Toolbar.Successful)
	}
	tt := mine.Total
	if tt.TalkSeconds != 240 || tt.RingingSeconds != 15 || tt.WrapupSeconds != 20 || tt.Parts() != tt.LoginSeconds {
		t.Errorf("times %+v (parts %v)", tt, tt.Parts())
	}
	if mine.FirstLogin == nil || mine.LastLogoff != nil {
		t.Errorf("login summary %v %v", mine.FirstLogin, mine.LastLogoff)
	}
	wantError(t, h.call("GET", "/api/v1/reports/attendance?from=2025-03-02&to=2025-03-01", a.supTok, nil), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "to")
	wantError(t, h.call("GET", "/api/v1/reports/attendance", a.agentTok, nil), http.StatusForbidden, callfloor.ErrForbidden, "")
}

// TestPauseSummaryByDay: the team report sums each agent's pauses by
// day and reason, with how many there were; the days add up to the
// period's total by reason.
func TestPauseSummaryByDay(t *testing.T) {
	h := newHarness(t) // 2025-03-01 09:00, London on GMT
	a := h.seed("alpha")
	pause := func(tok string, d time.Duration) {
		t.Helper()
		agentOK(t, h, "POST", "/api/v1/floor/me/pause", tok, map[string]any{"reason_id": a.reason.ID})
		h.clock.Advance(d)
		agentOK(t, h, "POST", "/api/v1/floor/me/unpause", tok, nil)
		h.clock.Advance(time.Minute)
	}
	agentOK(t, h, "POST", "/api/v1/floor/me/login", a.agentTok, nil)
	pause(a.agentTok, 10*time.Minute)
	h.clock.Set(time.Date(2025, 3, 2, 9, 0, 0, 0, time.UTC)) // the midnight logoff came between
	tok := h.login(a, a.agent.Username)
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	pause(tok, 3*time.Minute)
	pause(tok, 2*time.Minute)
	sup := h.login(a, a.sup.Username)
	w := h.call("GET", "/api/v1/reports/attendance?from=2025-03-01&to=2025-03-02", sup, nil)
	wantStatus(t, w, http.StatusOK)
	for _, r := range decode[list[AgentAttendance]](t, w).Items {
		if r.ExtensionID != a.agentExt.ID {
			continue
		}
		want := []PauseDay{
			{Date: "2025-03-01", Reason: a.reason.Name, Seconds: 600, Pauses: 1},
			{Date: "2025-03-02", Reason: a.reason.Name, Seconds: 300, Pauses: 2},
		}
		if fmt.Sprint(r.PauseDays) != fmt.Sprint(want) {
			t.Fatalf("pause days %+v, want %+v", r.PauseDays, want)
		}
		if r.Pauses[a.reason.Name] != 900 {
			t.Fatalf("pauses by reason %v, want 900 s of %s", r.Pauses, a.reason.Name)
		}
		return
	}
	t.Fatal("the agent is not in the report")
}
