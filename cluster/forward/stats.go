package forward

import (
	"sync"
	"time"
)

// Stats counts a Client's forwarded requests.
type Stats struct {
	// Requests is how many requests Forward was given.
	Requests uint64
	// Answered: the owner's answer was passed on whole.
	Answered uint64
	// Retries: sends after the first, when no node served the account
	// (NoResponders) or the one that answered did not own it (NotOwner).
	Retries      uint64
	NoResponders uint64
	NotOwner     uint64
	// GaveUp: answered not_owner after RetryFor.
	GaveUp uint64
	// Timeouts: answered owner_timeout.
	Timeouts uint64
	// TooLarge: refused with payload_too_large, unsent.
	TooLarge uint64
	// Failed: the answer was cut, or the owner sent something unreadable.
	Failed uint64
	// Latency is the time from Forward's start to the end of the answers
	// passed on whole, retries included.
	Latency Histogram
}

// latencyBounds are the upper bounds of the histogram's buckets; a last
// bucket holds what is above them.
var latencyBounds = []time.Duration{
	250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
	30 * time.Second,
}

// Histogram counts durations in buckets.
type Histogram struct {
	// Bounds are the buckets' upper bounds (inclusive); Counts has one
	// more entry, for what is above the last bound.
	Bounds []time.Duration
	Counts []uint64
	Sum    time.Duration
}

// Count is how many durations the histogram holds.
func (h Histogram) Count() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Quantile returns the upper bound of the bucket that holds the q-th
// quantile (0 < q ≤ 1): an upper estimate. It returns 0 for an empty
// histogram, and the last bound when the quantile is above it.
func (h Histogram) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n) + 0.5)
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			if i < len(h.Bounds) {
				return h.Bounds[i]
			}
			break
		}
	}
	return h.Bounds[len(h.Bounds)-1]
}

// stats is the live counterpart of Stats.
type stats struct {
	mu sync.Mutex
	s  Stats
}

func (st *stats) add(f func(s *Stats)) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f(&st.s)
}

func (st *stats) observe(d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	h := &st.s.Latency
	if h.Counts == nil {
		h.Bounds = latencyBounds
		h.Counts = make([]uint64, len(latencyBounds)+1)
	}
	i := 0
	for i < len(h.Bounds) && d > h.Bounds[i] {
		i++
	}
	h.Counts[i]++
	h.Sum += d
	st.s.Answered++
}

func (st *stats) snapshot() Stats {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.s
	s.Latency.Counts = append([]uint64(nil), s.Latency.Counts...)
	if s.Latency.Bounds == nil {
		s.Latency.Bounds = latencyBounds
		s.Latency.Counts = make([]uint64, len(latencyBounds)+1)
	}
	return s
}
