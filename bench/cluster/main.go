// Command cluster is the cluster mode's benchmark (make bench-cluster).
// It builds callfloor and runs it as three node processes on loopback,
// sharing a PostgreSQL schema of its own and NATS, with hundreds of
// accounts seeded through the store, and measures what issue 17 promises:
// the floor changes a second one node carries and three nodes carry
// (each request sent to its account's owner), the added latency of a
// request forwarded from a node that does not own the account, and how
// long a killed node's accounts take to be served again. It prints the
// settings as "# ..." lines and one figure a line as "name: value unit",
// the goal beside it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/callfloor/callfloor/bench/internal/benchstore"
	"github.com/callfloor/callfloor/cluster/placement"
	"github.com/callfloor/callfloor/sqlstore"
)

// The goals of issue 17.
const (
	scalingGoal   = 2.4              // three nodes over one
	forwardGoalMS = 5.0              // forwarded command p99
	failoverGoal  = 10 * time.Second // a dead node's accounts served again
)

type options struct {
	accounts int
	agents   int // per account
	workers  int
	duration time.Duration
	warm     time.Duration
	commands int // of the latency phase
	kills    int
	ttl      time.Duration
	postgres string
	nats     string
	keep     bool
	profile  string
}

func main() {
	var o options
	flag.IntVar(&o.accounts, "accounts", 300, "accounts the cluster serves")
	flag.IntVar(&o.agents, "agents", 2, "agents per account")
	flag.IntVar(&o.workers, "workers", 32, "concurrent workers of the throughput phases")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "how long each throughput phase is measured")
	flag.DurationVar(&o.warm, "warm", 2*time.Second, "load before each throughput phase's measurement")
	flag.IntVar(&o.commands, "commands", 1000, "commands of the latency phase, forwarded and direct each")
	flag.IntVar(&o.kills, "kills", 5, "nodes killed in turn in the failover phase (0 skips it)")
	flag.DurationVar(&o.ttl, "cluster-ttl", 5*time.Second, "the nodes' --cluster-ttl")
	flag.StringVar(&o.postgres, "postgres", os.Getenv("CALLFLOOR_TEST_POSTGRES"), "PostgreSQL URL; the bench makes a schema of its own there and drops it")
	flag.StringVar(&o.nats, "nats", os.Getenv("CALLFLOOR_TEST_NATS"), "NATS URL, JetStream on; the bench's streams and buckets are deleted at the end")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directory (the nodes' logs)")
	flag.StringVar(&o.profile, "profile", "", "write each node's CPU profile of each throughput phase into this directory")
	flag.Parse()
	if o.postgres == "" {
		o.postgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	if o.nats == "" {
		o.nats = "nats://127.0.0.1:4222"
	}
	switch {
	case o.accounts < 3 || o.agents < 1 || o.workers < 1:
		fatal("-accounts must be 3 or more, -agents and -workers 1 or more")
	case o.duration <= 0 || o.warm < 0 || o.commands < 1 || o.kills < 0:
		fatal("-duration must be positive, -warm 0 or more, -commands 1 or more, -kills 0 or more")
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	b := &bench{opt: o}
	err := b.run(ctx)
	b.close()
	if err != nil {
		fatal(err)
	}
}

func fatal(v ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"bench-cluster:"}, v...)...)
	os.Exit(1)
}

type bench struct {
	opt     options
	dir     string
	cluster string // its name: the prefix of its NATS streams and buckets
	st      *sqlstore.Store
	dropDB  func()
	nodes   []*node
	names   []string
	accs    []*account
	client  *client
}

