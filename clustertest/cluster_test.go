// Package clustertest runs callfloor as a cluster of three node
// processes on loopback, sharing the test PostgreSQL and NATS, kills
// each node with SIGKILL in turn while agents of several accounts send
// commands through whichever node is up, and checks what the issue of
// the cluster mode promises: every acknowledged change is in the
// journal, the accounts of a dead node are owned again by the others,
// no agent is logged out by it, the calls it carried end once with
// node_lost, wrap-up timers fire once, and the supervisors' realtime
// streams, moved to another node, resume from their last sequence
// number without a fresh snapshot.
package clustertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/cluster/placement"
	"github.com/callfloor/callfloor/internal/natstest"
	"github.com/callfloor/callfloor/internal/pgtest"
	"github.com/callfloor/callfloor/password"
	"github.com/callfloor/callfloor/postgres"
	"github.com/callfloor/callfloor/sqlstore"
)

const (
	pass = "cluster-pass-1"
	// accounts is how many accounts the cluster serves; each has two
	// agents.
	accounts = 6
	// ttl is the nodes' cluster-ttl: a dead node's accounts move after
	// about this long.
	ttl = 3 * time.Second
)

// node is one callfloor process of the cluster.
type node struct {
	t    *testing.T
	bin  string
	name string
	addr string
	args []string
	cmd  *exec.Cmd
	log  *os.File
	up   atomic.Bool
}

func (n *node) base() string { return "http://" + n.addr }

func (n *node) start() {
	n.t.Helper()
	n.cmd = exec.Command(n.bin, append([]string{"serve", "--node", n.name, "--http", n.addr}, n.args...)...)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(n.base() + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				n.up.Store(true)
				return
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	n.t.Fatalf("node %s did not come up; the end of its log:\n%s", n.name, n.logTail())
}

// kill ends the process with SIGKILL: no shutdown code runs, its leases
// are not released, its NATS connection just drops.
func (n *node) kill() {
	n.up.Store(false)
	n.cmd.Process.Signal(syscall.SIGKILL)
	n.cmd.Wait()
}

func (n *node) logTail() string {
	b, _ := os.ReadFile(n.log.Name())
	if len(b) > 6000 {
		b = b[len(b)-6000:]
	}
	return string(b)
}

// cluster is the three nodes and what the test seeded.
type cluster struct {
	t     *testing.T
	nodes []*node
	store *sqlstore.Store
	dbURL string
	accs  []*account
	// adminArgs are the settings an admin command needs to reach the
	// cluster.
	adminArgs []string
}

// account is one seeded account: its id, its agents' extensions, its
// queue and pause reason.
type account struct {
	id   int64
	name string
	// exts are the agents the drivers drive (agent1, agent2); quiet
	// (agent3) and held (agent4) are the test's own, for the timers and
	// the hand-over.
	exts        [2]int64
	quiet, held int64
	queue       int64
	reason      int64
}

func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "callfloor")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/callfloor/callfloor/cmd/callfloor").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// options are what a test changes in the cluster startClusterWith
// starts.
type options struct {
	// accounts is how many accounts are seeded.
	accounts int
	// sip, when set, are the nodes' SIP addresses, kept across restarts
	// (Kamailio's dispatcher list names them); otherwise each start
	// takes a free port.
	sip []string
	// live runs the nodes without --simulate: their B2BUAs carry the
	// calls of registered phones.
	live bool
	// prepare, if set, runs once the accounts are seeded, before the
	// nodes start.
	prepare func(*cluster)
}

func startCluster(t *testing.T) *cluster {
	return startClusterWith(t, options{accounts: accounts})
}

