package kamailiotest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// node is a fake callfloor node: it answers OPTIONS 200, every INVITE
// 486 and every REGISTER 200, the last two with its name in
// X-Callfloor-Node, and reports the INVITEs it got (and the REGISTERs,
// as long as there is room for them).
type node struct {
	name      string
	addr      string
	invites   chan *sip.Request
	registers chan *sip.Request
	ua        *sipgo.UserAgent
	conn      net.PacketConn
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newNode(t *testing.T, name string) *node {
	t.Helper()
	return newNodeOn(t, name, "127.0.0.1:0")
}

func newNodeOn(t *testing.T, name, addr string) *node {
	t.Helper()
	n := &node{name: name, invites: make(chan *sip.Request, 100), registers: make(chan *sip.Request, 100)}
	var err error
	n.ua, err = sipgo.NewUA(sipgo.WithUserAgent("node-" + name))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(n.ua, sipgo.WithServerLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	n.conn, err = net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	n.addr = n.conn.LocalAddr().String()
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		n.invites <- req
		res := sip.NewResponseFromRequest(req, sip.StatusBusyHere, "Busy Here", nil)
		res.AppendHeader(sip.NewHeader("X-Callfloor-Node", n.name))
		_ = tx.Respond(res)
	})
	srv.OnRegister(func(req *sip.Request, tx sip.ServerTransaction) {
		select {
		case n.registers <- req:
		default:
		}
		res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
		res.AppendHeader(sip.NewHeader("X-Callfloor-Node", n.name))
		_ = tx.Respond(res)
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	go func() { _ = srv.ServeUDP(n.conn) }()
	t.Cleanup(n.stop)
	return n
}

// restart brings a stopped node back on its address.
func (n *node) restart(t *testing.T) {
	t.Helper()
	m := newNodeOn(t, n.name, n.addr)
	*n = *m
}

// stop closes the node's socket: it no longer answers anything.
func (n *node) stop() {
	n.ua.Close()
	n.conn.Close()
}

// phone is the SIP client that sends INVITEs through the proxy.
type phone struct {
	cli *sipgo.Client
}

func newPhone(t *testing.T) *phone {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("phone"))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close(); ua.Close() })
	return &phone{cli: cli}
}

