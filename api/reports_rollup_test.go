package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestDispositionReportFollowsTimeZone: the report reads daily rollups,
// dated in the account's zone; when the zone changes, the calls move to
// their dates in the new one (the rollups are made again), and the report
// equals the calls as before.
func TestDispositionReportFollowsTimeZone(t *testing.T) {
	h := newHarness(t)
	// 22:50, 23:20 and 23:50 on 1 March in London: the 2nd in Tokyo.
	h.clock.Advance(13*time.Hour + 50*time.Minute)
	a := h.seed("alpha")
	tok, ext := a.agentTok, a.agentExt.ID
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	for i := range 3 {
		id := fmt.Sprint("z", i)
		sim(t, h, a, "offer", map[string]any{"extension_id": ext, "call_id": id, "direction": "queue_in", "queue_id": a.queue.ID, "from": "+441632960123"})
		sim(t, h, a, "answer", map[string]any{"extension_id": ext, "call_id": id})
		sim(t, h, a, "hangup", map[string]any{"extension_id": ext, "call_id": id})
		agentOK(t, h, "POST", "/api/v1/floor/me/dispositions", tok, map[string]any{"call_id": id, "category": "success", "outcome": "alpha sale"})
		h.clock.Advance(30 * time.Minute)
	}
	report := func(query string) []DispositionCount {
		t.Helper()
		w := h.call("GET", "/api/v1/reports/dispositions"+query, a.supTok, nil)
		wantStatus(t, w, http.StatusOK)
		return decode[list[DispositionCount]](t, w).Items
	}
	if got := report("?from=2025-03-01&to=2025-03-02"); len(got) != 1 || got[0].Date != "2025-03-01" || got[0].Calls != 3 {
		t.Fatalf("in London %+v", got)
	}
	wantStatus(t, h.call("PATCH", "/api/v1/account", a.adminTok, map[string]any{"time_zone": "Asia/Tokyo"}), http.StatusOK)
	if got := report("?from=2025-03-01&to=2025-03-02"); len(got) != 1 || got[0].Date != "2025-03-02" || got[0].Calls != 3 {
		t.Fatalf("in Tokyo %+v", got)
	}
	if got := report("?from=2025-03-01&to=2025-03-01"); len(got) != 0 {
		t.Fatalf("in Tokyo on the 1st %+v", got)
	}
}
