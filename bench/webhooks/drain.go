package main

import (
	"context"
	"fmt"
	"time"

	"github.com/callfloor/callfloor/bench/internal/benchserver"
)

// endpointHealth is what the API says of an endpoint's backlog.
type endpointHealth struct {
	ID      int64 `json:"id"`
	Cursor  int64 `json:"cursor"`
	Backlog int   `json:"backlog"`
}

// waitDrained waits, at most d, until every endpoint has taken the
// journal up to seq last into its outbox and has nothing pending,
// printing the backlogs every 10 s. It returns when the healthy
// endpoints (all but the first) had drained, or the deadline.
func waitDrained(ctx context.Context, srv *benchserver.Server, admin string, hooks []*hook, last int64, d time.Duration, start time.Time) (time.Time, error) {
	loadEnd := time.Now()
	deadline := loadEnd.Add(d)
	var healthyAt time.Time
	for shown := loadEnd; ; time.Sleep(250 * time.Millisecond) {
		var eps struct{ Items []endpointHealth }
		if err := srv.Do(ctx, admin, "GET", "/api/v1/webhook-endpoints", nil, &eps); err != nil {
			return time.Time{}, err
		}
		now := time.Now()
		healthy, failing := backlogs(eps.Items, hooks, last)
		if healthy == 0 && healthyAt.IsZero() {
			healthyAt = now
			fmt.Printf("# the healthy endpoints drained %.1f s after the load ended (%.1f s after it began)\n",
				now.Sub(loadEnd).Seconds(), now.Sub(start).Seconds())
		}
		if healthy == 0 && failing == 0 {
			fmt.Printf("# the failing endpoint drained %.1f s after the load ended\n", now.Sub(loadEnd).Seconds())
			return healthyAt, nil
		}
		if now.After(deadline) {
			fmt.Printf("# stopped waiting %s after the load: backlog %d on the healthy endpoints, %d on the failing one\n",
				d, healthy, failing)
			if healthyAt.IsZero() {
				healthyAt = now
			}
			return healthyAt, nil
		}
		if now.Sub(shown) >= 10*time.Second {
			shown = now
			fmt.Printf("# +%.0f s after the load: backlog %d on the healthy endpoints, %d on the failing one\n",
				now.Sub(loadEnd).Seconds(), healthy, failing)
		}
	}
}

// backlogs sums the healthy endpoints' backlogs, and the failing one's,
// counting the journal events not yet in an outbox (cursor below last)
// as waiting too.
func backlogs(eps []endpointHealth, hooks []*hook, last int64) (healthy, failing int) {
	byID := map[int64]endpointHealth{}
	for _, e := range eps {
		byID[e.ID] = e
	}
	for i, h := range hooks {
		e := byID[h.id]
		n := e.Backlog + int(max(last-e.Cursor, 0))
		if i == 0 {
			failing += n
		} else {
			healthy += n
		}
	}
	return healthy, failing
}
