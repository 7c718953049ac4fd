package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

// TestTeamAttendancePastDayKept: a past day's team report is kept once
// the journal has moved on to a later date, answered the same from what
// was kept, and folded again when an event of that day comes late.
func TestTeamAttendancePastDayKept(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	tok, ext := a.agentTok, a.agentExt.ID
	ctx := context.Background()
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	queueCall(t, h, a, ext, "k1")
	h.clock.Advance(10 * time.Second)
	agentOK(t, h, "POST", "/api/v1/floor/me/dispositions", tok, map[string]any{"call_id": "k1", "category": "success", "outcome": "alpha sale"})
	agentOK(t, h, "POST", "/api/v1/floor/me/pause", tok, map[string]any{"reason_id": a.reason.ID})
	h.clock.Advance(5 * time.Minute)
	agentOK(t, h, "POST", "/api/v1/floor/me/unpause", tok, nil)
	agentOK(t, h, "POST", "/api/v1/floor/me/logoff", tok, nil)
	// The floor stops; the journal goes on by hand from here.
	h.floor.Close()
	evs, err := h.store.ReadEvents(ctx, a.acc.ID, 0, 1000)
	must(t, err)
	seq := evs[len(evs)-1].Seq
	journal := func(at time.Time, typ callfloor.EventType, state callfloor.AgentState) {
		t.Helper()
		seq++
		e := callfloor.Event{Seq: seq, AccountID: a.acc.ID, At: at, Type: typ, ExtensionID: ext, State: state}
		if typ == callfloor.EventLoggedOff {
			e.LogoffReason = callfloor.LogoffAgent
		}
		must(t, h.store.AppendEvents(ctx, a.acc.ID, []callfloor.Event{e}))
	}
	march := func(day, hour int) time.Time { return time.Date(2025, 3, day, hour, 0, 0, 0, time.UTC) }
	h.clock.Set(march(2, 8))
	get := func() (string, AgentAttendance) {
		t.Helper()
		w := h.call("GET", "/api/v1/reports/attendance?from=2025-03-01&to=2025-03-01", a.apiTokenPlain, nil)
		wantStatus(t, w, http.StatusOK)
		items := decode[list[AgentAttendance]](t, w).Items
		if len(items) != 1 || items[0].ExtensionID != ext {
			t.Fatalf("agents %+v", items)
		}
		return w.Body.String(), items[0]
	}
	kept := func() int {
		t.Helper()
		days, err := h.store.ListAttendanceDays(ctx, a.acc.ID, "2025-03-01", "Europe/London")
		must(t, err)
		return len(days)
	}

	// Past by the clock, but nothing of the 2nd is in the journal yet.
	first, day := get()
	if kept() != 0 {
		t.Fatal("the 1st kept before the journal reached the 2nd")
	}
	if day.Total.Calls != 1 || day.Total.Successful != 1 || day.Logoffs[callfloor.LogoffAgent] != 1 || day.Pauses[a.reason.Name] != 300 {
		t.Fatalf("the 1st %+v", day)
	}
	journal(march(2, 7), callfloor.EventLoggedIn, callfloor.StateIdle)
	if got, _ := get(); got != first || kept() != 1 {
		t.Fatalf("folded and kept (%d), the answer\n%s\nwas\n%s", kept(), got, first)
	}
	if got, _ := get(); got != first {
		t.Fatalf("from what was kept, the answer\n%s\nwas\n%s", got, first)
	}

	// An hour's session of the 1st, journaled late: the kept day goes.
	journal(march(1, 20), callfloor.EventLoggedIn, callfloor.StateIdle)
	journal(march(1, 21), callfloor.EventLoggedOff, callfloor.StateLoggedOff)
	again, late := get()
	if late.Total.LoginSeconds != day.Total.LoginSeconds+3600 || late.Logoffs[callfloor.LogoffAgent] != 2 {
		t.Fatalf("after the late session %+v, before %+v", late, day)
	}
	if got, _ := get(); got != again || kept() != 1 {
		t.Fatalf("kept again (%d), the answer\n%s\nwas\n%s", kept(), got, again)
	}
}
