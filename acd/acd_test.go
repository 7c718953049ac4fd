package acd

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// members: ext 1..4 in list order; 3 has been idle longest, 2 has taken
// fewest calls, 4 has a higher penalty.
func members() []Candidate {
	return []Candidate{
		{Ext: 1, Order: 0, IdleSince: t0.Add(-1 * time.Minute), Calls: 5},
		{Ext: 2, Order: 1, IdleSince: t0.Add(-2 * time.Minute), Calls: 1},
		{Ext: 3, Order: 2, IdleSince: t0.Add(-9 * time.Minute), Calls: 3},
		{Ext: 4, Order: 3, Penalty: 2, IdleSince: t0.Add(-60 * time.Minute), Calls: 0},
	}
}

func TestPick(t *testing.T) {
	first := func(int) int { return 0 }
	last := func(n int) int { return n - 1 }
	for _, tt := range []struct {
		name     string
		strategy callfloor.Strategy
		cands    []Candidate
		rand     func(int) int
		want     string
	}{
		{"ring all rings the lowest penalty", callfloor.StrategyRingAll, members(), first, "[1 2 3]"},
		{"longest idle", callfloor.StrategyLongestIdle, members(), first, "[3]"},
		{"fewest calls", callfloor.StrategyFewestCalls, members(), first, "[2]"},
		{"random, first draw", callfloor.StrategyRandom, members(), first, "[1]"},
		{"random, last draw", callfloor.StrategyRandom, members(), last, "[3]"},
		{"round robin starts at the top", callfloor.StrategyRoundRobin, members(), first, "[1]"},
		{"higher penalty when alone", callfloor.StrategyLongestIdle, members()[3:], first, "[4]"},
		{"nobody", callfloor.StrategyLongestIdle, nil, first, "[]"},
		{"fewest calls tie: longest idle", callfloor.StrategyFewestCalls,
			[]Candidate{{Ext: 7, Order: 0, Calls: 2, IdleSince: t0}, {Ext: 8, Order: 1, Calls: 2, IdleSince: t0.Add(-time.Second)}}, first, "[8]"},
		{"longest idle tie: earlier in the list", callfloor.StrategyLongestIdle,
			[]Candidate{{Ext: 8, Order: 5, IdleSince: t0}, {Ext: 7, Order: 1, IdleSince: t0}}, first, "[7]"},
		{"unknown strategy: longest idle", "whatever", members(), first, "[3]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := NewPicker(tt.rand).Pick(1, tt.strategy, tt.cands)
			if fmt.Sprint(got) != tt.want && !(tt.want == "[]" && got == nil) {
				t.Fatalf("picked %v, want %s", got, tt.want)
			}
		})
	}
}

func TestRoundRobinRemembers(t *testing.T) {
	p := NewPicker(rand.IntN)
	all := members()[:3]
	var got []int64
	for range 5 {
		got = append(got, p.Pick(9, callfloor.StrategyRoundRobin, all)...)
	}
	if fmt.Sprint(got) != "[1 2 3 1 2]" {
		t.Fatalf("round robin %v", got)
	}
	// 3 is busy now: after 2 comes 1 again, then 3 when it is back.
	got = append(got[:0], p.Pick(9, callfloor.StrategyRoundRobin, []Candidate{all[0], all[1]})...)
	got = append(got, p.Pick(9, callfloor.StrategyRoundRobin, all)...)
	if fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("round robin with a member away %v", got)
	}
	// Each queue has its own memory; Forget restarts it.
	if got := p.Pick(10, callfloor.StrategyRoundRobin, all); got[0] != 1 {
		t.Fatalf("another queue starts at %v", got)
	}
	p.Rang(9, 0)
	if got := p.Pick(9, callfloor.StrategyRoundRobin, all); got[0] != 2 {
		t.Fatalf("after Rang(order 0): %v", got)
	}
	p.Forget(9)
	if got := p.Pick(9, callfloor.StrategyRoundRobin, all); got[0] != 1 {
		t.Fatalf("after Forget: %v", got)
	}
}

func TestPickDoesNotReorderTheCallersSlice(t *testing.T) {
	cands := []Candidate{{Ext: 2, Order: 1}, {Ext: 1, Order: 0}}
	NewPicker(rand.IntN).Pick(1, callfloor.StrategyRingAll, cands)
	if cands[0].Ext != 2 {
		t.Fatal("Pick sorted the caller's candidates")
	}
}

// BenchmarkPick is one routing decision in a queue of 50 available
// members (10,000 agents over 200 queues).
func BenchmarkPick(b *testing.B) {
	for _, s := range callfloor.Strategies {
		b.Run(string(s), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			cands := make([]Candidate, 50)
			for i := range cands {
				cands[i] = Candidate{Ext: int64(i + 1), Order: i, Penalty: r.IntN(3),
					IdleSince: t0.Add(-time.Duration(r.IntN(3600)) * time.Second), Calls: r.IntN(40)}
			}
			p := NewPicker(r.IntN)
			b.ReportAllocs()
			for b.Loop() {
				if len(p.Pick(7, s, cands)) == 0 {
					b.Fatal("nobody picked")
				}
			}
		})
	}
}
