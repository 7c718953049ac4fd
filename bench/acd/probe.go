package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
)

// probe is the dispatcher's view of the floor (dispatch.Floor), timing
// what a routing is made of: each Peek (the wait for the engine
// goroutine, and the dispatcher's function run on it) and each Offer
// (until the floor decided it).
type probe struct {
	f *floor.Floor

	mu sync.Mutex
	on bool
	// view is each View's whole time; viewFn the time of its function
	// on the engine goroutine; offer each Offer's.
	view, viewFn, offer []time.Duration
	// commit is each journal append of the engine's batches.
	commit []time.Duration
	// views are the Views' spans, in order (the account has one ACD
	// worker); offers the first Offer's span of each call.
	views  []span
	offers map[string]span
}

type span struct{ start, end time.Time }

func (p *probe) Do(ctx context.Context, accountID int64, in floor.Input) ([]callfloor.Event, error) {
	return p.f.Do(ctx, accountID, in)
}

// DoDecided times an Offer from its submission to its decision, when
// the dispatcher rings the member.
func (p *probe) DoDecided(ctx context.Context, accountID int64, in floor.Input, decided func(error)) ([]callfloor.Event, error) {
	o, ok := in.(floor.Offer)
	if !ok {
		return p.f.DoDecided(ctx, accountID, in, decided)
	}
	t0 := time.Now()
	return p.f.DoDecided(ctx, accountID, in, func(err error) {
		t1 := time.Now()
		p.mu.Lock()
		if p.on {
			p.offer = append(p.offer, t1.Sub(t0))
			if _, ok := p.offers[o.Call.ID]; !ok {
				p.offers[o.Call.ID] = span{t0, t1}
			}
		}
		p.mu.Unlock()
		decided(err)
	})
}

func (p *probe) View(ctx context.Context, accountID int64, fn func(*floor.State, *floor.Config)) error {
	return p.f.View(ctx, accountID, fn)
}

// Peek times the dispatcher's routing reads: the wait for the engine
// goroutine, and its function run there.
func (p *probe) Peek(ctx context.Context, accountID int64, fn func(*floor.State, *floor.Config)) error {
	t0 := time.Now()
	var took time.Duration
	err := p.f.Peek(ctx, accountID, func(st *floor.State, cfg *floor.Config) {
		t1 := time.Now()
		fn(st, cfg)
		took = time.Since(t1)
	})
	t2 := time.Now()
	p.mu.Lock()
	if p.on {
		p.view = append(p.view, t2.Sub(t0))
		p.viewFn = append(p.viewFn, took)
		p.views = append(p.views, span{t0, t2})
	}
	p.mu.Unlock()
	return err
}

// measure starts or stops the recording.
func (p *probe) measure(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on && p.offers == nil {
		p.offers = map[string]span{}
	}
	p.on = on
}

