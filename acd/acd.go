// Package acd chooses whom a queue offers a waiting call to. It is pure:
// given a queue's strategy and the members who could take a call now, with
// their penalties, member-list order, idle time and call counts, it
// returns the members to ring. The floor engine owns the state (who is
// idle, since when, how many calls) and asks; the round robin's memory
// of whom each queue rang last lives in a Picker.
package acd

import (
	"cmp"
	"slices"
	"time"

	"github.com/callfloor/callfloor"
)

// Candidate is a queue member who could be offered the call now: an
// agent logged in, idle and not paused, or a participant not paused in
// this queue and free.
type Candidate struct {
	Ext int64
	// Penalty: only the candidates with the lowest penalty present are
	// considered; the others wait until none of those is available.
	Penalty int
	// Order is the member's position in the queue's member list (round
	// robin goes through it in order).
	Order int
	// IdleSince is when the member last became free (longest idle).
	IdleSince time.Time
	// Calls is how many of the queue's calls the member answered today
	// (fewest calls).
	Calls int
}

// Picker picks members by strategy and remembers, per queue, whom round
// robin rang last. It is not safe for concurrent use: one per engine.
type Picker struct {
	last map[int64]int // queue ID → Order of the member rung last
	rand func(n int) int
}

// NewPicker returns a picker drawing random members with rand (for the
// random strategy and ties of it).
func NewPicker(rand func(n int) int) *Picker {
	return &Picker{last: map[int64]int{}, rand: rand}
}

// Pick returns the extensions to ring for a call of queue: every
// candidate of the lowest penalty for ring all, else one, chosen by
// strategy among the candidates of the lowest penalty. Ties go to the
// earlier member in the list. It returns nil when there is nobody.
func (p *Picker) Pick(queue int64, s callfloor.Strategy, cands []Candidate) []int64 {
	tier := lowestPenalty(cands)
	if len(tier) == 0 {
		return nil
	}
	var best Candidate
	switch s {
	case callfloor.StrategyRingAll:
		out := make([]int64, len(tier))
		for i, c := range tier {
			out[i] = c.Ext
		}
		return out
	case callfloor.StrategyRoundRobin:
		best = p.next(queue, tier)
	case callfloor.StrategyFewestCalls:
		best = pickBy(tier, func(a, b Candidate) bool {
			return a.Calls < b.Calls || (a.Calls == b.Calls && a.IdleSince.Before(b.IdleSince))
		})
	case callfloor.StrategyRandom:
		best = tier[p.rand(len(tier))]
	default: // longest idle
		best = pickBy(tier, func(a, b Candidate) bool { return a.IdleSince.Before(b.IdleSince) })
	}
	return []int64{best.Ext}
}

// Rang tells the picker the queue rang ext (a member at order): round
// robin continues after it. Pick does this itself for round robin; call
// it when the engine offered a call some other way.
func (p *Picker) Rang(queue int64, order int) { p.last[queue] = order }

// Forget drops the memory of a queue that is gone.
func (p *Picker) Forget(queue int64) { delete(p.last, queue) }

// next is round robin: the first candidate after the one rung last, in
// member-list order, wrapping around.
func (p *Picker) next(queue int64, tier []Candidate) Candidate {
	last, ok := p.last[queue]
	var after, first *Candidate
	for i := range tier {
		c := &tier[i]
		if first == nil || c.Order < first.Order {
			first = c
		}
		if ok && c.Order > last && (after == nil || c.Order < after.Order) {
			after = c
		}
	}
	chosen := first
	if after != nil {
		chosen = after
	}
	p.last[queue] = chosen.Order
	return *chosen
}

// lowestPenalty returns the candidates with the lowest penalty, in
// member-list order.
func lowestPenalty(cands []Candidate) []Candidate {
	if len(cands) == 0 {
		return nil
	}
	low := cands[0].Penalty
	for _, c := range cands[1:] {
		low = min(low, c.Penalty)
	}
	out := make([]Candidate, 0, len(cands))
	for _, c := range cands {
		if c.Penalty == low {
			out = append(out, c)
		}
	}
	sortByOrder(out)
	return out
}

// pickBy returns the candidate less ranks first; ties keep the earlier.
func pickBy(cands []Candidate, less func(a, b Candidate) bool) Candidate {
	best := cands[0]
	for _, c := range cands[1:] {
		if less(c, best) {
			best = c
		}
	}
	return best
}

// sortByOrder sorts by member-list order.
func sortByOrder(cs []Candidate) {
	slices.SortFunc(cs, func(a, b Candidate) int { return cmp.Compare(a.Order, b.Order) })
}