func startClusterWith(t *testing.T, o options) *cluster {
	dbURL := pgtest.Schema(t, "cluster")
	natsURL := natstest.URL(t)
	name := "ct" + pgtest.Suffix()
	t.Cleanup(func() { dropNATS(t, natsURL, name) })
	ctx := context.Background()
	st, err := postgres.Open(ctx, dbURL, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &cluster{t: t, store: st, dbURL: dbURL}
	hasher := password.New(password.Default)
	hash, err := hasher.Hash(pass)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= o.accounts; i++ {
		c.accs = append(c.accs, seed(t, st, fmt.Sprintf("acme%d", i), hash))
	}
	if o.prepare != nil {
		o.prepare(c)
	}
	dir := t.TempDir()
	bin := build(t, dir)
	logs := dir
	if d := os.Getenv("CALLFLOOR_CLUSTER_LOGS"); d != "" {
		logs = d // kept after the test, to read
	}
	key := filepath.Join(dir, "secret.key")
	if err := os.WriteFile(key, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.adminArgs = []string{"--database", dbURL, "--nats", natsURL, "--cluster", name, "--cluster-ttl", ttl.String(), "--log-level", "warn"}
	for i := 1; i <= 3; i++ {
		logf, err := os.Create(filepath.Join(logs, fmt.Sprintf("node%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { logf.Close() })
		sip, mode := "127.0.0.1:0", "--simulate"
		if o.sip != nil {
			sip = o.sip[i-1]
		}
		if o.live {
			mode = "--simulate=false"
		}
		n := &node{t: t, bin: bin, name: fmt.Sprintf("node%d", i), addr: freeAddr(t), log: logf,
			args: []string{"--data", filepath.Join(dir, fmt.Sprintf("data%d", i)), "--database", dbURL, "--secret-key-file", key,
				"--nats", natsURL, "--cluster", name, "--cluster-ttl", ttl.String(),
				"--sip", sip, mode, "--log-level", "info"}}
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		n.start()
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			if n.up.Load() {
				n.kill()
			}
		}
		if t.Failed() {
			for _, n := range c.nodes {
				t.Logf("the end of %s's log:\n%s", n.name, n.logTail())
			}
		}
	})
	return c
}

// dropNATS deletes the test cluster's streams and buckets.
func dropNATS(t *testing.T, url, cluster string) {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Logf("NATS clean-up: %v", err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	names := js.StreamNames(ctx)
	var drop []string
	for s := range names.Name() {
		if strings.Contains(strings.ToLower(s), strings.ToLower(cluster)) {
			drop = append(drop, s)
		}
	}
	for _, s := range drop {
		if err := js.DeleteStream(ctx, s); err != nil {
			t.Logf("NATS clean-up of %s: %v", s, err)
		}
	}
}

// seed creates an account with an admin, a supervisor, four agents with
// extensions 201 to 204 (wrap-up timeout 5 s), a queue with them all and
// a pause reason.
func seed(t *testing.T, st *sqlstore.Store, name, hash string) *account {
	t.Helper()
	acc := &callfloor.Account{Name: name, TimeZone: "Europe/London", LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: 5}
	must(t, st.CreateAccount(context.Background(), acc))
	ctx := callfloor.SystemContext(context.Background(), acc.ID)
	a := &account{id: acc.ID, name: name}
	q := callfloor.NewQueue("600", "Sales")
	q.DispositionsEnabled = true
	q.Outcomes = []callfloor.Outcome{{Category: callfloor.CategorySuccess, Name: "Sale"}}
	must(t, st.CreateQueue(ctx, q))
	a.queue = q.ID
	for i, num := range []string{"201", "202", "203", "204"} {
		e := &callfloor.Extension{Number: num, Name: "Agent " + num, SIPUsername: callfloor.NewSIPUsername(name + num),
			QueuesFeature: true, Agent: callfloor.DefaultAgentSettings()}
		e.Agent.Enabled = true
		e.Agent.WrapupTimeoutSeconds = 5
		e.SetSIPSecret(callfloor.DefaultSIPRealm, pass)
		must(t, st.CreateExtension(ctx, e))
		switch i {
		case 0, 1:
			a.exts[i] = e.ID
		case 2:
			a.quiet = e.ID
		case 3:
			a.held = e.ID
		}
		ext := e.ID
		must(t, st.CreateUser(ctx, &callfloor.User{Username: fmt.Sprintf("agent%d", i+1), Name: "Agent " + num,
			Role: callfloor.RoleAgent, ExtensionID: &ext, PasswordHash: hash}))
	}
	_, err := st.UpdateQueue(ctx, q.ID, func(q *callfloor.Queue) error {
		q.Members = []callfloor.QueueMember{{ExtensionID: a.exts[0]}, {ExtensionID: a.exts[1]}, {ExtensionID: a.quiet}, {ExtensionID: a.held}}
		return nil
	})
	must(t, err)
	for _, u := range []struct {
		name string
		role callfloor.Role
	}{{"admin", callfloor.RoleAdmin}, {"super", callfloor.RoleSupervisor}} {
		must(t, st.CreateUser(ctx, &callfloor.User{Username: u.name, Name: u.name, Role: u.role, PasswordHash: hash}))
	}
	p := &callfloor.PauseReason{Name: "Break", Code: 1}
	must(t, st.CreatePauseReason(ctx, p))
	a.reason = p.ID
	return a
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// anyNode is a node that is up, at random.
func (c *cluster) anyNode(r *rand.Rand) *node {
	for {
		n := c.nodes[r.IntN(len(c.nodes))]
		if n.up.Load() {
			return n
		}
	}
}

// login logs a user of an account in through a node and returns the
// session token, which every node accepts (the sessions are in the
// shared database).
func login(t *testing.T, base, account, user string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"account": account, "username": user, "password": pass})
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&out)
	if out.Token == "" {
		t.Fatalf("login %s of %s: %d", user, account, resp.StatusCode)
	}
	return out.Token
}

type acked struct {
	account, seq, ext int64
	what              string
}

// driver sends random commands for one agent, each through a node picked
// at random, and notes every acknowledged one with the sequence number
// of its last event.
type driver struct {
	c       *cluster
	acc     *account
	ext     int64
	agent   string // session tokens
	admin   string
	r       *rand.Rand
	calls   int
	offered []string
	ended   []string
	http    *http.Client
	mu      *sync.Mutex
	acks    *[]acked
}

func (d *driver) post(token, path string, body any) (int64, bool) {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest("POST", d.c.anyNode(d.r).base()+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return 0, false
	}
	resp.Body.Close()
	seq, _ := strconv.ParseInt(resp.Header.Get("X-Callfloor-Seq"), 10, 64)
	return seq, resp.StatusCode == 200
}

func (d *driver) step() {
	pick := func(ids []string) string {
		if len(ids) == 0 {
			return "none"
		}
		return ids[d.r.IntN(len(ids))]
	}
	var seq int64
	var ok bool
	what := ""
	switch d.r.IntN(10) {
	case 0:
		what = "login"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/login", nil)
	case 1:
		what = "pause"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/pause", map[string]int64{"reason_id": d.acc.reason})
	case 2:
		what = "unpause"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/unpause", nil)
	case 3, 4:
		d.calls++
		id := fmt.Sprintf("c%d-%d-%d", d.ext, time.Now().UnixNano(), d.calls)
		what = "offer " + id
		seq, ok = d.post(d.admin, "/api/v1/sim/offer", map[string]any{"extension_id": d.ext, "call_id": id,
			"direction": "queue_in", "queue_id": d.acc.queue, "from": "+441632960999"})
		if ok {
			d.offered = append(d.offered, id)
		}
	case 5, 6:
		what = "answer"
		seq, ok = d.post(d.admin, "/api/v1/sim/answer", map[string]any{"extension_id": d.ext, "call_id": pick(d.offered)})
	case 7:
		id := pick(d.offered)
		what = "hangup " + id
		seq, ok = d.post(d.admin, "/api/v1/sim/hangup", map[string]any{"extension_id": d.ext, "call_id": id, "reason": "remote"})
		if ok {
			d.ended = append(d.ended, id)
		}
	case 8:
		what = "disposition"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/dispositions", map[string]any{"call_id": pick(d.ended),
			"category": "success", "outcome": "Sale", "notes": "cluster test"})
	case 9:
		what = "hold"
		seq, ok = d.post(d.admin, "/api/v1/sim/hold", map[string]any{"extension_id": d.ext, "call_id": pick(d.offered), "held": d.r.IntN(2) == 0})
	}
	if ok && seq > 0 {
		d.mu.Lock()
		*d.acks = append(*d.acks, acked{account: d.acc.id, seq: seq, ext: d.ext, what: what})
		d.mu.Unlock()
	}
}

