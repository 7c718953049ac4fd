package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/callfloor/callfloor"
)

// fakeFigures answers with figures that name the account asked for.
type fakeFigures struct{}

func (fakeFigures) Stats(_ context.Context, account int64) ([]callfloor.QueueStats, error) {
	return []callfloor.QueueStats{{QueueID: account * 100, Number: "600", Waiting: 2, Answered: 5, ServiceLevel: 80}}, nil
}

func TestQueueStats(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Queues = fakeFigures{} })
	a, b := h.seed("stats-a"), h.seed("stats-b")
	w := h.call("GET", "/api/v1/queues/stats", a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	got := decode[list[callfloor.QueueStats]](t, w)
	if len(got.Items) != 1 || got.Items[0].QueueID != a.acc.ID*100 || got.Items[0].Waiting != 2 || got.Items[0].ServiceLevel != 80 {
		t.Errorf("figures %+v, want account %d's", got.Items, a.acc.ID)
	}
	w = h.call("GET", "/api/v1/queues/stats", b.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	got = decode[list[callfloor.QueueStats]](t, w)
	if len(got.Items) != 1 || got.Items[0].QueueID != b.acc.ID*100 {
		t.Errorf("figures %+v, want account %d's only", got.Items, b.acc.ID)
	}
	// Agents do not see the boards.
	wantStatus(t, h.call("GET", "/api/v1/queues/stats", a.agentTok, nil), http.StatusForbidden)
}

func TestQueueStatsWithoutTelephony(t *testing.T) {
	h := newHarness(t)
	a := h.seed("stats-none")
	wantError(t, h.call("GET", "/api/v1/queues/stats", a.supTok, nil), http.StatusServiceUnavailable, callfloor.ErrTelephonyOff, "")
}
