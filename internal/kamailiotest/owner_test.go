package kamailiotest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/pgtest"
	"github.com/callfloor/callfloor/postgres"
	"github.com/callfloor/callfloor/sqlstore"
)

// send sends one request through the proxy from fromUser (the From and,
// for a REGISTER, the To user) to ruri, and returns the node that
// answered, or "" with the final status when no node did.
func (p *phone) send(t *testing.T, proxy *Proxy, method sip.RequestMethod, ruri sip.Uri, fromUser string) (string, int) {
	t.Helper()
	req := sip.NewRequest(method, ruri)
	req.SetDestination(proxy.Addr)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: fromUser, Host: ruri.Host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	to := sip.Uri{Scheme: "sip", User: ruri.User, Host: ruri.Host}
	if method == sip.REGISTER {
		to.User = fromUser
	}
	req.AppendHeader(&sip.ToHeader{Address: to, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Contact", "<sip:"+fromUser+"@127.0.0.1>"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := p.cli.Do(ctx, req)
	if err != nil {
		t.Fatalf("%s from %s to %s: %v", method, fromUser, ruri.String(), err)
	}
	if h := res.GetHeader("X-Callfloor-Node"); h != nil {
		return h.Value(), res.StatusCode
	}
	return "", res.StatusCode
}

// skewClock is the wall clock moved by a skew, so that a node's row can
// be written as if its last heartbeat were long ago.
type skewClock struct{ skew atomic.Int64 }

func (c *skewClock) Now() time.Time         { return time.Now().Add(time.Duration(c.skew.Load())) }
func (c *skewClock) set(skew time.Duration) { c.skew.Store(int64(skew)) }

// ownerDB is callfloor's schema for the proxy's owner look-up: a fresh
// PostgreSQL schema with two accounts, A (extension alice, inbound number
// +442070000001) and B (extension bob, inbound number +442070000002).
type ownerDB struct {
	url   string
	st    *sqlstore.Store
	clock *skewClock
	a, b  *callfloor.Account
}

func newOwnerDB(t *testing.T) *ownerDB {
	t.Helper()
	db := &ownerDB{url: pgtest.Schema(t, "kamailiotest_"), clock: &skewClock{}}
	var err error
	db.st, err = postgres.Open(context.Background(), db.url, sqlstore.Options{Clock: db.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.st.Close() })
	db.a = db.account(t, "Acme", "alice", "+442070000001")
	db.b = db.account(t, "Globex", "bob", "442070000002")
	return db
}

func (db *ownerDB) account(t *testing.T, name, sipUser, number string) *callfloor.Account {
	t.Helper()
	ctx := context.Background()
	a := &callfloor.Account{Name: name, TimeZone: "UTC", LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: 2}
	if err := db.st.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	actx := callfloor.SystemContext(ctx, a.ID)
	e := &callfloor.Extension{Number: "201", Name: sipUser, SIPUsername: sipUser, QueuesFeature: true, Agent: callfloor.DefaultAgentSettings()}
	e.Agent.Enabled = true
	e.SetSIPSecret(callfloor.DefaultSIPRealm, callfloor.NewSIPSecret())
	if err := db.st.CreateExtension(actx, e); err != nil {
		t.Fatal(err)
	}
	n := &callfloor.InboundNumber{Number: number, Destination: callfloor.Destination{Kind: callfloor.DestinationExtension, ID: e.ID}, Enabled: true}
	if err := db.st.CreateInboundNumber(actx, n); err != nil {
		t.Fatal(err)
	}
	return a
}

// node writes the node's cluster_nodes row, seen at the clock now.
func (db *ownerDB) node(t *testing.T, name, addr string) {
	t.Helper()
	_, err := db.st.PutClusterNode(context.Background(), callfloor.ClusterNode{Name: name, SIPURI: "sip:" + addr, HTTPURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
}

func (db *ownerDB) own(t *testing.T, a *callfloor.Account, node string) {
	t.Helper()
	if _, err := db.st.TakeOwnership(context.Background(), a.ID, node); err != nil {
		t.Fatal(err)
	}
}

// Kamailio sends each account's SIP to the node that owns it, as
// account_owners and cluster_nodes say: phones by their SIP username,
// carriers' calls by the number dialled. It follows a takeover within
// its cache time; it falls back to the dispatcher's hash for a user it
// cannot place and for an owner that stopped saying it is alive; and a
// request the owner does not answer fails over to another node.
func TestDispatchToTheAccountsOwner(t *testing.T) {
	const cache = time.Second
	db := newOwnerDB(t)
	n1, n2 := newNode(t, "1"), newNode(t, "2")
	db.node(t, "node-1", n1.addr)
	db.node(t, "node-2", n2.addr)
	db.own(t, db.a, "node-1")
	db.own(t, db.b, "node-2")
	proxy := Start(t, []string{n1.addr, n2.addr}, Options{OwnerDB: db.url, OwnerCache: cache, NodeAlive: 30 * time.Second})
	ph := newPhone(t)

	const domain = "callfloor.example"
	type req struct {
		what   string
		method sip.RequestMethod
		ruri   sip.Uri
		from   string
	}
	register := func(user string) req {
		return req{"REGISTER of " + user, sip.REGISTER, sip.Uri{Scheme: "sip", Host: domain}, user}
	}
	call := func(from, to string) req {
		return req{"INVITE from " + from + " to " + to, sip.INVITE, sip.Uri{Scheme: "sip", User: to, Host: domain}, from}
	}
	expect := func(want string, rs ...req) {
		t.Helper()
		for _, r := range rs {
			if got, code := ph.send(t, proxy, r.method, r.ruri, r.from); got != want {
				t.Fatalf("%s: node %q (%d), want node %q", r.what, got, code, want)
			}
		}
	}
	// A's phone, and a carrier's call to A's number (with or without
	// its "+"), land on node 1; B's on node 2. A phone calling another
	// account's number stays on its own account's node.
	for range 3 {
		expect("1", register("alice"), call("alice", "202"), call("+447700900123", "+442070000001"), call("+447700900123", "442070000001"),
			call("alice", "+442070000002"))
		expect("2", register("bob"), call("bob", "201"), call("+447700900123", "+442070000002"), call("anonymous", "442070000002"),
			call("bob", "442070000001"))
	}

	// A moves to node 2: after the cache time, its SIP follows.
	db.own(t, db.a, "node-2")
	time.Sleep(cache + 1500*time.Millisecond)
	expect("2", register("alice"), call("alice", "202"), call("+447700900123", "+442070000001"))
	expect("2", register("bob"))

	// Who the look-up cannot place goes where the dispatcher's hash of
	// the domain says: a user and a number no account has, a user name
	// that is not a SIP username's shape, an account no node owns.
	db.account(t, "Initech", "dave", "+442070000003")
	byNode := hashDomains(t, ph, proxy)
	for node, d := range byNode {
		for _, r := range []req{
			{"REGISTER of carol", sip.REGISTER, sip.Uri{Scheme: "sip", Host: d}, "carol"},
			{"INVITE from carol to an unknown number", sip.INVITE, sip.Uri{Scheme: "sip", User: "+15550000000", Host: d}, "carol"},
			{"INVITE from a quoted user", sip.INVITE, sip.Uri{Scheme: "sip", User: "201", Host: d}, "al'ice"},
			{"REGISTER of dave, whose account no node owns", sip.REGISTER, sip.Uri{Scheme: "sip", Host: d}, "dave"},
			{"INVITE to dave's account's number", sip.INVITE, sip.Uri{Scheme: "sip", User: "+442070000003", Host: d}, "+447700900123"},
		} {
			if got, code := ph.send(t, proxy, r.method, r.ruri, r.from); got != node {
				t.Fatalf("%s @%s: node %q (%d), want the hash's node %q", r.what, d, got, code, node)
			}
		}
	}

	// Node 1 owns A again, but its row says it was last alive a minute
	// ago: A goes where the hash says, until node 1 writes its row again.
	db.own(t, db.a, "node-1")
	db.clock.set(-time.Minute)
	db.node(t, "node-1", n1.addr)
	db.clock.set(0)
	time.Sleep(cache + 1500*time.Millisecond)
	for node, d := range byNode {
		if got, code := ph.send(t, proxy, sip.REGISTER, sip.Uri{Scheme: "sip", Host: d}, "alice"); got != node {
			t.Fatalf("REGISTER of alice @%s with node 1 not alive: node %q (%d), want the hash's node %q", d, got, code, node)
		}
	}
	db.node(t, "node-1", n1.addr)
	time.Sleep(cache + 1500*time.Millisecond)
	for _, d := range byNode {
		if got, code := ph.send(t, proxy, sip.REGISTER, sip.Uri{Scheme: "sip", Host: d}, "alice"); got != "1" {
			t.Fatalf("REGISTER of alice @%s with node 1 alive again: node %q (%d), want node 1", d, got, code)
		}
	}

	// Node 1 dies; its row and A's owner row stay (no node took A yet).
	// A's requests time out on node 1 and fail over to node 2, whatever
	// the hash of their domain; B's stay on node 2.
	n1.stop()
	for _, d := range byNode {
		for _, r := range []req{
			{"REGISTER of alice", sip.REGISTER, sip.Uri{Scheme: "sip", Host: d}, "alice"},
			{"INVITE from alice", sip.INVITE, sip.Uri{Scheme: "sip", User: "202", Host: d}, "alice"},
			{"INVITE to A's number", sip.INVITE, sip.Uri{Scheme: "sip", User: "+442070000001", Host: d}, "+447700900123"},
		} {
			if got, code := ph.send(t, proxy, r.method, r.ruri, r.from); got != "2" {
				t.Fatalf("%s @%s with node 1 dead: node %q (%d), want node 2", r.what, d, got, code)
			}
		}
	}
	expect("2", register("bob"), call("bob", "201"))
	// The first of them went to node 1 and failed over (before the
	// probes could mark node 1 inactive).
	if !strings.Contains(proxy.Log.String(), "failed for alice|") {
		t.Fatalf("no request of alice's failed over from node 1; kamailio's log:\n%s", proxy.Log.String())
	}

	// Once the probes marked node 1 inactive, A's requests go to node 2
	// at once, without waiting for node 1 to time out.
	time.Sleep(3 * time.Second)
	for _, d := range byNode {
		start := time.Now()
		if got, code := ph.send(t, proxy, sip.REGISTER, sip.Uri{Scheme: "sip", Host: d}, "alice"); got != "2" {
			t.Fatalf("REGISTER of alice @%s with node 1 marked inactive: node %q (%d), want node 2", d, got, code)
		}
		if took := time.Since(start); took > 500*time.Millisecond {
			t.Fatalf("REGISTER of alice @%s with node 1 marked inactive took %v: it waited for node 1", d, took)
		}
	}
}

// hashDomains finds, for each node, a domain whose requests from an
// unknown user the dispatcher's hash sends to it.
func hashDomains(t *testing.T, ph *phone, proxy *Proxy) map[string]string {
	t.Helper()
	byNode := map[string]string{}
	for i := 0; i < 40 && len(byNode) < 2; i++ {
		d := fmt.Sprintf("acct%d.example", i)
		got, code := ph.send(t, proxy, sip.REGISTER, sip.Uri{Scheme: "sip", Host: d}, "carol")
		if got == "" {
			t.Fatalf("REGISTER of carol @%s: %d from no node", d, code)
		}
		if _, ok := byNode[got]; !ok {
			byNode[got] = d
		}
	}
	if len(byNode) != 2 {
		t.Fatalf("40 domains all went to one node: %v", byNode)
	}
	return byNode
}

// With the database out of reach Kamailio still starts, and every
// request goes where the dispatcher's hash says.
func TestOwnerDatabaseDown(t *testing.T) {
	n1, n2 := newNode(t, "1"), newNode(t, "2")
	// A port nothing listens on: the look-ups fail at once.
	down := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test", freeTCPPort(t))
	proxy := Start(t, []string{n1.addr, n2.addr}, Options{OwnerDB: down})
	ph := newPhone(t)
	byNode := hashDomains(t, ph, proxy)
	for range 2 {
		for node, d := range byNode {
			if got, code := ph.send(t, proxy, sip.REGISTER, sip.Uri{Scheme: "sip", Host: d}, "alice"); got != node {
				t.Fatalf("REGISTER of alice @%s with the database down: node %q (%d), want the hash's node %q", d, got, code, node)
			}
		}
	}
	if !strings.Contains(proxy.Log.String(), "owner look-up for alice| failed") {
		t.Fatalf("kamailio did not report the failed look-up:\n%s", proxy.Log.String())
	}
}

// freeTCPPort returns a TCP port free on loopback now.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