func (b *bench) run(ctx context.Context) error {
	o := b.opt
	var err error
	if b.dir, err = os.MkdirTemp("", "callfloor-bench-cluster-"); err != nil {
		return err
	}
	var dbURL string
	if b.st, dbURL, b.dropDB, err = benchstore.OpenAt(ctx, o.postgres, ""); err != nil {
		return err
	}
	suffix := make([]byte, 6)
	rand.Read(suffix)
	b.cluster = "cfbench" + hex.EncodeToString(suffix)
	fmt.Printf("# %d accounts of %d agents, %d workers, %s a throughput phase (after %s of warm-up), %d commands a latency series, %d kills, cluster-ttl %s\n",
		o.accounts, o.agents, o.workers, o.duration, o.warm, o.commands, o.kills, o.ttl)
	fmt.Printf("# three callfloor serve processes on loopback (cluster %s), PostgreSQL (a schema of its own), NATS and this load generator share one machine\n", b.cluster)
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("# load average at the start (other work on the machine shows here): %s\n", strings.Join(strings.Fields(string(la))[:3], " "))
	}
	fmt.Printf("cores: %d\n", runtime.NumCPU())

	t0 := time.Now()
	if b.accs, err = seed(ctx, b.st, o.accounts, o.agents); err != nil {
		return err
	}
	fmt.Printf("# seeded %d accounts through the store in %.1f s\n", len(b.accs), time.Since(t0).Seconds())
	bin, err := build(ctx, b.dir)
	if err != nil {
		return err
	}
	if b.nodes, err = newNodes(b.dir, bin, dbURL, o.nats, b.cluster, o.ttl, 3, o.profile != ""); err != nil {
		return err
	}
	for _, n := range b.nodes {
		b.names = append(b.names, n.name)
	}
	b.client = newClient(o.workers+4, 10*time.Second)

	// One node: it owns every account.
	first := b.nodes[0]
	if err := first.start(ctx); err != nil {
		return err
	}
	t0 = time.Now()
	if err := b.waitOwners(ctx, func(*account) string { return first.name }, 2*time.Minute); err != nil {
		return err
	}
	fmt.Printf("# %s owns all %d accounts %.1f s after it started\n", first.name, len(b.accs), time.Since(t0).Seconds())
	if err := b.loginAll(ctx, first); err != nil {
		return err
	}
	b.idle(ctx, "one node")
	one := b.load(ctx, "one", func(*account) string { return first.base() }, o.warm, o.duration)
	one.describe("one node")
	fmt.Printf("cluster_changes_per_second_1: %.0f changes/s\n", one.rate())

	// Three nodes, once the accounts have spread as placement puts them.
	t0 = time.Now()
	for _, n := range b.nodes[1:] {
		if err := n.start(ctx); err != nil {
			return err
		}
	}
	if err := b.waitOwners(ctx, b.placed, 3*time.Minute); err != nil {
		return err
	}
	fmt.Printf("# the accounts spread over three nodes %.1f s after the second and third started: %s\n", time.Since(t0).Seconds(), b.spread())
	b.idle(ctx, "three nodes")
	three := b.load(ctx, "three", func(a *account) string { return b.node(b.placed(a)).base() }, o.warm, o.duration)
	three.describe("three nodes, each command to its account's owner")
	fmt.Printf("cluster_changes_per_second_3: %.0f changes/s\n", three.rate())
	scaling := 0.0
	if one.rate() > 0 {
		scaling = three.rate() / one.rate()
	}
	fmt.Printf("cluster_scaling: %.2f x (goal: at least %.1f on three nodes; the three nodes share these %d cores with PostgreSQL, NATS and the load generator, so this machine cannot show it)\n",
		scaling, scalingGoal, runtime.NumCPU())

	// Forwarded against direct, lightly loaded: one command at a time.
	owner := func(a *account, _ *mrand.Rand) string { return b.node(b.placed(a)).base() }
	other := func(a *account, r *mrand.Rand) string {
		p := b.placed(a)
		for {
			if n := b.nodes[r.IntN(len(b.nodes))]; n.name != p {
				return n.base()
			}
		}
	}
	fwd, direct, fails := b.latency(ctx, owner, other, o.commands)
	fmt.Printf("# latency: %d forwarded and %d direct changes, one at a time; failures: %s\n", len(fwd), len(direct), failures(fails))
	fmt.Printf("direct_command_p50: %.2f ms\n", ms(pct(direct, 0.50)))
	fmt.Printf("direct_command_p99: %.2f ms\n", ms(pct(direct, 0.99)))
	fmt.Printf("forwarded_command_p50: %.2f ms\n", ms(pct(fwd, 0.50)))
	fmt.Printf("forwarded_command_p99: %.2f ms (goal: under %.0f)\n", ms(pct(fwd, 0.99)), forwardGoalMS)
	if ctx.Err() != nil {
		return ctx.Err()
	}

	if o.kills > 0 {
		return b.failovers(ctx)
	}
	return nil
}

