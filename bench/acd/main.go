// Command acd is the ACD's routing benchmark (make bench-acd). It
// creates one account in a fresh store (SQLite in a temporary directory,
// or PostgreSQL with -database) with thousands of agent extensions
// spread over hundreds of longest-idle queues, brings every agent's phone
// up and logs them in, and runs the real floor engine (journaling through
// a group writer, as callfloor serve does) under the real
// dispatch.Dispatcher. The telephony plane is a fake B2BUA in process:
// callers enter the queues at a steady rate, and each member rung answers
// after a short delay, talks, and is hung up by the caller, with the
// call events the B2BUA and the telephony link would give.
//
// The figure it is about is the routing latency: from a caller's Enqueue
// to the Ring of the member the ACD picked, once it read the floor,
// picked and had the floor's Offer journaled. Beside it, it times the
// ACD's floor reads and offers and splits each routing into its steps.
// It prints one figure a line as "name: value unit"; -cpuprofile
// profiles the call phase.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/callfloor/callfloor/bench/internal/benchstore"
)

func main() {
	agents := flag.Int("agents", 10000, "agent extensions, every one logged in with a registered phone")
	queues := flag.Int("queues", 200, "queues the agents are spread over (longest idle, 20 s ring timeout)")
	rate := flag.Int("rate", 200, "callers entering the queues per second, spread over them in turn")
	duration := flag.Duration("duration", 20*time.Second, "how long callers keep coming")
	answer := flag.Duration("answer", 50*time.Millisecond, "how long a member rings before answering")
	talk := flag.Duration("talk", 2*time.Second, "how long an answered call lasts before the caller hangs up")
	link := flag.Bool("link", false, "report the fake B2BUA's call events to the floor through the real telephony.Link "+
		"(one goroutine, in order, as callfloor serve does) instead of from each call's own goroutine")
	viaStore := flag.Bool("seed-store", false, "create the extensions and queues through the store and have the floor "+
		"read them from it (about 12 s more for 10,000 agents on SQLite)")
	database := flag.String("database", "", "postgres:// URL; empty for SQLite in a temporary directory")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the call phase to this file")
	flag.Parse()
	if *agents < 1 || *queues < 1 || *rate < 1 || *rate > 1_000_000 || *duration < 2*time.Second/time.Duration(*rate) {
		log.Fatal("-agents and -queues must be positive, -rate 1 to 1,000,000, and -duration long enough for two callers")
	}
	if busy := float64(*rate) * (*answer + *talk).Seconds(); busy > 0.8*float64(*agents) {
		fmt.Fprintf(os.Stderr, "warning: %d calls/s for %s each keep %.0f of %d agents busy: callers will wait for agents\n",
			*rate, *answer+*talk, busy, *agents)
	}
	ctx := context.Background()
	st, cleanup, err := benchstore.Open(ctx, *database, "callfloor-bench-acd-")
	if err != nil {
		log.Fatal(err)
	}
	defer cleanup()
	// log.Fatal skips the deferred cleanup: fatal cleans up first, so a
	// failed run leaves no temporary directory or schema behind.
	fatal := func(v ...any) {
		cleanup()
		log.Fatal(v...)
	}
	fmt.Printf("# store: %s, %d agents over %d queues, %d calls/s for %s, answer after %s, talk %s, GOMAXPROCS %d\n",
		benchstore.Name(*database), *agents, *queues, *rate, *duration, *answer, *talk, runtime.GOMAXPROCS(0))

	b := &bench{st: st, answer: *answer, talk: *talk, useLink: *link,
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	t0 := time.Now()
	if err := b.seed(ctx, *agents, *queues, *viaStore); err != nil {
		fatal(err)
	}
	seeded := time.Since(t0)
	t0 = time.Now()
	if err := b.start(ctx); err != nil {
		fatal(err)
	}
	started := time.Since(t0)
	fmt.Printf("seed_time: %.2f s\n", seeded.Seconds())
	fmt.Printf("login_time: %.2f s\n", started.Seconds())

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatal(err)
		}
	}
	r := b.run(ctx, *rate, *duration)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	b.stop()
	r.print(*agents, *queues)
	b.probe.print(r.probed)
	b.probe.breakdown(r.calls)
}

// results are the call phase's figures.
type results struct {
	offered  int           // callers enqueued
	elapsed  time.Duration // from the first to the last Enqueue
	routing  []time.Duration
	rings    int64 // Ring calls: more than the calls routed means offers moved on
	answered int64
	ended    int64
	// announced, moved and dropped count the ACD's Announce, MoveQueue
	// and Drop (none expected: no queue here announces or has limits).
	announced, moved, dropped int64
	unrouted                  []string // call IDs never rung
	unfinished                int      // calls still up when the bench stopped waiting
	// late counts members who answered a call another member had
	// taken; floorErrors the call events the floor refused.
	late          int64
	floorErrors   int64
	firstFloorErr error
	// probed is how long the probe of the ACD's floor calls recorded.
	probed time.Duration
	calls  []*call
}

func (r *results) print(agents, queues int) {
	slices.Sort(r.routing)
	fmt.Printf("# call phase: %d callers, %d rings, %d answered, %d ended; %d announcements, %d moved, %d dropped\n",
		r.offered, r.rings, r.answered, r.ended, r.announced, r.moved, r.dropped)
	fmt.Printf("agents: %d count\n", agents)
	fmt.Printf("queues: %d count\n", queues)
	// n callers arrive over n-1 intervals
	fmt.Printf("calls_offered_per_second: %.1f calls/s\n", float64(r.offered-1)/max(r.elapsed, time.Millisecond).Seconds())
	fmt.Printf("calls_routed: %d count\n", len(r.routing))
	fmt.Printf("calls_not_routed: %d count\n", len(r.unrouted))
	fmt.Printf("routing_latency_p50: %.2f ms\n", ms(pct(r.routing, 0.50)))
	fmt.Printf("routing_latency_p90: %.2f ms\n", ms(pct(r.routing, 0.90)))
	fmt.Printf("routing_latency_p99: %.2f ms\n", ms(pct(r.routing, 0.99)))
	fmt.Printf("routing_latency_max: %.2f ms\n", ms(pct(r.routing, 1)))
	if n := len(r.unrouted); n > 0 {
		fmt.Fprintf(os.Stderr, "warning: %d of %d calls were never routed to a member (first: %s)\n",
			n, r.offered, r.unrouted[0])
	}
	if r.late > 0 {
		fmt.Fprintf(os.Stderr, "warning: %d members answered a call another member had taken\n", r.late)
	}
	if r.floorErrors > 0 {
		fmt.Fprintf(os.Stderr, "warning: the floor refused %d call events (first: %v)\n", r.floorErrors, r.firstFloorErr)
	}
	if r.unfinished > 0 {
		fmt.Fprintf(os.Stderr, "warning: %d calls had not ended when the bench stopped\n", r.unfinished)
	}
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[int(float64(len(d)-1)*p)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
