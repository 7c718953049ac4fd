package main

import (
	"math"
	"testing"
)

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
				if s.got.Add(q) {
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