// idleFor is how long the cluster is watched idle before a load phase.
const idleFor = 3 * time.Second

// idle prints the CPU the cluster uses with no load: what its nodes do
// in the background (placement rounds, lease renewals, heartbeats).
func (b *bench) idle(ctx context.Context, label string) {
	u0 := b.readUse()
	select {
	case <-ctx.Done():
	case <-time.After(idleFor):
	}
	fmt.Printf("# %s idle for %s before the load, CPU in cores: %s\n", label, idleFor, b.readUse().since(u0))
}

// placed is the node placement gives the account with all three up.
func (b *bench) placed(a *account) string { return placement.Pick(a.id, b.names) }

func (b *bench) node(name string) *node {
	for _, n := range b.nodes {
		if n.name == name {
			return n
		}
	}
	panic("no node " + name)
}

// spread counts the accounts each node owns, as placement puts them.
func (b *bench) spread() string {
	count := map[string]int{}
	for _, a := range b.accs {
		count[b.placed(a)]++
	}
	var out []string
	for _, n := range b.names {
		out = append(out, fmt.Sprintf("%s %d", n, count[n]))
	}
	return strings.Join(out, ", ")
}

// waitOwners waits until every account's owner, as the store has it, is
// the one want names.
func (b *bench) waitOwners(ctx context.Context, want func(*account) string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	left := b.accs
	for {
		var still []*account
		for _, a := range left {
			o, err := b.st.AccountOwnership(ctx, a.id)
			if err != nil {
				return err
			}
			if o.Node != want(a) {
				still = append(still, a)
			}
		}
		if left = still; len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			o, _ := b.st.AccountOwnership(ctx, left[0].id)
			return fmt.Errorf("%d accounts are not on their nodes after %s; %s is on %q, not %s", len(left), limit, left[0].name, o.Node, want(left[0]))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// loginAll logs every agent in through n, which owns every account.
func (b *bench) loginAll(ctx context.Context, n *node) error {
	var agents []*agent
	for _, a := range b.accs {
		agents = append(agents, a.agents...)
	}
	next := make(chan *agent)
	errs := make(chan error, len(agents))
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ag := range next {
				if a := b.client.post(ctx, n.base(), ag.token, pathLogin, nil); a.status != 200 {
					errs <- fmt.Errorf("agent %d of %s: login answered %s (%v)", ag.ext, ag.acc.name, a.what(), a.err)
				}
			}
		}()
	}
	for _, ag := range agents {
		next <- ag
	}
	close(next)
	wg.Wait()
	close(errs)
	return <-errs
}

// close stops the nodes and removes what the bench made: the schema, the
// NATS streams and buckets, the working directory.
func (b *bench) close() {
	for _, n := range b.nodes {
		n.kill()
	}
	if b.dropDB != nil {
		b.dropDB()
	}
	if b.cluster != "" {
		if err := dropNATS(b.opt.nats, b.cluster); err != nil {
			fmt.Fprintf(os.Stderr, "bench-cluster: deleting the NATS streams of %s: %v\n", b.cluster, err)
		}
	}
	if b.dir == "" {
		return
	}
	if b.opt.keep {
		fmt.Printf("# kept %s (the nodes' logs)\n", b.dir)
		return
	}
	os.RemoveAll(b.dir)
}
