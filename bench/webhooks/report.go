package main

import (
	"fmt"
	"time"

	"github.com/callfloor/callfloor/bench/internal/benchserver"
)

// results is what the run came to, besides each endpoint's tally.
type results struct {
	load         benchserver.Load
	acked        []int64 // seqs of the commands acknowledged
	notJournaled int     // of them, not in the journal
	journaled    int     // events journaled since the endpoints were made
	took         time.Duration
	requests     int // answered requests, over every receiver
	badSigs      int
	badIDs       int
	// CPU time of the server and of this process, during the load and
	// up to the drain's end.
	serverLoad, server, selfLoad, self time.Duration
}

// selfCPU is the CPU time this process has used.
var selfCPU = benchserver.SelfCPU

// ms says a quantile in milliseconds, or that its message was not
// tried by the end.
func ms(d time.Duration, ok bool) string {
	if !ok {
		return "not tried by the end"
	}
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

// report prints the load, each group's first attempts, and the figures.
func report(hooks []*hook, r results) {
	l := r.load
	secs := l.Took.Seconds()
	fmt.Printf("# offered %d commands in %s (%.0f/s): %d applied (%.0f/s), %d refused or failed, %d skipped (the agent's previous command still unanswered a turn later)\n",
		l.Offered, l.Took.Round(time.Millisecond), float64(l.Offered)/secs, l.Applied, float64(l.Applied)/secs, l.Failed, l.Skipped)
	fmt.Printf("# %d events journaled since the endpoints were made (%.0f/s over the load); %d acknowledged commands' events not in the journal\n",
		r.journaled, float64(r.journaled)/secs, r.notJournaled)
	var healthy []tally
	for _, h := range hooks[1:] {
		healthy = append(healthy, h.result)
	}
	ok, bad := add(healthy...), hooks[0].result
	all := add(ok, bad)
	fmt.Printf("# %d messages accepted (2xx) by the receivers in %.1f s from the load's start to the healthy endpoints' drain (%.0f/s); %d requests in all; %d signature failures, %d bad ids\n",
		all.arrived+all.duplicates, r.took.Seconds(), float64(all.arrived+all.duplicates)/r.took.Seconds(), r.requests, r.badSigs, r.badIDs)
	for _, g := range []struct {
		name string
		t    tally
	}{{fmt.Sprintf("healthy endpoints (%d)", len(healthy)), ok}, {"failing endpoint", bad}, {"all endpoints", all}} {
		t := g.t
		fmt.Printf("# %s: %d expected, %d accepted, %d waiting in the outbox, %d lost, %d unexpected; %d came more than once, %d accepted twice or more; %d out of their lane's order\n",
			g.name, t.expected, t.arrived, t.waiting, t.lost, t.unexpected, t.retried, t.duplicates, t.outOfOrder)
		p50, ok50 := t.firstAttempt(0.5)
		p90, ok90 := t.firstAttempt(0.9)
		p99, ok99 := t.firstAttempt(0.99)
		top, okTop := t.firstAttempt(1)
		fmt.Printf("#   first attempt, from the journal timestamp: p50 %s, p90 %s, p99 %s, max %s (%d of %d messages tried)\n",
			ms(p50, ok50), ms(p90, ok90), ms(p99, ok99), ms(top, okTop), len(t.lat), t.expected)
	}
	fmt.Printf("# CPU: the server %.1f s over the load (%.0f%% of a core), %.1f s to the drain's end; this benchmark (receivers and agents) %.1f s and %.1f s\n",
		r.serverLoad.Seconds(), 100*r.serverLoad.Seconds()/secs, r.server.Seconds(), r.selfLoad.Seconds(), r.self.Seconds())
	if r.requests > 0 {
		// The server's CPU to the drain's end over every request it
		// sent: the agents' commands and the floor are in it too.
		fmt.Printf("# CPU for each request sent: the server %.3f ms, this benchmark %.3f ms\n",
			float64(r.server.Microseconds())/1000/float64(r.requests), float64(r.self.Microseconds())/1000/float64(r.requests))
	}
	fmt.Printf("# goals: webhook_first_attempt_p99 under 1,000 ms, webhook_lost 0, webhook_duplicate_ratio under 0.001 (0.1%%)\n")
	fmt.Printf("webhook_first_attempt_p99: %s\n", ms(ok.firstAttempt(0.99)))
	fmt.Printf("webhook_lost: %d\n", all.lost)
	fmt.Printf("webhook_duplicate_ratio: %.5f\n", ok.duplicateRatio())
}