// print reports the breakdown.
func (p *probe) print(elapsed time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range [][]time.Duration{p.view, p.viewFn, p.offer, p.commit} {
		slices.Sort(d)
	}
	fmt.Printf("# where a routing goes: the ACD's floor Peek (queued behind the engine's batch and any commit under way, then its own function), then the Offer, until decided\n")
	fmt.Printf("acd_views_per_second: %.0f views/s\n", float64(len(p.view))/elapsed.Seconds())
	fmt.Printf("acd_view_latency_p50: %.2f ms\n", ms(pct(p.view, 0.50)))
	fmt.Printf("acd_view_latency_p99: %.2f ms\n", ms(pct(p.view, 0.99)))
	fmt.Printf("acd_view_function_p50: %.2f ms\n", ms(pct(p.viewFn, 0.50)))
	fmt.Printf("acd_view_function_p99: %.2f ms\n", ms(pct(p.viewFn, 0.99)))
	fmt.Printf("engine_time_in_acd_views: %.0f %%\n", 100*sum(p.viewFn).Seconds()/elapsed.Seconds())
	fmt.Printf("journal_commits_per_second: %.0f commits/s\n", float64(len(p.commit))/elapsed.Seconds())
	fmt.Printf("journal_commit_p50: %.2f ms\n", ms(pct(p.commit, 0.50)))
	fmt.Printf("journal_commit_p99: %.2f ms\n", ms(pct(p.commit, 0.99)))
	fmt.Printf("journal_commit_max: %.2f ms\n", ms(pct(p.commit, 1)))
	fmt.Printf("engine_time_in_commits: %.0f %%\n", 100*sum(p.commit).Seconds()/elapsed.Seconds())
	fmt.Printf("offer_latency_p50: %.2f ms\n", ms(pct(p.offer, 0.50)))
	fmt.Printf("offer_latency_p99: %.2f ms\n", ms(pct(p.offer, 0.99)))
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

// breakdown splits each routed call's latency into its steps: waiting
// for the ACD round that routed it to start (the round then running
// finishes first), that round's View (from the caller's arrival if it
// came during it), the round's work until this call's Offer (the picks,
// and the Offers made before it in the round, one after the other), the
// Offer until journaled, and the start of the ring. It prints each step's p50 and p99, and the steps' means over the
// slowest 1% of calls.
func (p *probe) breakdown(calls []*call) {
	p.mu.Lock()
	defer p.mu.Unlock()
	steps := []string{"wait_for_round", "round_view", "round_before_offer", "offer", "ring_start"}
	type split struct {
		total time.Duration
		step  [5]time.Duration
	}
	var all []split
	for _, c := range calls {
		o, ok := p.offers[c.id]
		if !ok || c.rung.IsZero() {
			continue
		}
		// the last View that ended before the Offer started
		i, _ := slices.BinarySearchFunc(p.views, o.start, func(v span, t time.Time) int { return v.end.Compare(t) })
		if i == 0 {
			continue
		}
		// A caller who comes while a round reads the floor is picked in
		// that round (the waiting callers are read after the View): its
		// wait and View count from its arrival.
		v := p.views[i-1]
		vs := v.start
		if vs.Before(c.enqueued) {
			vs = c.enqueued
		}
		ve := v.end
		if ve.Before(vs) {
			ve = vs
		}
		all = append(all, split{c.rung.Sub(c.enqueued), [5]time.Duration{
			vs.Sub(c.enqueued), ve.Sub(vs), o.start.Sub(ve), o.end.Sub(o.start), c.rung.Sub(o.end)}})
	}
	if len(all) == 0 {
		return
	}
	fmt.Printf("# routing latency by step, over %d calls\n", len(all))
	for k, name := range steps {
		d := make([]time.Duration, len(all))
		for i, s := range all {
			d[i] = s.step[k]
		}
		slices.Sort(d)
		fmt.Printf("step_%s_p50: %.2f ms\n", name, ms(pct(d, 0.50)))
		fmt.Printf("step_%s_p99: %.2f ms\n", name, ms(pct(d, 0.99)))
	}
	slices.SortFunc(all, func(a, b split) int { return cmp.Compare(b.total, a.total) })
	slow := all[:max(1, len(all)/100)]
	for k, name := range steps {
		var sum time.Duration
		for _, s := range slow {
			sum += s.step[k]
		}
		fmt.Printf("slowest_1pct_mean_%s: %.2f ms\n", name, ms(sum/time.Duration(len(slow))))
	}
}

// timedJournal is the engine's journal, timing each append (one per
// engine batch: the commit every input and View of the batch waits
// for).
type timedJournal struct {
	floor.Journal
	p *probe
}

func (j timedJournal) AppendEvents(ctx context.Context, accountID int64, evs []callfloor.Event) error {
	t0 := time.Now()
	err := j.Journal.AppendEvents(ctx, accountID, evs)
	d := time.Since(t0)
	j.p.mu.Lock()
	if j.p.on {
		j.p.commit = append(j.p.commit, d)
	}
	j.p.mu.Unlock()
	return err
}
