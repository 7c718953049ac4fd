package placement

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/internal/natstest"
	"github.com/callfloor/callfloor/internal/syncbuf"
)

const interval = time.Second

// testCluster is placers over one registry on the test NATS and one
// lease table, run round by round on one fake clock.
type testCluster struct {
	t        *testing.T
	js       jetstream.JetStream
	cfg      RegistryConfig
	clock    *clocktest.Clock
	table    *leaseTable
	reg      *Registry
	accounts []int64
	nodes    map[string]*testNode
	order    []string // the running nodes, in the order their rounds run

	mu sync.Mutex // accounts
}

type testNode struct {
	name   string
	member *Member
	owner  *fakeOwner
	placer *Placer
}

func newTestCluster(t *testing.T, accounts int) *testCluster {
	js := natstest.JetStream(t, "callfloor placement test")
	c := &testCluster{t: t, js: js, cfg: testBuckets(t, js, time.Minute), clock: clocktest.New(t0),
		table: newLeaseTable(), nodes: map[string]*testNode{}}
	for id := range accounts {
		c.accounts = append(c.accounts, int64(id+1))
	}
	// The heartbeats run on a clock of their own (never moved: the TTL is
	// long), so that the placers' timers are the only ones on c.clock.
	c.reg = openRegistry(t, js, c.cfg, clocktest.New(t0))
	return c
}

func (c *testCluster) listAccounts(context.Context) ([]int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.accounts), nil
}

// start joins a node to the registry with its placer.
func (c *testCluster) start(name string) *testNode {
	return c.startLogged(name, nil)
}

func (c *testCluster) startLogged(name string, log *slog.Logger) *testNode {
	c.t.Helper()
	ctx := context.Background()
	m, err := c.reg.Join(ctx, Node{Name: name})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { m.Close(context.Background()) })
	n := &testNode{name: name, member: m, owner: newFakeOwner(name, c.table)}
	n.placer = New(Config{Node: name, Registry: c.reg, Owner: n.owner, Leases: c.table,
		Accounts: c.listAccounts, Busy: n.owner.isBusy, Interval: interval, Parallel: 4, Clock: c.clock, Logger: log})
	c.nodes[name] = n
	c.order = append(c.order, name)
	return n
}

