// Command webhooks is the webhooks' delivery benchmark (make
// bench-webhooks). It runs callfloor serve as its own process on SQLite
// (--webhook-allow-private, so loopback receivers are accepted), starts
// -endpoints receivers (Go HTTP servers on 127.0.0.1, receiver.go) and
// makes an endpoint of every event type for each through the admin API;
// the first receiver answers 500 to every other request. -agents
// logged-in agents then pause and unpause through the API at -rate
// commands a second for -duration (benchserver's Pauses), each command
// one journaled event in the lane of its agent's extension.
//
// Every receiver checks each signature with webhook.Verify and keeps,
// per message id, when it first came (the first attempt, answered or
// not) and how often. After the load the benchmark waits, at most
// -drain, for the endpoints' backlogs (the API's backlog and cursor) to
// empty, stops the server and reads its journal: every event journaled
// since an endpoint was made must have been accepted by its receiver,
// or still wait in the endpoint's outbox; one that did neither is lost
// (tally.go).
//
// It prints the settings and counts as "# ..." lines and one figure a
// line as "name: value unit": the first attempt's p99 latency, from the
// event's journal timestamp (the body's timestamp) to the first request
// reaching the receiver, over the healthy endpoints and apart for the
// failing one; the messages lost; and the healthy endpoints' duplicate
// deliveries over their messages. -cpuprofile profiles the server and
// the benchmark during the load.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/callfloor/callfloor/bench/internal/benchserver"
)

func main() {
	rate := flag.Int("rate", 1000, "agent commands (journaled events) a second")
	duration := flag.Duration("duration", 60*time.Second, "how long the events are driven")
	endpoints := flag.Int("endpoints", 10, "webhook endpoints, each with its own receiver; the first fails half its requests")
	agents := flag.Int("agents", 250, "logged-in agents whose pauses make the events (each its own lane)")
	drain := flag.Duration("drain", 2*time.Minute, "how long to wait after the load for the backlogs to empty")
	cpuprofile := flag.String("cpuprofile", "", "write CPU profiles of the load to this file (the server's) and to it with .client appended (the benchmark's own)")
	flag.Parse()
	if *rate < 1 || *endpoints < 2 || *agents < 1 {
		log.Fatal("-rate and -agents must be positive, and -endpoints at least 2 (one failing, one healthy)")
	}
	cfg := config{rate: *rate, duration: *duration, endpoints: *endpoints, agents: *agents, drain: *drain, cpuprofile: *cpuprofile}
	if err := run(cfg); err != nil {
		log.Fatal(err)
	}
}

type config struct {
	rate, endpoints, agents int
	duration, drain         time.Duration
	cpuprofile              string
}

// hook is an endpoint with its receiver.
type hook struct {
	id     int64
	start  int64 // the journal's head when it was made: it takes what follows
	recv   *receiver
	result tally
}

func run(cfg config) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bench-webhooks-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := benchserver.Start(ctx, dir, benchserver.Options{Licences: cfg.agents,
		Args: []string{"--webhook-allow-private"}, Pprof: cfg.cpuprofile != ""})
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Printf("# callfloor serve on SQLite, %d agents, %d endpoints on loopback (the first answers 500 to every other request), %d events/s for %s\n",
		cfg.agents, cfg.endpoints, cfg.rate, cfg.duration)

	admin, err := srv.Login(ctx, "admin")
	if err != nil {
		return err
	}
	var reason struct{ ID int64 }
	if err := srv.Do(ctx, admin, "POST", "/api/v1/pause-reasons", map[string]any{"name": "Bench", "code": 9}, &reason); err != nil {
		return err
	}
	agents, err := srv.Agents(ctx, admin, cfg.agents)
	if err != nil {
		return err
	}
	hooks, account, err := makeHooks(ctx, srv, admin, cfg.endpoints)
	if err != nil {
		return err
	}
	defer func() {
		for _, h := range hooks {
			h.recv.close()
		}
	}()

	// The load: the agents pause and unpause in turn, at rate.
	var profiled sync.WaitGroup
	if cfg.cpuprofile != "" {
		stop, err := srv.Profile(ctx, cfg.cpuprofile, cfg.duration, &profiled)
		if err != nil {
			return err
		}
		defer stop()
	}
	tokens := make([]string, len(agents))
	for i, a := range agents {
		tokens[i] = a.Token
	}
	cpu0, _ := srv.CPU()
	self0 := selfCPU()
	var acked ackLog
	start := time.Now()
	l := srv.Pauses(ctx, tokens, reason.ID, cfg.rate, cfg.duration, acked.add)
	cpuLoad, _ := srv.CPU()
	selfLoad := selfCPU()
	profiled.Wait()
	healthyAt, err := waitDrained(ctx, srv, admin, hooks, l.LastSeq, cfg.drain, start)
	if err != nil {
		return err
	}
	cpu1, _ := srv.CPU()
	self1 := selfCPU()
	srv.Stop()

	// What the server journaled and what waits, from its database.
	st, err := openStore(ctx, srv.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	journal, err := readJournal(ctx, st, account, hooks[0].start)
	if err != nil {
		return err
	}
	r := results{load: l, acked: acked.seqs(), took: healthyAt.Sub(start), serverLoad: cpuLoad - cpu0, server: cpu1 - cpu0,
		selfLoad: selfLoad - self0, self: self1 - self0}
	for _, h := range hooks {
		got, requests, badSigs, badIDs := h.recv.snapshot()
		expected := journal.after(h.start)
		pending, err := pendingOf(ctx, st, account, h.id, missing(expected, got))
		if err != nil {
			return err
		}
		h.result = count(expected, got, pending)
		r.requests += requests
		r.badSigs += badSigs
		r.badIDs += badIDs
	}
	r.journaled = len(journal.after(hooks[0].start))
	r.notJournaled = journal.missingOf(r.acked)
	report(hooks, r)
	return nil
}

// makeHooks starts a receiver for each endpoint and makes the endpoints,
// every event type, through the admin API; the first receiver fails. It
// returns them with the account's id.
func makeHooks(ctx context.Context, srv *benchserver.Server, admin string, n int) ([]*hook, int64, error) {
	var hooks []*hook
	var account int64
	for i := range n {
		recv, err := newReceiver(i == 0)
		if err != nil {
			return hooks, 0, err
		}
		h := &hook{recv: recv}
		hooks = append(hooks, h)
		var made struct {
			ID        int64  `json:"id"`
			AccountID int64  `json:"account_id"`
			Cursor    int64  `json:"cursor"`
			Secret    string `json:"secret"`
		}
		body := map[string]any{"url": recv.URL(), "description": fmt.Sprintf("bench receiver %d", i+1), "enabled": true}
		if err := srv.Do(ctx, admin, "POST", "/api/v1/webhook-endpoints", body, &made); err != nil {
			return hooks, 0, err
		}
		h.id, h.start, account = made.ID, made.Cursor, made.AccountID
		recv.expect(made.ID, made.Secret)
	}
	return hooks, account, nil
}

// ackLog keeps the seqs of the commands the server acknowledged.
type ackLog struct {
	mu   sync.Mutex
	list []int64
}

func (a *ackLog) add(seq int64, _ time.Time) {
	a.mu.Lock()
	a.list = append(a.list, seq)
	a.mu.Unlock()
}

func (a *ackLog) seqs() []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.list
}
