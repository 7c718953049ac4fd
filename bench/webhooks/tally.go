package main

import (
	"slices"
	"time"
)

// tally is what one endpoint's receiver got against what the journal
// says it should have got.
type tally struct {
	expected   int // journal events the endpoint takes
	arrived    int // of them, accepted (2xx) at least once
	waiting    int // not accepted, still pending in the endpoint's outbox
	lost       int // neither accepted nor pending
	unexpected int // seqs that came but the endpoint does not take
	duplicates int // 2xx acceptances beyond each message's first
	retried    int // messages that came more than once (500s included)
	outOfOrder int // first arrivals before an earlier seq of their lane
	// lat is each expected message's first attempt latency: from its
	// event's journal timestamp to its first request, answered or not.
	lat []time.Duration
}

// missing are the expected seqs not accepted yet, in order.
func missing(expected []int64, got map[int64]arrival) []int64 {
	var out []int64
	for _, seq := range expected {
		if got[seq].accepted == 0 {
			out = append(out, seq)
		}
	}
	return out
}

// count tallies one endpoint: expected are the seqs it takes, got what
// its receiver had, pending the missing seqs still in its outbox.
func count(expected []int64, got map[int64]arrival, pending map[int64]bool) tally {
	t := tally{expected: len(expected), lat: make([]time.Duration, 0, len(expected))}
	want := make(map[int64]bool, len(expected))
	for _, seq := range expected {
		want[seq] = true
		a, ok := got[seq]
		switch {
		case a.accepted > 0:
			t.arrived++
		case pending[seq]:
			t.waiting++
		default:
			t.lost++
		}
		if ok {
			t.lat = append(t.lat, a.lat)
		}
	}
	type first struct {
		seq, ext int64
		at       time.Time
	}
	var order []first
	for seq, a := range got {
		if !want[seq] {
			t.unexpected++
		}
		t.duplicates += max(a.accepted-1, 0)
		if a.tries > 1 {
			t.retried++
		}
		order = append(order, first{seq, a.ext, a.first})
	}
	slices.SortFunc(order, func(a, b first) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return int(a.seq - b.seq)
	})
	latest := map[int64]int64{} // by lane: the highest seq come first
	for _, f := range order {
		if f.seq < latest[f.ext] {
			t.outOfOrder++
		}
		latest[f.ext] = max(latest[f.ext], f.seq)
	}
	slices.Sort(t.lat)
	return t
}

// add sums tallies, their latencies merged in order.
func add(ts ...tally) tally {
	var s tally
	for _, t := range ts {
		s.expected += t.expected
		s.arrived += t.arrived
		s.waiting += t.waiting
		s.lost += t.lost
		s.unexpected += t.unexpected
		s.duplicates += t.duplicates
		s.retried += t.retried
		s.outOfOrder += t.outOfOrder
		s.lat = append(s.lat, t.lat...)
	}
	slices.Sort(s.lat)
	return s
}

// firstAttempt is the p-quantile (0 to 1) of the first attempt's
// latency over every expected message, by the nearest rank below; a
// message not tried yet counts as slower than all that were, and false
// says the quantile falls among them.
func (t tally) firstAttempt(p float64) (time.Duration, bool) {
	n := max(t.expected, len(t.lat))
	if n == 0 {
		return 0, true
	}
	i := int(p * float64(n-1))
	if i >= len(t.lat) {
		return 0, false
	}
	return t.lat[i], true
}

// duplicateRatio is the deliveries beyond the first per message over the
// messages delivered.
func (t tally) duplicateRatio() float64 {
	if t.arrived == 0 {
		return 0
	}
	return float64(t.duplicates) / float64(t.arrived)
}
