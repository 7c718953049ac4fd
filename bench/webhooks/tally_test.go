package main

import (
	"slices"
	"testing"
	"time"
)

// TestCount: each expected message is accepted, waiting or lost;
// duplicates are the 2xx answers beyond the first, and a lane's first
// arrivals must rise.
func TestCount(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	lat := func(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }
	expected := []int64{1, 2, 3, 4, 5, 6}
	got := map[int64]arrival{
		1: {first: at(10), lat: lat(10), ext: 7, tries: 1, accepted: 1},
		2: {first: at(20), lat: lat(20), ext: 8, tries: 2, accepted: 2}, // a duplicate
		3: {first: at(5), lat: lat(30), ext: 7, tries: 2, accepted: 1},  // a 500 then a 2xx; before seq 1 of its lane
		6: {first: at(40), lat: lat(40), ext: 8, tries: 1},              // a 500, never again
		9: {first: at(50), lat: lat(50), ext: 8, tries: 1, accepted: 1}, // not the endpoint's
	}
	if m := missing(expected, got); !slices.Equal(m, []int64{4, 5, 6}) {
		t.Fatalf("missing %v, want [4 5 6]", m)
	}
	tl := count(expected, got, map[int64]bool{4: true})
	want := tally{expected: 6, arrived: 3, waiting: 1, lost: 2, unexpected: 1, duplicates: 1, retried: 2, outOfOrder: 1}
	tl.lat, want.lat = nil, nil
	if tl.expected != want.expected || tl.arrived != want.arrived || tl.waiting != want.waiting || tl.lost != want.lost ||
		tl.unexpected != want.unexpected || tl.duplicates != want.duplicates || tl.retried != want.retried || tl.outOfOrder != want.outOfOrder {
		t.Fatalf("tally %+v, want %+v", tl, want)
	}
	if r := tl.duplicateRatio(); r != 1.0/3 {
		t.Errorf("duplicate ratio %v, want 1/3", r)
	}
}

// TestFirstAttempt: quantiles are over every expected message, those
// not tried counting as slower than all.
func TestFirstAttempt(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tl := tally{expected: 10}
	for i := 1; i <= 8; i++ {
		tl.lat = append(tl.lat, ms(i))
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
		ok   bool
	}{{0, ms(1), true}, {0.5, ms(5), true}, {0.8, ms(8), true}, {0.9, 0, false}, {1, 0, false}} {
		if got, ok := tl.firstAttempt(tc.p); got != tc.want || ok != tc.ok {
			t.Errorf("p%.0f: %v %v, want %v %v", 100*tc.p, got, ok, tc.want, tc.ok)
		}
	}
	all := add(tally{expected: 2, lat: []time.Duration{ms(3), ms(9)}}, tally{expected: 1, lat: []time.Duration{ms(1)}})
	if got, ok := all.firstAttempt(1); !ok || got != ms(9) || !slices.IsSorted(all.lat) {
		t.Errorf("summed: max %v %v, latencies %v", got, ok, all.lat)
	}
	if _, ok := (tally{}).firstAttempt(0.99); !ok {
		t.Error("no messages: the quantile should be 0, not untried")
	}
}
