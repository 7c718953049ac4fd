// Command stream is the realtime stream's fan-out benchmark (make
// bench-stream). It runs callfloor serve as its own process on SQLite,
// logs in -agents agents, opens -clients supervisor WebSocket streams
// (/api/v1/stream, one API token), and has the agents pause and unpause
// through the API for -duration, together offering -rate commands a
// second on a fixed schedule (benchserver's Pauses): a command the
// server has not taken a whole turn after it was due is skipped and
// counted, so the rate offered is the one asked for and the rate
// applied is what the server took. Each pause or unpause is one journaled event; every
// client times each event from its journal timestamp to the moment its
// frame is whole in the client's buffer (client.go). For each event the
// slowest client counts (the last socket it reached), and the benchmark
// prints the settings and counts as "# ..." lines (events a stream
// missed and fresh snapshots among them) and one figure a line as
// "name: value unit". -cpuprofile profiles the server and the
// benchmark.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/callfloor/callfloor/bench/internal/benchserver"
)

func main() {
	agents := flag.Int("agents", 200, "logged-in agents whose pauses make the events")
	clients := flag.Int("clients", 500, "supervisor WebSocket streams")
	rate := flag.Int("rate", 5000, "agent commands (events) a second")
	duration := flag.Duration("duration", 20*time.Second, "how long the events are driven")
	cpuprofile := flag.String("cpuprofile", "", "write CPU profiles of the load to this file (the server's) and to it with .client appended (the benchmark's own)")
	flag.Parse()
	if *agents < 1 || *clients < 1 || *rate < 1 {
		log.Fatal("-agents, -clients and -rate must be positive")
	}
	if err := run(*agents, *clients, *rate, *duration, *cpuprofile); err != nil {
		log.Fatal(err)
	}
}

func run(nAgents, nClients, rate int, duration time.Duration, cpuprofile string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bench-stream-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := benchserver.Start(ctx, dir, benchserver.Options{Licences: nAgents, Pprof: cpuprofile != ""})
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Printf("# callfloor serve on SQLite, %d agents, %d supervisor streams, %d events/s for %s\n", nAgents, nClients, rate, duration)

	admin, err := srv.Login(ctx, "admin")
	if err != nil {
		return err
	}
	var reason struct{ ID int64 }
	if err := srv.Do(ctx, admin, "POST", "/api/v1/pause-reasons", map[string]any{"name": "Bench", "code": 9}, &reason); err != nil {
		return err
	}
	agents, err := srv.Agents(ctx, admin, nAgents)
	if err != nil {
		return err
	}
	var sup struct{ Token string }
	if err := srv.Do(ctx, admin, "POST", "/api/v1/tokens", map[string]any{"name": "bench supervisors"}, &sup); err != nil {
		return err
	}

	// The streams: each waits for its snapshot before the load starts.
	cl := make([]*client, nClients)
	var ready sync.WaitGroup
	for i := range cl {
		cl[i] = &client{}
		ready.Add(1)
		go cl[i].run(ctx, srv.HTTP, sup.Token, &ready)
	}
	ready.Wait()
	for _, c := range cl {
		if c.err != nil {
			return fmt.Errorf("a stream did not start: %w", c.err)
		}
	}

	// The load: the agents pause and unpause in turn, at rate.
	var profiled sync.WaitGroup
	if cpuprofile != "" {
		stop, err := srv.Profile(ctx, cpuprofile, duration, &profiled)
		if err != nil {
			return err
		}
		defer stop()
	}
	tokens := make([]string, len(agents))
	for i, a := range agents {
		tokens[i] = a.Token
	}
	l := srv.Pauses(ctx, tokens, reason.ID, rate, duration, nil)
	behind := settle(cl, l.LastSeq, 15*time.Second)
	profiled.Wait()
	for _, c := range cl {
		c.stop()
		if c.err != nil {
			return fmt.Errorf("a stream failed: %w", c.err)
		}
	}
	report(cl, l, behind)
	return nil
}

// settle waits, at most d, for every client to have the event of seq
// last; it returns how many have not.
func settle(cl []*client, last int64, d time.Duration) int {
	deadline := time.Now().Add(d)
	for {
		behind := 0
		for _, c := range cl {
			c.mu.Lock()
			if c.last < last {
				behind++
			}
			c.mu.Unlock()
		}
		if behind == 0 || time.Now().After(deadline) {
			return behind
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// report prints the load, what reached the streams, and per event the
// slowest client's latency.
func report(cl []*client, l benchserver.Load, behind int) {
	slowest := map[int64]time.Duration{}
	received, gaps, resyncs := 0, 0, 0
	for _, c := range cl {
		c.mu.Lock()
		for _, s := range c.seen {
			received++
			if s.lat > slowest[s.seq] {
				slowest[s.seq] = s.lat
			}
		}
		gaps += c.gaps
		resyncs += c.snapshots - 1
		c.mu.Unlock()
	}
	lat := make([]time.Duration, 0, len(slowest))
	for _, d := range slowest {
		lat = append(lat, d)
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	secs := l.Took.Seconds()
	fmt.Printf("# offered %d commands in %s (%.0f/s): %d applied (%.0f/s), %d refused or failed, %d skipped (the agent's previous command still unanswered a turn later)\n",
		l.Offered, l.Took.Round(time.Millisecond), float64(l.Offered)/secs, l.Applied, float64(l.Applied)/secs, l.Failed, l.Skipped)
	fmt.Printf("# %d events reached the streams, %d deliveries (%.1f per event); %d events missed by a stream, %d fresh snapshots, %d streams behind the last event at the end\n",
		len(slowest), received, float64(received)/float64(max(1, len(slowest))), gaps, resyncs, behind)
	fmt.Printf("# fan-out to the last client: p50 %.1f ms, p90 %.1f ms, max %.1f ms\n", q(0.5), q(0.9), q(1))
	fmt.Printf("stream_fanout_p99: %.1f ms\n", q(0.99))
}
