package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor/bench/internal/benchserver"
)

// load is what the agents' commands came to.
type load struct {
	offered int64 // commands due by the schedule
	skipped int64 // due while the agent's previous one was still unanswered
	applied int64
	failed  int64
	lastSeq int64 // of the latest event the commands made
	took    time.Duration
}

// drive has each agent pause and unpause in turn, one command after
// another, so that together they offer rate commands a second for d:
// agent i's k-th command is due at (k*agents+i)/rate s. A command is
// sent when due; one that is still waiting for the agent's previous
// answer a whole turn (agents/rate s) after it was due is skipped and
// counted, so the rate offered is the rate asked for, and what the
// server could not take shows as skipped rather than as a queue that
// drains after the run.
func drive(ctx context.Context, srv *benchserver.Server, tokens []string, reasonID int64, rate int, d time.Duration) load {
	var l load
	n := len(tokens)
	turn := time.Duration(n) * time.Second / time.Duration(rate)
	var offered, skipped, applied, failed, lastSeq atomic.Int64
	start := time.Now()
	var agents sync.WaitGroup
	for i, token := range tokens {
		agents.Add(1)
		go func() {
			defer agents.Done()
			paused := false
			for k := 0; ; k++ {
				due := time.Duration(i)*time.Second/time.Duration(rate) + time.Duration(k)*turn
				if due >= d {
					return
				}
				offered.Add(1)
				if wait := time.Until(start.Add(due)); wait > 0 {
					time.Sleep(wait)
				} else if -wait > turn {
					skipped.Add(1)
					continue
				}
				path, body := "/api/v1/floor/me/pause", any(map[string]any{"reason_id": reasonID})
				if paused {
					path, body = "/api/v1/floor/me/unpause", nil
				}
				seq, err := srv.Command(ctx, token, path, body)
				if err != nil {
					failed.Add(1)
					continue
				}
				paused = !paused
				applied.Add(1)
				for old := lastSeq.Load(); seq > old && !lastSeq.CompareAndSwap(old, seq); old = lastSeq.Load() {
				}
			}
		}()
	}
	agents.Wait()
	l.took = time.Since(start)
	l.offered, l.skipped, l.applied, l.failed, l.lastSeq = offered.Load(), skipped.Load(), applied.Load(), failed.Load(), lastSeq.Load()
	return l
}
