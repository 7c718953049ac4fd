package main

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	xs := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tc := range []struct {
		p    float64
		want int64
	}{{0.01, 1}, {0.1, 1}, {0.5, 5}, {0.9, 9}, {0.99, 10}, {1, 10}} {
		if got := percentile(xs, tc.p); got != tc.want {
			t.Errorf("p%v = %d, want %d", tc.p*100, got, tc.want)
		}
	}
	if got := percentile([]int64(nil), 0.99); got != 0 {
		t.Errorf("empty: %d", got)
	}
	// p99 of 1000 values is the 990th.
	big := make([]time.Duration, 1000)
	for i := range big {
		big[i] = time.Duration(i + 1)
	}
	if got := percentile(big, 0.99); got != 990 {
		t.Errorf("p99 of 1..1000 = %d", got)
	}
}

func TestDeviations(t *testing.T) {
	// A steady 50 µs path with one frame held up 2 ms and one 30 µs early.
	transits := []int32{50_000, 50_000, 2_050_000, 50_000, 20_000, 50_000}
	devs := deviations(nil, slices.Clone(transits))
	slices.Sort(devs)
	want := []int32{0, 0, 0, 0, 30_000, 2_000_000}
	if !slices.Equal(devs, want) {
		t.Errorf("deviations %v, want %v", devs, want)
	}
	// A constant offset is no variation.
	if d := deviations(nil, []int32{7, 7, 7}); slices.Max(d) != 0 {
		t.Errorf("constant transit: %v", d)
	}
	if d := deviations(nil, nil); len(d) != 0 {
		t.Errorf("no frames: %v", d)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []int32
		want int32
	}{{[]int32{3, 1, 2}, 2}, {[]int32{4, 1, 3, 2}, 2}, {[]int32{9}, 9}, {nil, 0}} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %d, want %d", tc.xs, got, tc.want)
		}
	}
}

func TestLossPercent(t *testing.T) {
	for _, tc := range []struct {
		sent, got uint64
		want      float64
	}{{0, 0, 0}, {10000, 10000, 0}, {10000, 9999, 0.01}, {100, 50, 50}, {100, 120, 0}} {
		if got := lossPercent(tc.sent, tc.got); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("lossPercent(%d, %d) = %v, want %v", tc.sent, tc.got, got, tc.want)
		}
	}
}

func TestSeqSet(t *testing.T) {
	var s seqSet
	for _, seq := range []uint32{0, 1, 1, 5, 200, 63, 64, 5} {
		s.add(seq)
	}
	if s.len() != 6 {
		t.Errorf("distinct %d, want 6", s.len())
	}
	if s.add(200) || !s.add(4000) {
		t.Error("add reports a repeat as new or a new one as a repeat")
	}
	if s.add(1 << 30) {
		t.Error("an absurd sequence number is taken")
	}
}

// TestSummarize: loss and delay variation of the calls as the generator
// records them, with a lost and a repeated frame.
func TestSummarize(t *testing.T) {
	mk := func(sent uint64, seqs []uint32, transits []int32) *genCall {
		c := &genCall{}
		c.started.Store(1)
		for d := range c.dir {
			s := &c.dir[d]
			s.sent.Store(sent)
			for i, q := range seqs {
				if s.got.add(q) {
					s.transits = append(s.transits, transits[i])
				} else {
					s.dups++
				}
			}
		}
		return c
	}
	calls := []*genCall{
		mk(4, []uint32{0, 1, 2, 3}, []int32{100, 100, 100, 100}),
		mk(4, []uint32{0, 1, 1, 3}, []int32{100, 900, 900, 100}), // 2 lost, 1 repeated
	}
	r := summarize(calls)
	if r.Sent != 16 || r.Received != 14 || r.Dups != 2 || r.LossyCalls != 1 || r.Calls != 2 {
		t.Errorf("%+v", r)
	}
	if math.Abs(r.Loss-12.5) > 1e-9 {
		t.Errorf("loss %v, want 12.5", r.Loss)
	}
	if r.JitterP99 != 800 {
		t.Errorf("jitter p99 %v, want 800ns", r.JitterP99)
	}
}
