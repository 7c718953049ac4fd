package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
)

// TestDispositionReport: the outcomes agents chose are counted by day,
// agent, queue, category and outcome; a call that only rang has none;
// another account's never shows.
func TestDispositionReport(t *testing.T) {
	h := newHarness(t)
	a, b := h.seed("alpha"), h.seed("bravo")
	tok, ext := a.agentTok, a.agentExt.ID
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	agentOK(t, h, "POST", "/api/v1/floor/me/login", b.agentTok, nil)
	for i, call := range []struct{ tok, outcome string }{{tok, "alpha sale"}, {tok, ""}, {tok, "alpha sale"}} {
		id := fmt.Sprint("d", i)
		sim(t, h, a, "offer", map[string]any{"extension_id": ext, "call_id": id, "direction": "queue_in", "queue_id": a.queue.ID, "from": "+441632960123"})
		if call.outcome == "" {
			sim(t, h, a, "hangup", map[string]any{"extension_id": ext, "call_id": id, "reason": "no_answer"})
			continue
		}
		sim(t, h, a, "answer", map[string]any{"extension_id": ext, "call_id": id})
		sim(t, h, a, "hangup", map[string]any{"extension_id": ext, "call_id": id})
		agentOK(t, h, "POST", "/api/v1/floor/me/dispositions", call.tok, map[string]any{"call_id": id, "category": "success", "outcome": call.outcome})
	}
	sim(t, h, b, "offer", map[string]any{"extension_id": b.agentExt.ID, "call_id": "b1", "direction": "queue_in", "queue_id": b.queue.ID, "from": "+441632960999"})
	sim(t, h, b, "answer", map[string]any{"extension_id": b.agentExt.ID, "call_id": "b1"})
	sim(t, h, b, "hangup", map[string]any{"extension_id": b.agentExt.ID, "call_id": "b1"})
	agentOK(t, h, "POST", "/api/v1/floor/me/dispositions", b.agentTok, map[string]any{"call_id": "b1", "category": "success", "outcome": "bravo sale"})

	w := h.call("GET", "/api/v1/reports/dispositions", a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	got := decode[list[DispositionCount]](t, w).Items
	want := DispositionCount{Date: h.clock.Now().In(a.acc.Location()).Format(dateLayout), ExtensionID: ext, QueueID: a.queue.ID,
		Category: callfloor.CategorySuccess, Outcome: "alpha sale", Calls: 2}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("dispositions %+v, want [%+v]", got, want)
	}
	wantError(t, h.call("GET", "/api/v1/reports/dispositions?from=2025-01-01&to=2025-12-31", a.supTok, nil), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "to")
}

// TestQueueReport: the ACD's steps of each queue, hour by hour: callers
// offered, answered (within the service level or not), abandoned and
// overflowed, with the mean waits, as the live figures count them.
func TestQueueReport(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	q := a.queue.ID
	rec := func(id, step string, wait time.Duration) {
		t.Helper()
		r := callfloor.CallRecord{CallID: id, Step: step, QueueID: q, WaitMillis: wait.Milliseconds()}
		if _, err := h.floor.Do(context.Background(), a.acc.ID, floor.Record{Call: r}); err != nil {
			t.Fatal(err)
		}
	}
	// 09:00: three callers; one answered in 10 s, one after 40 s (past
	// the 20 s service level), one abandons after 30 s.
	rec("q1", "queued", 0)
	rec("q1", "queue_answered", 10*time.Second)
	rec("q2", "queued", 0)
	rec("q2", "queue_answered", 40*time.Second)
	rec("q3", "queued", 0)
	rec("q3", "abandoned", 30*time.Second)
	// 10:00: one overflows.
	h.clock.Advance(time.Hour)
	rec("q4", "queued", 0)
	rec("q4", "overflowed", time.Minute)
	w := h.call("GET", "/api/v1/reports/queues", a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	got := decode[list[QueueHour]](t, w).Items
	if len(got) != 2 {
		t.Fatalf("hours %+v", got)
	}
	first, second := got[0], got[1]
	if first.Offered != 3 || first.Answered != 2 || first.AnsweredInSL != 1 || first.Abandoned != 1 ||
		first.ServiceLevel < 33.3 || first.ServiceLevel > 33.4 || first.ASASeconds != 25 || first.AbandonWaitSeconds != 30 {
		t.Errorf("09:00 %+v", first)
	}
	if second.Offered != 1 || second.Overflowed != 1 || second.ServiceLevel != 100 || second.Hour.Sub(first.Hour) != time.Hour {
		t.Errorf("10:00 %+v", second)
	}
	wantError(t, h.call("GET", "/api/v1/reports/queues", a.agentTok, nil), http.StatusForbidden, callfloor.ErrForbidden, "")
}
