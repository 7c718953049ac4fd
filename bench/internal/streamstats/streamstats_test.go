package streamstats

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
		if got := Percentile(xs, tc.p); got != tc.want {
			t.Errorf("p%v = %d, want %d", tc.p*100, got, tc.want)
		}
	}
	if got := Percentile([]int64(nil), 0.99); got != 0 {
		t.Errorf("empty: %d", got)
	}
	// p99 of 1000 values is the 990th.
	big := make([]time.Duration, 1000)
	for i := range big {
		big[i] = time.Duration(i + 1)
	}
	if got := Percentile(big, 0.99); got != 990 {
		t.Errorf("p99 of 1..1000 = %d", got)
	}
}

func TestDeviations(t *testing.T) {
	// A steady 50 µs path with one frame held up 2 ms and one 30 µs early.
	transits := []int32{50_000, 50_000, 2_050_000, 50_000, 20_000, 50_000}
	devs := Deviations(nil, slices.Clone(transits))
	slices.Sort(devs)
	want := []int32{0, 0, 0, 0, 30_000, 2_000_000}
	if !slices.Equal(devs, want) {
		t.Errorf("deviations %v, want %v", devs, want)
	}
	// A constant offset is no variation.
	if d := Deviations(nil, []int32{7, 7, 7}); slices.Max(d) != 0 {
		t.Errorf("constant transit: %v", d)
	}
	if d := Deviations(nil, nil); len(d) != 0 {
		t.Errorf("no frames: %v", d)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []int32
		want int32
	}{{[]int32{3, 1, 2}, 2}, {[]int32{4, 1, 3, 2}, 2}, {[]int32{9}, 9}, {nil, 0}} {
		if got := Median(tc.xs); got != tc.want {
			t.Errorf("Median(%v) = %d, want %d", tc.xs, got, tc.want)
		}
	}
}

func TestLossPercent(t *testing.T) {
	for _, tc := range []struct {
		sent, got uint64
		want      float64
	}{{0, 0, 0}, {10000, 10000, 0}, {10000, 9999, 0.01}, {100, 50, 50}, {100, 120, 0}} {
		if got := LossPercent(tc.sent, tc.got); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("LossPercent(%d, %d) = %v, want %v", tc.sent, tc.got, got, tc.want)
		}
	}
}

func TestSeqSet(t *testing.T) {
	var s SeqSet
	for _, seq := range []uint32{0, 1, 1, 5, 200, 63, 64, 5} {
		s.Add(seq)
	}
	if s.Len() != 6 {
		t.Errorf("distinct %d, want 6", s.Len())
	}
	if s.Add(200) || !s.Add(4000) {
		t.Error("add reports a repeat as new or a new one as a repeat")
	}
	if s.Add(1 << 30) {
		t.Error("an absurd sequence number is taken")
	}
}
