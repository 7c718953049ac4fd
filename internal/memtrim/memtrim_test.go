package memtrim

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/callfloor/callfloor/clocktest"
)

func TestCheckDecides(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name        string
		last, now   Stats
		first, want bool // first: no check before this one
	}{
		{"collected after a burst", Stats{Cycles: 5}, Stats{InUse: 40 * mib, Free: 500 * mib, Cycles: 9}, false, true},
		{"no collection since a burst", Stats{Cycles: 9}, Stats{InUse: 300 * mib, Free: 10 * mib, Cycles: 9}, false, true},
		{"no collection, the heap not large", Stats{Cycles: 9}, Stats{InUse: 50 * mib, Free: 10 * mib, Cycles: 9}, false, false},
		{"the first check has nothing to compare", Stats{}, Stats{InUse: 300 * mib, Free: 10 * mib, Cycles: 9}, true, false},
		{"quiet and small", Stats{Cycles: 9}, Stats{InUse: 20 * mib, Free: 10 * mib, Cycles: 9}, false, false},
		{"steady load: collections, free about what is in use", Stats{Cycles: 9}, Stats{InUse: 300 * mib, Free: 280 * mib, Cycles: 15}, false, false},
		{"free just twice what is in use", Stats{Cycles: 9}, Stats{InUse: 50 * mib, Free: 100 * mib, Cycles: 12}, false, false},
		{"free just over twice", Stats{Cycles: 9}, Stats{InUse: 50 * mib, Free: 100*mib + 1, Cycles: 12}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			freed := 0
			st := tc.last
			tr := New(Config{Read: func() Stats { return st }, Free: func() { freed++; st.Free, st.Cycles = 0, st.Cycles+1 }})
			if !tc.first {
				tr.Check()
			}
			st = tc.now
			if got := tr.Check(); got != tc.want || freed != map[bool]int{true: 1}[tc.want] {
				t.Fatalf("Check %v, freed %d times; want %v", got, freed, tc.want)
			}
			if tc.want && tr.Check() { // a trim that freed little is not repeated
				t.Fatal("trimmed again with nothing new")
			}
		})
	}
}

// TestTrimsAgainAfterAFruitfulTrim: while a quiet server's garbage keeps
// growing (finished calls' transactions expiring), a trim that freed
// much is followed by another; one that freed little ends the series.
func TestTrimsAgainAfterAFruitfulTrim(t *testing.T) {
	const mib = 1 << 20
	st := Stats{InUse: 400 * mib, Cycles: 1}
	live := uint64(300 * mib)
	trims := 0
	tr := New(Config{Read: func() Stats { return st }, Free: func() { trims++; st = Stats{InUse: live, Cycles: st.Cycles + 1} }})
	tr.Check() // the first look
	if !tr.Check() || st.InUse != 300*mib {
		t.Fatal("no trim of 100 MiB of garbage")
	}
	live = 100 * mib // the transactions expired: 200 MiB more garbage, no collection yet
	if !tr.Check() || st.InUse != 100*mib {
		t.Fatal("no second trim after the first freed 100 MiB")
	}
	if !tr.Check() { // the heap is all live now, which only a trim can tell
		t.Fatal("no third trim after the second freed 200 MiB")
	}
	for range 3 {
		if tr.Check() {
			t.Fatalf("trim %d of a heap found all live", trims)
		}
	}
}

// TestTrimsARealBurst: after 256 MiB of garbage is collected, the
// runtime's free heap is large; a check returns it to the system.
func TestTrimsARealBurst(t *testing.T) {
	burst := make([][]byte, 0, 256)
	for range 256 {
		burst = append(burst, make([]byte, 1<<20))
	}
	runtime.KeepAlive(burst)
	burst = nil
	runtime.GC()
	before := ReadStats()
	if before.Free < 128<<20 {
		t.Fatalf("the runtime kept only %d MiB of the burst free: it returns memory by itself now, and trimming may not be needed", before.Free>>20)
	}
	if !New(Config{}).Check() {
		t.Fatalf("no trim with %d MiB free and %d MiB in use", before.Free>>20, before.InUse>>20)
	}
	if after := ReadStats(); after.Free >= 64<<20 {
		t.Fatalf("%d MiB still free and unreturned after the trim", after.Free>>20)
	}
}

// TestRunChecksOnItsClock: Run looks once per interval of its clock, and
// stops with its context.
func TestRunChecksOnItsClock(t *testing.T) {
	clock := clocktest.New(time.Unix(0, 0))
	checks := make(chan struct{}, 10)
	tr := New(Config{Every: 30 * time.Second, Read: func() Stats { checks <- struct{}{}; return Stats{} }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); tr.Run(ctx, clock) }()
	for i := range 3 {
		for clock.Timers() == 0 { // Run is waiting on its timer
			time.Sleep(time.Millisecond)
		}
		clock.Advance(29 * time.Second)
		if len(checks) != 0 {
			t.Fatalf("interval %d: a check before the interval was up", i)
		}
		clock.Advance(time.Second)
		<-checks // one check for the interval
	}
	cancel()
	<-done
}