// watcher is a supervisor's realtime stream of one account. When its
// node goes, it reconnects to another with ?after= its last sequence
// number.
type watcher struct {
	c     *cluster
	acc   *account
	token string
	r     *rand.Rand

	mu sync.Mutex
	// first is the seq of the first snapshot; seqs the events since, in
	// the order they came; last the latest seq.
	first, last int64
	seqs        []int64
	reconnects  int
	// resnapshots counts reconnections answered with a snapshot instead
	// of the events missed.
	resnapshots int
	problems    []string
}

func (w *watcher) run(ctx context.Context) {
	after := int64(-1)
	for ctx.Err() == nil {
		n := w.c.anyNode(w.r)
		u := "ws://" + n.addr + "/api/v1/stream"
		if after >= 0 {
			u += "?after=" + strconv.FormatInt(after, 10)
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, _, err := websocket.Dial(cctx, u, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + w.token}}})
		cancel()
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		conn.SetReadLimit(16 << 20)
		resumed := after >= 0
		for got := 0; ; got++ {
			_, data, err := conn.Read(ctx)
			if err != nil {
				break
			}
			var m struct {
				Type string
				Seq  int64
			}
			if err := json.Unmarshal(data, &m); err != nil {
				w.problem("undecodable message: %v", err)
				continue
			}
			w.mu.Lock()
			switch m.Type {
			case "snapshot":
				if resumed {
					w.resnapshots++
				}
				if after < 0 {
					w.first = m.Seq
				}
				w.last = m.Seq
			case "event":
				if m.Seq != w.last+1 {
					w.problems = append(w.problems, fmt.Sprintf("event %d after %d, message %d on %s (reconnection %d)", m.Seq, w.last, got, n.name, w.reconnects))
				}
				w.seqs = append(w.seqs, m.Seq)
				w.last = m.Seq
			}
			after = w.last
			resumed = false
			w.mu.Unlock()
		}
		conn.CloseNow()
		if ctx.Err() == nil {
			w.mu.Lock()
			w.reconnects++
			w.mu.Unlock()
		}
	}
}