// kill ends a node as a crash does: its entry and leases expire (at once
// here), its placer runs no more.
func (c *testCluster) kill(name string) {
	c.t.Helper()
	n := c.nodes[name]
	if err := n.member.Close(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	n.owner.die()
	c.table.expire(name)
	c.order = slices.DeleteFunc(c.order, func(x string) bool { return x == name })
}

// rounds moves the clock an interval and runs a round on each node, n
// times.
func (c *testCluster) rounds(n int) {
	for range n {
		c.clock.Advance(interval)
		for _, name := range c.order {
			c.nodes[name].placer.round(context.Background())
			if st := c.nodes[name].placer.Status(); st.Err != "" {
				c.t.Fatalf("%s's round: %s", name, st.Err)
			}
		}
	}
}

// settle runs rounds until one changes nothing (no Own or Disown call
// on any node), and fails after 10.
func (c *testCluster) settle() {
	c.t.Helper()
	calls := func() int {
		sum := 0
		for _, name := range c.order {
			n, _ := c.nodes[name].owner.stats()
			sum += n
		}
		return sum
	}
	for range 10 {
		before := calls()
		c.rounds(1)
		if calls() == before {
			return
		}
	}
	c.t.Fatal("no rest after 10 rounds")
}

// check: every account is held exactly once, by a running node that owns
// it, and returns who holds each.
func (c *testCluster) check() map[int64]string {
	c.t.Helper()
	holders := map[int64]string{}
	for _, name := range c.order {
		for _, o := range c.nodes[name].owner.Owned() {
			if h, ok := holders[o.AccountID]; ok {
				c.t.Fatalf("account %d is owned by %s and %s", o.AccountID, h, name)
			}
			holders[o.AccountID] = name
		}
	}
	for _, id := range c.accounts {
		h := holders[id]
		if h == "" {
			c.t.Fatalf("account %d has no owner", id)
		}
		if got := c.table.holderOf(id); got != h {
			c.t.Fatalf("account %d: owned by %s, lease held by %q", id, h, got)
		}
	}
	return holders
}

// checkPlaced: every account is on its node by Pick among nodes, but for
// those listed in except, on the node given.
func (c *testCluster) checkPlaced(nodes []string, except map[int64]string) {
	c.t.Helper()
	holders := c.check()
	for _, id := range c.accounts {
		want := Pick(id, nodes)
		if n, ok := except[id]; ok {
			want = n
		}
		if holders[id] != want {
			c.t.Fatalf("account %d is on %s, want %s", id, holders[id], want)
		}
	}
}

// TestPlacement runs three placers, then a fourth, a drain, a crash and
// a drain of all, on 300 accounts.
func TestPlacement(t *testing.T) {
	c := newTestCluster(t, 300)
	for _, name := range []string{"node-1", "node-2", "node-3"} {
		c.start(name).owner.delay = 2 * time.Millisecond
	}
	c.settle()
	three := []string{"node-1", "node-2", "node-3"}
	c.checkPlaced(three, nil)
	for n, count := range c.table.byNode() {
		if count < 60 || count > 135 {
			t.Errorf("%s owns %d of 300 accounts, want 20 to 45%%", n, count)
		}
	}
	for _, name := range three {
		if _, maxIn := c.nodes[name].owner.stats(); maxIn != 4 {
			t.Errorf("%s had up to %d Own calls in flight, want 4 (Parallel)", name, maxIn)
		}
		st := c.nodes[name].placer.Status()
		if len(st.Nodes) != 3 || len(st.Waiting) != 0 || len(st.Owned) != c.table.byNode()[name] {
			t.Errorf("%s's status: %d nodes, %d owned, %d waiting", name, len(st.Nodes), len(st.Owned), len(st.Waiting))
		}
	}

	// A 4th node: its accounts move to it, but the busy ones stay until
	// they are idle.
	four := append(slices.Clone(three), "node-4")
	holders := c.check()
	busy := map[int64]string{}
	for _, id := range c.accounts {
		if Pick(id, four) == "node-4" && len(busy) < 10 {
			busy[id] = holders[id]
			c.nodes[holders[id]].owner.setBusy(id, true)
		}
	}
	c.start("node-4")
	c.settle()
	c.checkPlaced(four, busy)
	moved := c.table.byNode()["node-4"]
	if moved < 50 || moved > 100 {
		t.Errorf("node-4 took %d accounts, want about a quarter of 300", moved)
	}
	if st := c.nodes["node-4"].placer.Status(); len(st.Waiting) != len(busy) {
		t.Errorf("node-4 waits for %v, want the %d busy accounts", st.Waiting, len(busy))
	}
	c.rounds(5)
	c.checkPlaced(four, busy) // still busy
	for id, n := range busy {
		c.nodes[n].owner.setBusy(id, false)
	}
	c.settle()
	c.checkPlaced(four, nil)

	// node-2 drains: it ends with no account.
	if err := c.reg.Drain(context.Background(), "node-2"); err != nil {
		t.Fatal(err)
	}
	c.settle()
	c.checkPlaced([]string{"node-1", "node-3", "node-4"}, nil)
	if st := c.nodes["node-2"].placer.Status(); len(st.Owned) != 0 || !slices.Equal(st.Draining, []string{"node-2"}) {
		t.Errorf("node-2 drained: owns %d, draining %v", len(st.Owned), st.Draining)
	}

	// node-3 dies: node-1 and node-4 take its accounts.
	c.kill("node-3")
	c.settle()
	c.checkPlaced([]string{"node-1", "node-4"}, nil)

	// Every node drains: they all own accounts again rather than none.
	for _, n := range []string{"node-1", "node-4"} {
		if err := c.reg.Drain(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	c.settle()
	c.checkPlaced([]string{"node-1", "node-2", "node-4"}, nil)
}

// TestOwnerless: accounts placed on a node whose Own fails go, a Grace
// later, to the next node in their order; they come back when the node
// works again, the others have kept them a while and they are idle. With the first two broken, the
// third takes them two Graces later.
func TestOwnerless(t *testing.T) {
	c := newTestCluster(t, 60)
	nodes := []string{"node-1", "node-2", "node-3"}
	for _, name := range nodes {
		c.start(name)
	}
	c.nodes["node-1"].owner.setBroken(true)
	const graceRounds = 3 // Grace is 3 intervals
	c.rounds(graceRounds)
	for _, id := range c.accounts {
		if Pick(id, nodes) == "node-1" && c.table.holderOf(id) != "" {
			t.Fatalf("account %d is held by %s before the grace", id, c.table.holderOf(id))
		}
	}
	c.rounds(1)
	except := map[int64]string{}
	for _, id := range c.accounts {
		if r := rank(id, nodes); r[0] == "node-1" {
			except[id] = r[1]
		}
	}
	c.checkPlaced(nodes, except)

	// node-1 works again. The others keep what they took for 10 Graces,
	// then hand the idle ones over; busy ones wait until idle.
	c.nodes["node-1"].owner.setBroken(false)
	c.rounds(keepGraces*graceRounds - 1)
	c.checkPlaced(nodes, except)
	for id, n := range except {
		c.nodes[n].owner.setBusy(id, true)
	}
	c.rounds(2)
	c.checkPlaced(nodes, except)
	for id, n := range except {
		c.nodes[n].owner.setBusy(id, false)
	}
	c.settle()
	c.checkPlaced(nodes, nil)

	// node-1 and node-2 are broken; 60 accounts more. node-3 takes those
	// where it comes second a Grace after it saw them free, those where
	// it comes third two Graces after.
	c.nodes["node-1"].owner.setBroken(true)
	c.nodes["node-2"].owner.setBroken(true)
	c.mu.Lock()
	for id := int64(61); id <= 120; id++ {
		c.accounts = append(c.accounts, id)
	}
	c.mu.Unlock()
	c.rounds(1 + graceRounds)
	for id := int64(61); id <= 120; id++ {
		h, r := c.table.holderOf(id), rank(id, nodes)
		if want := map[bool]string{true: "node-3", false: ""}[r[0] == "node-3" || r[1] == "node-3"]; h != want {
			t.Fatalf("account %d ranked %v: held by %q a Grace on, want %q", id, r, h, want)
		}
	}
	c.rounds(graceRounds)
	for id := int64(61); id <= 120; id++ {
		if h := c.table.holderOf(id); h != "node-3" {
			t.Fatalf("account %d ranked %v: held by %q two Graces on, want node-3", id, rank(id, nodes), h)
		}
	}
}

// TestNext is the rule for one account, state by state.
func TestNext(t *testing.T) {
	now := t0.Add(time.Hour)
	order := []string{"a", "me", "c"} // "a" first
	tests := []struct {
		name     string
		order    []string
		lease    seenLease
		mine     bool
		busy     bool
		draining bool
		retry    time.Time
		keep     time.Time
		want     string // "" nothing; "own ..." or "disown ..."
	}{
		{name: "placed here and owned", order: []string{"me", "a"}, lease: seenLease{holder: "me"}, mine: true},
		{name: "placed here and free", order: []string{"me", "a"}, lease: seenLease{last: "a", freeSince: now}, want: "own from a: placed here"},
		{name: "placed here, another holds it", order: []string{"me", "a"}, lease: seenLease{holder: "a"}},
		{name: "placed here, the lease still ours", order: []string{"me", "a"}, lease: seenLease{holder: "me"}},
		{name: "placed here, taking failed lately", order: []string{"me", "a"}, lease: seenLease{freeSince: now}, retry: now.Add(time.Second)},
		{name: "placed here, taking failed a while ago", order: []string{"me", "a"}, lease: seenLease{freeSince: now}, retry: now, want: "own from : placed here"},
		{name: "placed elsewhere, owned, idle", order: order, lease: seenLease{holder: "me"}, mine: true, want: "disown to a: placed on a"},
		{name: "placed elsewhere, owned, busy", order: order, lease: seenLease{holder: "me"}, mine: true, busy: true},
		{name: "placed elsewhere, taken ownerless lately", order: order, lease: seenLease{holder: "me"}, mine: true, keep: now.Add(time.Second)},
		{name: "placed elsewhere, taken ownerless long ago", order: order, lease: seenLease{holder: "me"}, mine: true, keep: now, want: "disown to a: placed on a"},
		{name: "draining, taken ownerless lately", order: []string{"a", "c"}, lease: seenLease{holder: "me"}, mine: true, draining: true, keep: now.Add(time.Second), want: "disown to a: draining"},
		{name: "draining, owned, idle", order: []string{"a", "c"}, lease: seenLease{holder: "me"}, mine: true, draining: true, want: "disown to a: draining"},
		{name: "second in line, free a moment", order: order, lease: seenLease{freeSince: now.Add(-2 * time.Second)}},
		{name: "second in line, free a grace", order: order, lease: seenLease{last: "c", freeSince: now.Add(-3 * time.Second)}, want: "own from c: ownerless for 3s; next in line"},
		{name: "third in line, free a grace", order: []string{"a", "c", "me"}, lease: seenLease{freeSince: now.Add(-3 * time.Second)}},
		{name: "third in line, free two graces", order: []string{"a", "c", "me"}, lease: seenLease{freeSince: now.Add(-6 * time.Second)}, want: "own from : ownerless for 6s; next in line"},
		{name: "not a candidate (draining), free long", order: []string{"a", "c"}, lease: seenLease{freeSince: now.Add(-time.Hour)}},
		{name: "second in line, held by another", order: order, lease: seenLease{holder: "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := New(Config{Node: "me", Interval: time.Second, Busy: func(int64) bool { return tc.busy }})
			p.retryAt[7] = tc.retry
			p.keep[7] = tc.keep
			a, ok := p.next(7, tc.order, tc.lease, tc.mine, now, tc.draining)
			got := ""
			if ok {
				verb := "own from " + a.from
				if a.from == "me" {
					verb = "disown to " + a.to
				}
				got = fmt.Sprintf("%s: %s", verb, a.why)
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRun runs two placers as the wiring does, on the fake clock: they
// place at once, a drain starts a round without waiting for the
// interval, quiet rounds log nothing, and they end with their context.
func TestRun(t *testing.T) {
	c := newTestCluster(t, 50)
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	nodes := []string{"node-1", "node-2"}
	for _, name := range nodes {
		c.startLogged(name, log)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, name := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.nodes[name].placer.Run(ctx)
		}()
	}
	// waiting: both placers wait for their next round.
	waiting := func() {
		t.Helper()
		eventually(t, "both placers wait on the clock", func() bool { return c.clock.Timers() == len(nodes) })
	}
	tick := func() {
		t.Helper()
		waiting()
		c.clock.Advance(interval)
		now := c.clock.Now()
		eventually(t, "both placers ran a round", func() bool {
			for _, name := range nodes {
				if !c.nodes[name].placer.Status().Round.Equal(now) {
					return false
				}
			}
			return true
		})
	}
	eventually(t, "every account placed", func() bool {
		return c.table.byNode()["node-1"]+c.table.byNode()["node-2"] == len(c.accounts)
	})
	c.checkPlaced(nodes, nil)
	if n := strings.Count(logs.String(), "account taken"); n != len(c.accounts) {
		t.Fatalf("%d accounts taken in the logs, want %d:\n%s", n, len(c.accounts), logs.String())
	}
	before := logs.String()
	for range 3 {
		tick()
	}
	if after := logs.String(); after != before {
		t.Fatalf("quiet rounds logged:\n%s", after[len(before):])
	}

	// The drain reaches node-2 through the watch, with the clock still.
	if err := c.reg.Drain(ctx, "node-2"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node-2 drained", func() bool { return c.table.byNode()["node-2"] == 0 })
	tick()
	c.checkPlaced([]string{"node-1"}, nil)
	if !strings.Contains(logs.String(), "why=draining") {
		t.Fatalf("no drain in the logs:\n%s", logs.String())
	}
	waiting()
	cancel()
	wg.Wait()
	if n := c.clock.Timers(); n != 0 {
		t.Fatalf("%d timers left", n)
	}
}

// TestRoundWithoutItself: a node that is not in the registry (it has not
// joined, or its entry expired) takes nothing, and says why.
func TestRoundWithoutItself(t *testing.T) {
	c := newTestCluster(t, 10)
	c.start("node-1")
	o := newFakeOwner("node-2", c.table)
	p := New(Config{Node: "node-2", Registry: c.reg, Owner: o, Leases: c.table, Accounts: c.listAccounts, Clock: c.clock})
	p.round(context.Background())
	st := p.Status()
	if calls, _ := o.stats(); calls != 0 || !strings.Contains(st.Err, "not in the registry") {
		t.Fatalf("%d Own calls, status %+v", calls, st)
	}
	c.start("node-2") // another placer, the same name: now it is live
	p.round(context.Background())
	if st := p.Status(); st.Err != "" || len(st.Nodes) != 2 || len(st.Owned) == 0 {
		t.Fatalf("after joining: %+v", st)
	}
}