// invite sends an INVITE for agent@domain through the proxy and returns
// the name of the node that answered, or "" with the final status when
// no node did.
func (p *phone) invite(t *testing.T, proxy *Proxy, domain string) (string, int) {
	t.Helper()
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "agent", Host: domain})
	req.SetDestination(proxy.Addr)
	req.AppendHeader(sip.NewHeader("Contact", "<sip:phone@127.0.0.1>"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := p.cli.Do(ctx, req)
	if err != nil {
		t.Fatalf("INVITE for %s: %v", domain, err)
	}
	if h := res.GetHeader("X-Callfloor-Node"); h != nil {
		return h.Value(), res.StatusCode
	}
	return "", res.StatusCode
}

// A domain (an account) always lands on one node; two domains that hash
// apart land on two; when a node dies, its domains move to the other one
// once kamailio's probes or a timed-out INVITE mark it down, and come
// back when it answers probes again.
func TestDispatchByDomainAndFailover(t *testing.T) {
	a, b := newNode(t, "a"), newNode(t, "b")
	proxy := Start(t, []string{a.addr, b.addr}, Options{})
	ph := newPhone(t)

	// Find a domain per node; the hash decides which, so try a few.
	byNode := map[string]string{}
	for i := 0; i < 40 && len(byNode) < 2; i++ {
		d := "acct" + string(rune('a'+i%26)) + string(rune('0'+i/26)) + ".example"
		got, code := ph.invite(t, proxy, d)
		if got == "" {
			t.Fatalf("INVITE for %s: %d from no node", d, code)
		}
		if _, ok := byNode[got]; !ok {
			byNode[got] = d
		}
	}
	if len(byNode) != 2 {
		t.Fatalf("40 domains all went to one node: %v", byNode)
	}
	onA, onB := byNode["a"], byNode["b"]

	// Each domain keeps to its node.
	for range 5 {
		for want, d := range map[string]string{"a": onA, "b": onB} {
			if got, code := ph.invite(t, proxy, d); got != want {
				t.Fatalf("INVITE for %s: node %q (%d), want %q", d, got, code, want)
			}
		}
	}

	// The INVITE carried the proxy's Record-Route.
	drain := func(n *node) *sip.Request {
		var last *sip.Request
		for {
			select {
			case r := <-n.invites:
				last = r
			default:
				return last
			}
		}
	}
	if r := drain(a); r == nil || r.RecordRoute() == nil {
		t.Fatalf("node a's INVITE has no Record-Route: %v", r)
	}
	drain(b)

	// Node b dies. The next INVITE for its domain goes to a: either
	// b's probe already failed and the hash skips it, or the INVITE times
	// out on b and the failure route sends it on to a.
	b.stop()
	if got, code := ph.invite(t, proxy, onB); got != "a" {
		t.Fatalf("first INVITE for %s after node b died: node %q (%d), want a", onB, got, code)
	}
	// And stays there; a's own domain is untouched.
	for range 3 {
		for d := range map[string]bool{onA: true, onB: true} {
			if got, code := ph.invite(t, proxy, d); got != "a" {
				t.Fatalf("INVITE for %s with node b dead: node %q (%d), want a", d, got, code)
			}
		}
	}

	// Node b comes back: once a probe finds it, its domain goes back to it.
	b.restart(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, code := ph.invite(t, proxy, onB)
		if got == "b" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("INVITE for %s after node b came back: node %q (%d), want b", onB, got, code)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if got, code := ph.invite(t, proxy, onA); got != "a" {
		t.Fatalf("INVITE for %s after node b came back: node %q (%d), want a", onA, got, code)
	}
}

// A node's call to a phone that registered through the proxy: the node
// sends the INVITE to the proxy (the registration's source), with the
// phone's contact as the Request-URI; the proxy relays it to the phone,
// record-routing it, and never to a node, whose owner look-up or hash
// would otherwise take it for a phone's new call.
func TestNodeRequestGoesToThePhone(t *testing.T) {
	db := newOwnerDB(t)
	n1, n2 := newNode(t, "1"), newNode(t, "2")
	db.node(t, "node-1", n1.addr)
	db.node(t, "node-2", n2.addr)
	db.own(t, db.a, "node-1")
	db.own(t, db.b, "node-2")
	for _, o := range []Options{{}, {OwnerDB: db.url}} {
		proxy := Start(t, []string{n1.addr, n2.addr}, o)
		alice := newNode(t, "alice") // a phone: it answers 486 with its name
		// The node calls alice from its own SIP socket (the proxy knows a
		// node by the address in its list), as its B2BUA does; the From
		// user is the calling extension's number.
		cli, err := sipgo.NewClient(n1.ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientConnectionAddr(n1.addr),
			sipgo.WithClientLogger(quiet()))
		if err != nil {
			t.Fatal(err)
		}
		for _, from := range []string{"202", "bob", "alice"} {
			req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: alice.port()})
			req.SetDestination(proxy.Addr)
			f := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: from, Host: "127.0.0.1"}, Params: sip.NewParams()}
			f.Params.Add("tag", sip.GenerateTagN(10))
			req.AppendHeader(f)
			req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "201", Host: "127.0.0.1"}, Params: sip.NewParams()})
			req.AppendHeader(sip.NewHeader("Contact", "<sip:"+from+"@"+n1.addr+">"))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			res, err := cli.Do(ctx, req)
			cancel()
			if err != nil {
				t.Fatalf("owner look-up %v: INVITE from node 1 (From %s) to alice: %v", o.OwnerDB != "", from, err)
			}
			if h := res.GetHeader("X-Callfloor-Node"); h == nil || h.Value() != "alice" {
				t.Fatalf("owner look-up %v: INVITE from node 1 (From %s) to alice was answered %d by %v, not by alice; kamailio's log:\n%s",
					o.OwnerDB != "", from, res.StatusCode, h, proxy.Log.String())
			}
			select {
			case r := <-alice.invites:
				if r.RecordRoute() == nil {
					t.Fatalf("alice's INVITE has no Record-Route: %v", r)
				}
			default:
				t.Fatal("alice answered an INVITE she did not report")
			}
		}
		for _, n := range []*node{n1, n2} {
			if len(n.invites) > 0 {
				t.Fatalf("node %s got the INVITE meant for alice", n.name)
			}
		}
		cli.Close()
	}
}

// port is the node's UDP port.
func (n *node) port() int { return n.conn.LocalAddr().(*net.UDPAddr).Port }