func (w *watcher) problem(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.problems = append(w.problems, fmt.Sprintf(format, args...))
}

func (w *watcher) lastSeq() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// owned waits until every account answers a floor request through node
// n (its owner somewhere in the cluster decides again), and returns how
// long that took.
func (c *cluster) owned(n *node, tokens map[int64]string, limit time.Duration) time.Duration {
	c.t.Helper()
	start := time.Now()
	for _, a := range c.accs {
		for {
			req, _ := http.NewRequest("GET", n.base()+"/api/v1/floor/agents", nil)
			req.Header.Set("Authorization", "Bearer "+tokens[a.id])
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Since(start) > limit {
				c.t.Fatalf("account %s is not served %s after a node was lost (last: %v)", a.name, limit, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return time.Since(start)
}

func (c *cluster) journal(accountID int64) map[int64]callfloor.Event {
	c.t.Helper()
	out := map[int64]callfloor.Event{}
	after := int64(0)
	for {
		evs, err := c.store.ReadEvents(context.Background(), accountID, after, 10000)
		must(c.t, err)
		if len(evs) == 0 {
			return out
		}
		for _, e := range evs {
			out[e.Seq], after = e, e.Seq
		}
	}
}

func TestKillEachNodeLosesNothing(t *testing.T) {
	c := startCluster(t)
	r := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	// Logins spread over the nodes: each limits the logins of one
	// address.
	logins := 0
	first := func() string {
		logins++
		return c.nodes[logins%len(c.nodes)].base()
	}
	supers := map[int64]string{}
	admins := map[int64]string{}
	quiet, held := map[int64]string{}, map[int64]string{}
	var mu sync.Mutex
	var acks []acked
	var drivers []*driver
	for _, a := range c.accs {
		admin := login(t, first(), a.name, "admin")
		admins[a.id] = admin
		supers[a.id] = login(t, first(), a.name, "super")
		quiet[a.id] = login(t, first(), a.name, "agent3")
		held[a.id] = login(t, first(), a.name, "agent4")
		for i, ext := range a.exts {
			drivers = append(drivers, &driver{c: c, acc: a, ext: ext, admin: admin,
				agent: login(t, first(), a.name, fmt.Sprintf("agent%d", i+1)),
				r:     rand.New(rand.NewPCG(uint64(ext), uint64(time.Now().UnixNano()))),
				http:  &http.Client{Timeout: 5 * time.Second}, mu: &mu, acks: &acks})
		}
	}
	// Every account is owned somewhere before the load starts; the
	// test's own agents log in.
	c.owned(c.nodes[0], supers, 30*time.Second)
	for _, a := range c.accs {
		c.must(quiet[a.id], "/api/v1/floor/me/login", nil)
		c.must(held[a.id], "/api/v1/floor/me/login", nil)
	}
	names := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		names[i] = n.name
	}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var watchers []*watcher
	for _, a := range c.accs {
		w := &watcher{c: c, acc: a, token: supers[a.id], r: rand.New(rand.NewPCG(uint64(a.id), 1))}
		watchers = append(watchers, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(ctx)
		}()
	}
	var dwg sync.WaitGroup
	dctx, dstop := context.WithCancel(ctx)
	for _, d := range drivers {
		dwg.Add(1)
		go func() {
			defer dwg.Done()
			// Every agent logs in first through the cluster.
			for ctx.Err() == nil {
				if _, ok := d.post(d.agent, "/api/v1/floor/me/login", nil); ok {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			for dctx.Err() == nil {
				d.step()
				time.Sleep(time.Duration(20+d.r.IntN(40)) * time.Millisecond)
			}
		}()
	}

	var failovers []time.Duration
	// timers are the calls whose wrap-up was due on a node killed
	// before it ended: each must end once, by its timeout, on the
	// account's next owner.
	timers := map[int64][]string{}
	for k, n := range c.nodes {
		time.Sleep(time.Duration(2000+r.IntN(1500)) * time.Millisecond)
		for _, a := range c.accs {
			if o := c.ownership(a.id); o.Node != n.name {
				continue
			}
			id := fmt.Sprintf("timer-%d-%d", a.id, k)
			c.must(admins[a.id], "/api/v1/sim/offer", map[string]any{"extension_id": a.quiet, "call_id": id,
				"direction": "queue_in", "queue_id": a.queue, "from": "+441632960998"})
			c.must(admins[a.id], "/api/v1/sim/answer", map[string]any{"extension_id": a.quiet, "call_id": id})
			c.must(admins[a.id], "/api/v1/sim/hangup", map[string]any{"extension_id": a.quiet, "call_id": id, "reason": "remote"})
			timers[a.id] = append(timers[a.id], id)
		}
		n.kill()
		var other *node
		for _, o := range c.nodes {
			if o.up.Load() {
				other = o
				break
			}
		}
		failovers = append(failovers, c.owned(other, supers, 30*time.Second))
		// An account placed on the dead node, now owned by another,
		// with a call in progress: the node's return does not take it.
		var moved *account
		for _, a := range c.accs {
			if placement.Pick(a.id, names) == n.name {
				moved = a
				break
			}
		}
		var before callfloor.Ownership
		if moved != nil {
			id := fmt.Sprintf("held-%d-%d", moved.id, k)
			c.must(admins[moved.id], "/api/v1/sim/offer", map[string]any{"extension_id": moved.held, "call_id": id,
				"direction": "queue_in", "queue_id": moved.queue, "from": "+441632960997"})
			c.must(admins[moved.id], "/api/v1/sim/answer", map[string]any{"extension_id": moved.held, "call_id": id})
			before = c.ownership(moved.id) // the call is hung up at the end (hangUpAll)
		}
		n.start()
		if moved != nil {
			time.Sleep(3 * time.Second)
			if after := c.ownership(moved.id); after != before {
				t.Errorf("account %s was taken mid-call when %s came back: %+v, then %+v", moved.name, n.name, before, after)
			}
		}
	}
	time.Sleep(2 * time.Second)
	dstop()
	dwg.Wait()

	// The wrap-ups of the last calls time out (5 s), then nothing more
	// happens: the streams catch up with the journals.
	time.Sleep(6 * time.Second)
	lasts := map[int64]int64{}
	for _, a := range c.accs {
		lasts[a.id] = int64(len(c.journal(a.id)))
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, w := range watchers {
		for w.lastSeq() < lasts[w.acc.id] && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
	}
	stop()
	wg.Wait()

	// With every call ended, each account goes to the node placement
	// puts it on: the nodes that came back got their share again.
	for _, a := range c.accs {
		c.hangUpAll(a, admins[a.id], supers[a.id])
	}
	deadline = time.Now().Add(20 * time.Second)
	for _, a := range c.accs {
		want := placement.Pick(a.id, names)
		for c.ownership(a.id).Node != want {
			if time.Now().After(deadline) {
				t.Fatalf("account %s is still on %s once idle, not on %s", a.name, c.ownership(a.id).Node, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	total, lost, timeouts := 0, 0, 0
	for _, a := range c.accs {
		j := c.journal(a.id)
		total += len(j)
		for seq := int64(1); seq <= int64(len(j)); seq++ {
			if _, ok := j[seq]; !ok {
				t.Fatalf("account %s: journal gap, no event %d of %d", a.name, seq, len(j))
			}
		}
		ended, disposed := map[string]int{}, map[string]int{}
		for _, e := range j {
			switch e.Type {
			case callfloor.EventCallEnded:
				ended[e.Call.ID]++
				if e.EndReason == "node_lost" {
					lost++
				}
			case callfloor.EventDisposition:
				disposed[e.Disposition.CallID]++
				if e.Disposition.Outcome == callfloor.NoAgentSubmission {
					timeouts++
				}
			case callfloor.EventLoggedOff:
				t.Errorf("account %s: agent %d logged off (%s): the driver never logs off", a.name, e.ExtensionID, e.LogoffReason)
			}
		}
		for id, n := range ended {
			if n > 1 || disposed[id] > 1 {
				t.Errorf("account %s: call %s ended %d times with %d dispositions", a.name, id, n, disposed[id])
			}
		}
		for _, id := range timers[a.id] {
			var outcomes []string
			for _, e := range j {
				if e.Type == callfloor.EventDisposition && e.Disposition.CallID == id {
					outcomes = append(outcomes, e.Disposition.Outcome)
				}
			}
			if len(outcomes) != 1 || outcomes[0] != callfloor.NoAgentSubmission {
				t.Errorf("account %s: the wrap-up of %s, due when its node died, ended with %q; want one timeout", a.name, id, outcomes)
			}
		}
	}
	if len(acks) < 100 {
		t.Fatalf("only %d commands were acknowledged: the drivers did not drive", len(acks))
	}
	journals := map[int64]map[int64]callfloor.Event{}
	for _, a := range c.accs {
		journals[a.id] = c.journal(a.id)
	}
	for _, k := range acks {
		e, ok := journals[k.account][k.seq]
		if !ok || (e.ExtensionID != k.ext && e.ExtensionID != 0) {
			t.Fatalf("acknowledged %q (account %d, seq %d, extension %d) is not in the journal: %+v", k.what, k.account, k.seq, k.ext, e)
		}
	}
	for _, w := range watchers {
		w.mu.Lock()
		for _, p := range w.problems {
			t.Errorf("stream of %s: %s", w.acc.name, p)
		}
		if w.last != lasts[w.acc.id] {
			t.Errorf("stream of %s ended at %d; the journal at %d", w.acc.name, w.last, lasts[w.acc.id])
		}
		if w.resnapshots > 0 {
			t.Errorf("stream of %s: %d of %d reconnections got a fresh snapshot instead of the events missed", w.acc.name, w.resnapshots, w.reconnects)
		}
		w.mu.Unlock()
	}
	// The agents are still logged in, as the owners' floors have them now.
	for _, a := range c.accs {
		var fl struct {
			Items []struct {
				ExtensionID int64 `json:"extension_id"`
				State       string
			}
		}
		getJSON(t, c.anyNode(r).base(), supers[a.id], "/api/v1/floor/agents", &fl)
		for _, ag := range fl.Items {
			if ag.State == string(callfloor.StateLoggedOff) {
				t.Errorf("account %s: agent %d is logged off after the kills", a.name, ag.ExtensionID)
			}
		}
	}
	owners := map[string]int{}
	for _, a := range c.accs {
		o, err := c.store.AccountOwnership(context.Background(), a.id)
		must(t, err)
		owners[o.Node]++
	}
	// An operator drains a node for maintenance: it ends with no account,
	// the others have them all, and it takes its share again after.
	drained := c.nodes[1]
	out := c.admin("drain", drained.name, "--wait", "30s")
	if !strings.Contains(out, "owns no account") {
		t.Fatalf("drain: %s", out)
	}
	for _, a := range c.accs {
		if o := c.ownership(a.id); o.Node == drained.name {
			t.Fatalf("account %s is still on the drained %s", a.name, o.Node)
		}
	}
	if out := c.admin("cluster-status"); !strings.Contains(out, drained.name) || !strings.Contains(out, "true") {
		t.Fatalf("cluster-status while %s drains:\n%s", drained.name, out)
	}
	c.admin("undrain", drained.name)
	deadline = time.Now().Add(20 * time.Second)
	for back := false; !back; {
		for _, a := range c.accs {
			back = back || c.ownership(a.id).Node == drained.name
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s took no account back after undrain", drained.name)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A node stopped cleanly hands its accounts over at once (it releases
	// their leases) and deletes its row.
	stopped := c.nodes[2]
	var mine []*account
	for _, a := range c.accs {
		if c.ownership(a.id).Node == stopped.name {
			mine = append(mine, a)
		}
	}
	stopped.up.Store(false)
	start := time.Now()
	stopped.cmd.Process.Signal(syscall.SIGTERM)
	if err := stopped.cmd.Wait(); err != nil {
		t.Errorf("%s stopped with %v", stopped.name, err)
	}
	c.owned(c.nodes[0], supers, 30*time.Second)
	handover := time.Since(start)
	for _, a := range mine {
		if o := c.ownership(a.id); o.Node == stopped.name {
			t.Errorf("account %s is still %s's after it stopped", a.name, stopped.name)
		}
	}
	rows, err := c.store.ClusterNodes(context.Background())
	must(t, err)
	for _, r := range rows {
		if r.Name == stopped.name {
			t.Errorf("%s's row is still in cluster_nodes after it stopped", stopped.name)
		}
	}

	reconnects := 0
	for _, w := range watchers {
		reconnects += w.reconnects
	}
	t.Logf("clean stop handed %d accounts over in %v", len(mine), handover)
	t.Logf("failovers %v; %d acknowledged commands; %d journal events; %d calls ended node_lost; %d wrap-up timeouts; %d stream reconnections; owners now %v",
		failovers, len(acks), total, lost, timeouts, reconnects, owners)
}

// admin runs a callfloor admin command against the cluster and returns
// its output; it must succeed.
func (c *cluster) admin(args ...string) string {
	c.t.Helper()
	n := c.nodes[0]
	cmd := exec.Command(n.bin, append(append([]string{"admin"}, args...), c.adminArgs...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("callfloor admin %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// must sends a command through any node until one carries it out (an
// account whose owner just died answers not_owner for a few seconds).
func (c *cluster) must(token, path string, body any) {
	c.t.Helper()
	b, _ := json.Marshal(body)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest("POST", c.anyNode(r).base()+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		var msg bytes.Buffer
		if err == nil {
			msg.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("POST %s: %v %s", path, err, msg.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ownership is the account's owner as the journal has it.
func (c *cluster) ownership(accountID int64) callfloor.Ownership {
	c.t.Helper()
	o, err := c.store.AccountOwnership(context.Background(), accountID)
	must(c.t, err)
	return o
}

// hangUpAll ends every call the account's agents have.
func (c *cluster) hangUpAll(a *account, admin, super string) {
	c.t.Helper()
	var fl struct {
		Items []struct {
			ExtensionID int64 `json:"extension_id"`
			Lines       []struct {
				Call struct{ ID string }
			}
		}
	}
	getJSON(c.t, c.nodes[0].base(), super, "/api/v1/floor/agents", &fl)
	for _, ag := range fl.Items {
		for _, l := range ag.Lines {
			c.must(admin, "/api/v1/sim/hangup", map[string]any{"extension_id": ag.ExtensionID, "call_id": l.Call.ID, "reason": "remote"})
		}
	}
}

func getJSON(t *testing.T, base, token, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}
