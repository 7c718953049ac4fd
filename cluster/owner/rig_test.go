package owner_test

import (
	"context"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/cluster/lease"
	"github.com/callfloor/callfloor/cluster/owner"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/internal/natstest"
	"github.com/callfloor/callfloor/internal/pgtest"
	"github.com/callfloor/callfloor/postgres"
	"github.com/callfloor/callfloor/sqlstore"
)

// The tests run on PostgreSQL and NATS, at the addresses the Makefile
// and .ci/run set. Unset, they are skipped outside CI and fail in it.

func openStore(t *testing.T, u string) *sqlstore.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), u, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// jetStream connects to the test NATS server (see natstest).
func jetStream(t *testing.T) jetstream.JetStream {
	return natstest.JetStream(t, "callfloor owner test")
}

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const (
	ttl   = 2 * time.Second
	lunch = 1
)

// agents are the extensions of the test account's agents.
var agents = []int64{201, 202, 203, 204}

func testConfig() *floor.Config {
	cfg := &floor.Config{
		Location:     time.UTC,
		Agents:       map[int64]*floor.AgentConfig{},
		PauseReasons: map[int64]*callfloor.PauseReason{lunch: {ID: lunch, Name: "Lunch", Code: 1}},
	}
	for i, ext := range agents {
		cfg.Agents[ext] = &floor.AgentConfig{ExtensionID: ext, UserID: int64(500 + i), WrapupTimeout: time.Minute,
			Permissions: callfloor.AllPermissions()}
	}
	return cfg
}

// cluster is the nodes of a test over one database and one bucket of
// leases, and a log of the journal appends that went through.
type cluster struct {
	t      *testing.T
	url    string
	st     *sqlstore.Store // the test's own connection, for checks
	kv     jetstream.KeyValue
	bucket string
	js     jetstream.JetStream

	mu      sync.Mutex
	appends []written
}

// written is a journal append that went through, with the epoch it was
// fenced by.
type written struct {
	node      string
	epoch     int64
	from, to  int64 // sequence numbers
	accountID int64
}

func newCluster(t *testing.T) *cluster {
	c := &cluster{t: t, url: pgtest.Schema(t, "cftest_owner_"), js: jetStream(t), bucket: "cftest_owner_" + pgtest.Suffix()}
	c.st = openStore(t, c.url)
	ctx := context.Background()
	if _, err := lease.Open(ctx, c.js, lease.Config{Bucket: c.bucket, TTL: ttl}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.js.DeleteKeyValue(context.Background(), c.bucket); err != nil {
			t.Errorf("delete bucket %s: %v", c.bucket, err)
		}
	})
	kv, err := c.js.KeyValue(ctx, c.bucket)
	if err != nil {
		t.Fatal(err)
	}
	c.kv = kv
	return c
}

func (c *cluster) account(name string) int64 {
	c.t.Helper()
	a := &callfloor.Account{Name: name, TimeZone: "UTC"}
	if err := c.st.CreateAccount(context.Background(), a); err != nil {
		c.t.Fatal(err)
	}
	return a.ID
}

// node is one node of the cluster: its own store connections, group
// writer, Floor of owned accounts, and manager. Its leases run on a fake
// clock: its keeper renews only when the test advances it, so a node
// that lost its lease does not know until then (as a paused one).
type node struct {
	name    string
	c       *cluster
	st      *sqlstore.Store
	leases  *lease.Leases
	clock   *clocktest.Clock // the keepers'
	writer  *floor.GroupWriter
	journal *hookJournal
	floor   *floor.Floor
	m       *owner.Manager
}

func (c *cluster) node(name string) *node {
	t := c.t
	n := &node{name: name, c: c, clock: clocktest.New(t0)}
	st := openStore(t, c.url)
	n.st = st
	ls, err := lease.Open(context.Background(), c.js, lease.Config{Bucket: c.bucket, TTL: ttl, Clock: n.clock})
	if err != nil {
		t.Fatal(err)
	}
	n.leases = ls
	n.writer = floor.NewGroupWriter(st)
	n.journal = &hookJournal{GroupWriter: n.writer, n: n}
	n.floor = floor.New(floor.FloorConfig{Journal: n.journal, Clock: clocktest.New(t0), Owned: true,
		LoadConfig: func(context.Context, int64) (*floor.Config, error) { return testConfig(), nil }})
	n.m = owner.New(owner.Config{Node: name, Leases: ls, Store: st, Floor: n.floor})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.m.Close(ctx)
		n.floor.Close()
		n.writer.Close()
	})
	return n
}

// hookJournal is a node's journal: it runs the test's hook once before
// or after an append, and logs the appends that went through.
type hookJournal struct {
	*floor.GroupWriter
	n *node

	mu            sync.Mutex
	before, after func()
}

// arm runs fn once, before the node's next append or after it went
// through.
func (h *hookJournal) arm(beforeAppend bool, fn func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if beforeAppend {
		h.before = fn
	} else {
		h.after = fn
	}
}

func (h *hookJournal) take(p *func()) func() {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn := *p
	*p = nil
	return fn
}

