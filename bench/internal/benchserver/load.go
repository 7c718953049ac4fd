package benchserver

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Load is what the agents' commands came to.
type Load struct {
	Offered int64 // commands due by the schedule
	Skipped int64 // due while the agent's previous one was still unanswered
	Applied int64
	Failed  int64
	LastSeq int64 // of the latest event the commands made
	Took    time.Duration
}

// Pauses has each agent (by its token) pause and unpause in turn, one
// command after another, so that together they offer rate commands a
// second for d: agent i's k-th command is due at (k*agents+i)/rate s.
// A command is sent when due; one that is still waiting for the agent's
// previous answer a whole turn (agents/rate s) after it was due is
// skipped and counted, so the rate offered is the rate asked for, and
// what the server could not take shows as skipped rather than as a
// queue that drains after the run. Each applied command journals one
// event; applied, when not nil, is called with its seq and the time its
// answer came, from the agents' goroutines.
func (s *Server) Pauses(ctx context.Context, tokens []string, reasonID int64, rate int, d time.Duration, applied func(seq int64, at time.Time)) Load {
	n := len(tokens)
	turn := time.Duration(n) * time.Second / time.Duration(rate)
	var offered, skipped, done, failed, lastSeq atomic.Int64
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
				seq, err := s.Command(ctx, token, path, body)
				if err != nil {
					failed.Add(1)
					continue
				}
				paused = !paused
				done.Add(1)
				if applied != nil {
					applied(seq, time.Now())
				}
				for old := lastSeq.Load(); seq > old && !lastSeq.CompareAndSwap(old, seq); old = lastSeq.Load() {
				}
			}
		}()
	}
	agents.Wait()
	return Load{Offered: offered.Load(), Skipped: skipped.Load(), Applied: done.Load(), Failed: failed.Load(),
		LastSeq: lastSeq.Load(), Took: time.Since(start)}
}
