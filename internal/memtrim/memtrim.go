// Package memtrim gives the heap's memory back to the system once a
// burst is over. After a burst Go keeps what it allocated: a server that
// then goes quiet allocates too little to start a collection (the next
// is the one forced every two minutes), so the burst's garbage stays,
// and what a collection frees is returned slowly (the scavenger paces
// itself at about one per cent of a CPU). A server whose load comes in
// bursts (a thousand calls a second, then few) would hold the burst's
// memory for minutes. A Trimmer looks every so often and collects and
// returns the memory at once when the heap is large and either no
// collection ran since it last looked or what is free dwarfs what is
// in use.
package memtrim

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/callfloor/callfloor"
)

// Stats are the heap's figures a Trimmer decides on, in bytes.
type Stats struct {
	InUse  uint64 // objects (live or not yet collected) and their spans' unused room
	Free   uint64 // free, and not yet returned to the system
	Cycles uint64 // collections since the start
}

// Trimmer hands free heap memory back. The zero value is not ready: use
// New.
type Trimmer struct {
	every   time.Duration
	minFree uint64
	read    func() Stats
	free    func()
	log     *slog.Logger
	cycles  uint64 // at the last check
	checked bool
	// floor is the heap (in use and free) after the last trim if that
	// trim freed less than MinFree: all live, not worth another until
	// the heap grows past it. 0 after a trim that freed much.
	floor uint64
}

// Config configures New; zero fields take the defaults.
type Config struct {
	// Every is how often Run looks (30 s).
	Every time.Duration
	// MinFree is the least free memory worth a trim (64 MiB): below it a
	// trim costs a collection for little.
	MinFree uint64
	// Read and Free replace the runtime's figures and
	// debug.FreeOSMemory, for tests.
	Read   func() Stats
	Free   func()
	Logger *slog.Logger
}

// New returns a Trimmer.
func New(c Config) *Trimmer {
	t := &Trimmer{every: c.Every, minFree: c.MinFree, read: c.Read, free: c.Free, log: c.Logger}
	if t.every <= 0 {
		t.every = 30 * time.Second
	}
	if t.minFree == 0 {
		t.minFree = 64 << 20
	}
	if t.read == nil {
		t.read = ReadStats
	}
	if t.free == nil {
		t.free = debug.FreeOSMemory
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	return t
}

// Check trims (collects, then returns every free page) when
//   - no collection ran since the last check and the heap (in use and
//     free) is at least MinFree: the allocations slowed down after a
//     burst, whose garbage would otherwise wait for the forced
//     collection. A trim that finds the heap all live (frees less than
//     MinFree) is not repeated until the heap grows by MinFree;
//   - or the free heap alone is at least MinFree and more than twice
//     what is in use: collected after a burst, and not yet returned.
//
// Under steady load collections run often and free memory is about what
// is in use, so neither holds. It reports whether it trimmed.
func (t *Trimmer) Check() bool {
	st := t.read()
	quiet := t.checked && st.Cycles == t.cycles && st.InUse+st.Free >= t.floor+t.minFree
	shrunk := st.Free >= t.minFree && st.Free > 2*st.InUse
	t.cycles, t.checked = st.Cycles, true
	if !quiet && !shrunk {
		return false
	}
	t.free()
	after := t.read()
	t.cycles, t.floor = after.Cycles, 0
	if before, left := st.InUse+st.Free, after.InUse+after.Free; before < left+t.minFree {
		t.floor = left
	}
	t.log.Info("returned heap memory to the system", "quiet", quiet,
		"in_use_mib", st.InUse>>20, "free_mib", st.Free>>20, "in_use_after_mib", after.InUse>>20, "free_after_mib", after.Free>>20)
	return true
}

// Run checks every Every until ctx ends.
func (t *Trimmer) Run(ctx context.Context, clock callfloor.TimerClock) {
	for {
		tm := clock.NewTimer(t.every)
		select {
		case <-ctx.Done():
			tm.Stop()
			return
		case <-tm.C():
		}
		t.Check()
	}
}

// ReadStats reads the heap's figures from the runtime.
func ReadStats() Stats {
	s := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
	}
	metrics.Read(s)
	u := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	return Stats{InUse: u(0) + u(1), Free: u(2), Cycles: u(3)}
}
