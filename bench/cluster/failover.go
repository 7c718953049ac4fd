package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// probeEvery is how often an account of a killed node is tried through
// each surviving node: the failover times are this coarse.
const probeEvery = 100 * time.Millisecond

// failovers kills the nodes in turn with SIGKILL. Each time it measures
// from the kill until every account the node owned answers a floor
// command through every surviving node; then it starts the node again
// and waits until the accounts are back on the nodes placement gives
// them, before the next kill.
func (b *bench) failovers(ctx context.Context) error {
	var times []time.Duration
	var report error
	for k := 0; k < b.opt.kills && ctx.Err() == nil; k++ {
		victim := b.nodes[k%len(b.nodes)]
		var owned []*account
		for _, a := range b.accs {
			o, err := b.st.AccountOwnership(ctx, a.id)
			if err != nil {
				return err
			}
			if o.Node == victim.name {
				owned = append(owned, a)
			}
		}
		var survivors []*node
		for _, n := range b.nodes {
			if n != victim {
				survivors = append(survivors, n)
			}
		}
		start := time.Now()
		victim.kill()
		d, err := b.served(ctx, owned, survivors, start, 60*time.Second)
		if err != nil {
			report = fmt.Errorf("kill %d (%s): %w", k+1, victim.name, err)
			break
		}
		times = append(times, d)
		t0 := time.Now()
		if err := victim.start(ctx); err != nil {
			return err
		}
		if err := b.waitOwners(ctx, b.placed, 3*time.Minute); err != nil {
			return err
		}
		fmt.Printf("# kill %d: %s with %d accounts; all served again through %s after %.2f s; %s restarted and its accounts back %.1f s later\n",
			k+1, victim.name, len(owned), names(survivors), d.Seconds(), victim.name, time.Since(t0).Seconds())
	}
	if len(times) > 0 {
		var list []string
		for _, d := range times {
			list = append(list, fmt.Sprintf("%.2f", d.Seconds()))
		}
		fmt.Printf("# failovers (s), in kill order: %s\n", strings.Join(list, " "))
		s := slices.Clone(times)
		fmt.Printf("failover_seconds_p50: %.2f s\n", pct(s, 0.50).Seconds())
		fmt.Printf("failover_seconds_p99: %.2f s (goal: under %.0f; %d kills, so the p99 is the longest)\n", pct(s, 0.99).Seconds(), failoverGoal.Seconds(), len(times))
	}
	return report
}

// served waits until every account answers a floor command (a pause,
// which an agent already paused answers 200 too) through each of the
// nodes in turn, and returns the time from start to the last answer.
func (b *bench) served(ctx context.Context, accs []*account, through []*node, start time.Time, limit time.Duration) (time.Duration, error) {
	var mu sync.Mutex
	var last time.Duration
	var failed []string
	var wg sync.WaitGroup
	for _, a := range accs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ag := a.agents[0]
			ag.mu.Lock()
			defer ag.mu.Unlock()
			for _, n := range through {
				for {
					ans := b.client.pause(ctx, n.base(), ag)
					if ans.status == 200 {
						ag.paused = true
						break
					}
					if ctx.Err() != nil || time.Since(start) > limit {
						mu.Lock()
						failed = append(failed, fmt.Sprintf("%s through %s: %s", a.name, n.name, ans.what()))
						mu.Unlock()
						return
					}
					time.Sleep(probeEvery)
				}
			}
			d := time.Since(start)
			mu.Lock()
			last = max(last, d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		return 0, fmt.Errorf("%d accounts not served again after %s, e.g. %s", len(failed), limit, failed[0])
	}
	return last, ctx.Err()
}

func names(nodes []*node) string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.name)
	}
	return strings.Join(out, " and ")
}