func (h *hookJournal) AppendFenced(ctx context.Context, accountID, epoch int64, evs []callfloor.Event) error {
	if fn := h.take(&h.before); fn != nil {
		fn()
	}
	err := h.GroupWriter.AppendFenced(ctx, accountID, epoch, evs)
	if err != nil {
		return err
	}
	c := h.n.c
	c.mu.Lock()
	c.appends = append(c.appends, written{node: h.n.name, epoch: epoch, accountID: accountID, from: evs[0].Seq, to: evs[len(evs)-1].Seq})
	c.mu.Unlock()
	if fn := h.take(&h.after); fn != nil {
		fn()
	}
	return nil
}

func (h *hookJournal) AppendEvents(context.Context, int64, []callfloor.Event) error {
	h.n.c.t.Error("a cluster node appended without an epoch")
	return callfloor.Errorf(callfloor.ErrInternal, "unfenced append")
}

// own makes n the account's owner.
func (n *node) own(accountID int64) callfloor.Ownership {
	n.c.t.Helper()
	o, err := n.m.Own(context.Background(), accountID)
	if err != nil {
		n.c.t.Fatalf("%s owns account %d: %v", n.name, accountID, err)
	}
	return o
}

// notice lets n's keepers renew: one whose lease was taken learns it,
// and n stops deciding for its account; the call returns once n owns
// none of what it lost.
func (n *node) notice() {
	n.c.t.Helper()
	n.clock.Advance(ttl / 3)
	n.waitOwnedNone()
}

// waitOwnedNone waits until n's manager owns nothing (a generous wait:
// the keeper's report and the give-up run on their own goroutines).
func (n *node) waitOwnedNone() {
	n.c.t.Helper()
	for range 1000 {
		if len(n.m.Owned()) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	n.c.t.Fatalf("%s still owns %+v", n.name, n.m.Owned())
}

// expire removes the account's lease from the bucket as its TTL would.
func (c *cluster) expire(accountID int64) {
	c.t.Helper()
	if err := c.kv.Purge(context.Background(), lease.AccountKey(accountID)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) holder(accountID int64) string {
	c.t.Helper()
	e, err := c.kv.Get(context.Background(), lease.AccountKey(accountID))
	if err != nil {
		return ""
	}
	return string(e.Value())
}

// journal reads the account's whole journal.
func (c *cluster) journal(accountID int64) []callfloor.Event {
	c.t.Helper()
	evs, err := c.st.ReadEvents(context.Background(), accountID, 0, 1<<20)
	if err != nil {
		c.t.Fatal(err)
	}
	return evs
}

// checkJournal: the journal's events are exactly the appends that went
// through, each written by one owner, and the epochs never go down along
// the journal: no two owners' events are interleaved.
func (c *cluster) checkJournal(accountID int64, evs []callfloor.Event) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	epochOf := map[int64]written{}
	for _, w := range c.appends {
		if w.accountID != accountID {
			continue
		}
		for seq := w.from; seq <= w.to; seq++ {
			if prev, ok := epochOf[seq]; ok {
				c.t.Fatalf("seq %d appended twice: %+v and %+v", seq, prev, w)
			}
			epochOf[seq] = w
		}
	}
	if len(epochOf) != len(evs) {
		c.t.Fatalf("the journal holds %d events, the appends that went through %d", len(evs), len(epochOf))
	}
	var last written
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			c.t.Fatalf("journal seq %d at %d", ev.Seq, i)
		}
		w, ok := epochOf[ev.Seq]
		if !ok {
			c.t.Fatalf("seq %d is in the journal but no append wrote it", ev.Seq)
		}
		if w.epoch < last.epoch {
			c.t.Fatalf("seq %d was written by %s under epoch %d, after %s's events under epoch %d",
				ev.Seq, w.node, w.epoch, last.node, last.epoch)
		}
		last = w
	}
}

// checkAcked: every acknowledged event is in the journal as it was
// answered.
func checkAcked(t *testing.T, evs []callfloor.Event, acked []callfloor.Event) {
	t.Helper()
	for _, a := range acked {
		if a.Seq < 1 || a.Seq > int64(len(evs)) {
			t.Fatalf("acknowledged event %d (%s) is not in the journal of %d events", a.Seq, a.Type, len(evs))
		}
		j := evs[a.Seq-1]
		if j.Type != a.Type || j.ExtensionID != a.ExtensionID || !j.At.Equal(a.At) {
			t.Fatalf("acknowledged event %d is %s of %d; the journal holds %s of %d", a.Seq, a.Type, a.ExtensionID, j.Type, j.ExtensionID)
		}
	}
}

// states returns the agents' states on n's floor.
func (n *node) states(accountID int64) (map[int64]callfloor.AgentState, int64) {
	n.c.t.Helper()
	out := map[int64]callfloor.AgentState{}
	var seq int64
	err := n.floor.View(context.Background(), accountID, func(s *floor.State, _ *floor.Config) {
		for _, ext := range agents {
			out[ext] = s.Agent(ext).State
		}
		seq = s.Seq
	})
	if err != nil {
		n.c.t.Fatalf("%s views account %d: %v", n.name, accountID, err)
	}
	return out, seq
}
