package fanout

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

// BenchmarkFanout: batches of 4 events across 300 accounts, from
// Publish on one connection to a Receiver's Sink on another: events/s,
// and the p50 and p99 times from Publish to the Sink. "flood" publishes
// as fast as it can (its latencies are queueing); "paced" publishes
// 20,000 events/s, a busy cluster, and "quiet" 2,000, so that their
// latencies are the path's own.
func BenchmarkFanout(b *testing.B) {
	b.Run("flood", func(b *testing.B) { benchFanout(b, 0) })
	b.Run("paced", func(b *testing.B) { benchFanout(b, 20000) })
	b.Run("quiet", func(b *testing.B) { benchFanout(b, 2000) })
}

func benchFanout(b *testing.B, perSecond int) {
	const accounts, size = 300, 4
	cfg := streamConfig(b)
	cfg.Memory = true
	j := newFakeJournal()
	pnc, _ := conn(b, "owner")
	// The flood's queue holds it all, so that nothing is dropped and
	// the figure is the path's, not the journal's.
	p, err := NewPublisher(context.Background(), pnc, PublisherConfig{Config: cfg, Queue: max(b.N, 4096), Window: 4096})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = p.Close(context.Background()) }()
	total := b.N * size
	var mu sync.Mutex
	lat := make([]time.Duration, 0, total)
	all := make(chan struct{})
	rnc, _ := conn(b, "node")
	r, err := NewReceiver(context.Background(), rnc, ReceiverConfig{Config: cfg, Journal: j, Sink: func(evs []callfloor.Event) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		for _, e := range evs {
			lat = append(lat, now.Sub(e.At)) // those filled from the journal are far in the past
		}
		if len(lat) == total {
			close(all)
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Stop()
	next := make([]int64, accounts+1)
	var gap time.Duration
	if perSecond > 0 {
		gap = time.Second * size / time.Duration(perSecond)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if gap > 0 {
			if d := time.Until(start.Add(time.Duration(i) * gap)); d > 0 {
				time.Sleep(d)
			}
		}
		a := int64(i%accounts) + 1
		evs := evs(a, next[a]+1, next[a]+size)
		next[a] += size
		now := time.Now()
		for k := range evs {
			evs[k].At = now
		}
		j.Append(a, next[a])
		p.Publish(evs)
	}
	select {
	case <-all:
	case <-time.After(time.Minute):
		b.Fatalf("%d of %d events delivered", len(lat), total)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	if f := r.Stats().Filled; f > 0 {
		lat = lat[:len(lat)-int(f)]
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(p.Dropped()), "dropped")
	b.ReportMetric(float64(r.Stats().Filled), "filled")
}
