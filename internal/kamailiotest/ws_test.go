package kamailiotest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// wsPhone is a browser's SIP stack as far as the proxy can tell: SIP
// messages as text frames over one WebSocket (RFC 7118, subprotocol
// "sip"), with a contact whose host ends in ".invalid", as JsSIP's does.
type wsPhone struct {
	user string
	conn *websocket.Conn
	msgs chan sip.Message
	seq  int
}

func dialWS(t *testing.T, proxy *Proxy, user string) *wsPhone {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, "ws://"+proxy.WSAddr, &websocket.DialOptions{Subprotocols: []string{"sip"}})
	if err != nil {
		t.Fatalf("WebSocket to kamailio: %v", err)
	}
	if got := res.Header.Get("Sec-WebSocket-Protocol"); got != "sip" {
		t.Fatalf("kamailio took subprotocol %q, want sip", got)
	}
	p := &wsPhone{user: user, conn: conn, msgs: make(chan sip.Message, 100)}
	go func() {
		for {
			typ, data, err := conn.Read(context.Background())
			if err != nil {
				close(p.msgs)
				return
			}
			if typ != websocket.MessageText {
				continue
			}
			m, err := sip.ParseMessage(data)
			if err != nil {
				continue
			}
			p.msgs <- m
		}
	}()
	t.Cleanup(func() { _ = conn.Close(websocket.StatusNormalClosure, "") })
	return p
}

// contact is the phone's contact URI.
func (p *wsPhone) contact() string { return "sip:" + p.user + "@k7hq2w.invalid;transport=ws" }

func (p *wsPhone) write(t *testing.T, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("%s's WebSocket: %v", p.user, err)
	}
}

// next waits for the next SIP message on the phone's WebSocket.
func (p *wsPhone) next(t *testing.T, what string) sip.Message {
	t.Helper()
	select {
	case m, ok := <-p.msgs:
		if !ok {
			t.Fatalf("%s's WebSocket closed waiting for %s", p.user, what)
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatalf("%s's WebSocket: no %s in 10s", p.user, what)
	}
	return nil
}

// final waits for the final response to the request of CSeq method.
func (p *wsPhone) final(t *testing.T, method sip.RequestMethod) *sip.Response {
	t.Helper()
	for {
		m := p.next(t, "answer to "+string(method))
		res, ok := m.(*sip.Response)
		if !ok || res.CSeq() == nil || res.CSeq().MethodName != method || res.StatusCode < 200 {
			continue
		}
		return res
	}
}

// request writes a request of its own (a new Call-ID, From tag and
// branch) to ruri, with to as the To URI, and returns its Call-ID.
func (p *wsPhone) request(t *testing.T, method sip.RequestMethod, ruri, to string) string {
	t.Helper()
	p.seq++
	callID := fmt.Sprintf("ws-%s-%d-%d", p.user, p.seq, time.Now().UnixNano())
	msg := string(method) + " " + ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/WS k7hq2w.invalid;branch=z9hG4bK" + sip.GenerateTagN(12) + "\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:" + p.user + "@callfloor.example>;tag=" + sip.GenerateTagN(10) + "\r\n" +
		"To: <" + to + ">\r\n" +
		"Call-ID: " + callID + "\r\n" +
		fmt.Sprintf("CSeq: %d %s\r\n", p.seq, method) +
		"Contact: <" + p.contact() + ">;expires=600\r\n" +
		"Content-Length: 0\r\n\r\n"
	p.write(t, msg)
	return callID
}

// answer writes a response to req, with the phone's contact and, for a
// dialog-creating answer, a To tag.
func (p *wsPhone) answer(t *testing.T, req *sip.Request, code int, reason, toTag string) {
	t.Helper()
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if toTag != "" {
		if to := res.To(); to != nil && !to.Params.Has("tag") {
			to.Params.Add("tag", toTag)
		}
	}
	res.AppendHeader(sip.NewHeader("Contact", "<"+p.contact()+">"))
	p.write(t, res.String())
}

// A browser's SIP over WebSocket through the proxy: its REGISTER and its
// INVITE reach its account's owner (over UDP), with its Contact aliased
// to its connection; the owner's INVITE to that contact, sent to the
// proxy as a node sends it, reaches the browser over its WebSocket, and
// the dialog's ACK and BYE follow the route set across the two
// transports.
func TestWebSocketClient(t *testing.T) {
	db := newOwnerDB(t)
	n1, n2 := newNode(t, "1"), newNode(t, "2")
	db.node(t, "node-1", n1.addr)
	db.node(t, "node-2", n2.addr)
	db.own(t, db.a, "node-1")
	db.own(t, db.b, "node-2")
	proxy := Start(t, []string{n1.addr, n2.addr}, Options{OwnerDB: db.url, WebSocket: true})
	defer func() {
		if t.Failed() {
			t.Logf("kamailio's log:\n%s", proxy.Log.String())
		}
	}()

	// Any other HTTP request on the WebSocket port is refused.
	if res, err := http.Get("http://" + proxy.WSAddr + "/"); err != nil {
		t.Fatalf("plain HTTP to kamailio's WebSocket port: %v", err)
	} else if res.Body.Close(); res.StatusCode != http.StatusNotFound {
		t.Fatalf("plain HTTP to kamailio's WebSocket port: %d, want 404", res.StatusCode)
	}

	// alice (account A, node 1) and bob (account B, node 2) register
	// from browsers: each REGISTER reaches its owner, whose 200 comes
	// back over the WebSocket.
	alice, bob := dialWS(t, proxy, "alice"), dialWS(t, proxy, "bob")
	var stored string
	for _, c := range []struct {
		ph   *wsPhone
		node *node
	}{{alice, n1}, {bob, n2}} {
		c.ph.request(t, sip.REGISTER, "sip:callfloor.example", "sip:"+c.ph.user+"@callfloor.example")
		res := c.ph.final(t, sip.REGISTER)
		if h := res.GetHeader("X-Callfloor-Node"); res.StatusCode != 200 || h == nil || h.Value() != c.node.name {
			t.Fatalf("%s's REGISTER over WebSocket: %d from node %v, want 200 from node %s", c.ph.user, res.StatusCode, h, c.node.name)
		}
		var reg *sip.Request
		select {
		case reg = <-c.node.registers:
		default:
			t.Fatalf("node %s answered %s's REGISTER it did not report", c.node.name, c.ph.user)
		}
		ct := reg.Contact()
		if ct == nil || !strings.HasPrefix(ct.Address.Host, "k7hq2w.invalid") || ct.Address.UriParams.GetOr("alias", "") == "" {
			t.Fatalf("%s's REGISTER reached node %s with Contact %v, want the browser's contact with an alias", c.ph.user, c.node.name, ct)
		}
		if reg.Transport() != "UDP" {
			t.Fatalf("%s's REGISTER reached node %s over %s, want UDP", c.ph.user, c.node.name, reg.Transport())
		}
		if c.ph == alice {
			stored = ct.Address.String()
		}
	}

	// Node 1 calls alice as its B2BUA does: to the proxy (the address
	// her REGISTER came from), with the stored contact as the
	// Request-URI, from the node's own SIP socket.
	cli, err := sipgo.NewClient(n1.ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientConnectionAddr(n1.addr),
		sipgo.WithClientLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	dua := sipgo.DialogUA{Client: cli, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "node-1", Host: "127.0.0.1", Port: n1.port()}}}
	var target sip.Uri
	if err := sip.ParseUri(stored, &target); err != nil {
		t.Fatal(err)
	}
	inv := sip.NewRequest(sip.INVITE, target)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "202", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	inv.AppendHeader(from)
	inv.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "201", Host: "127.0.0.1"}, Params: sip.NewParams()})
	inv.SetDestination(proxy.Addr)
	inv.SetTransport("UDP")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	sess, err := dua.WriteInvite(ctx, inv)
	if err != nil {
		t.Fatalf("node 1's INVITE to alice: %v", err)
	}
	defer sess.Close()

	// alice gets it over her WebSocket, with the alias gone from the
	// Request-URI and the proxy's two Record-Routes (UDP side and
	// WebSocket side), and answers 200.
	var got *sip.Request
	for got == nil {
		if r, ok := alice.next(t, "INVITE").(*sip.Request); ok && r.Method == sip.INVITE {
			got = r
		}
	}
	if got.Recipient.UriParams.Has("alias") {
		t.Fatalf("alice's INVITE still has the alias in its Request-URI: %s", got.Recipient.String())
	}
	rr := got.GetHeaders("Record-Route")
	if len(rr) != 2 || !strings.Contains(strings.ToLower(rr[0].Value()), "transport=ws") {
		t.Fatalf("alice's INVITE has Record-Route %v, want two, the first over WebSocket", rr)
	}
	alice.answer(t, got, 200, "OK", "alice-tag")

	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatalf("node 1 waiting for alice's answer: %v", err)
	}
	if sess.InviteResponse.StatusCode != 200 {
		t.Fatalf("node 1 got %d from alice, want 200", sess.InviteResponse.StatusCode)
	}
	if ct := sess.InviteResponse.Contact(); ct == nil || !ct.Address.UriParams.Has("alias") {
		t.Fatalf("alice's 200 reached node 1 with Contact %v, want it aliased", ct)
	}

	// The node's ACK and BYE go through the proxy to alice's WebSocket.
	if err := sess.Ack(ctx); err != nil {
		t.Fatalf("node 1's ACK: %v", err)
	}
	byeDone := make(chan error, 1)
	go func() { byeDone <- sess.Bye(ctx) }()
	// (The proxy's workers may pass them on in either order.)
	var sawAck, sawBye bool
	for !sawAck || !sawBye {
		r, ok := alice.next(t, "ACK and BYE").(*sip.Request)
		if !ok {
			continue
		}
		if r.Recipient.UriParams.Has("alias") {
			t.Fatalf("alice's %s still has the alias in its Request-URI: %s", r.Method, r.Recipient.String())
		}
		switch r.Method {
		case sip.ACK:
			sawAck = true
		case sip.BYE:
			sawBye = true
			alice.answer(t, r, 200, "OK", "")
		}
	}
	if err := <-byeDone; err != nil {
		t.Fatalf("node 1's BYE to alice: %v", err)
	}

	// bob calls from his browser: the INVITE goes to his account's
	// owner, record-routed on both transports, with his contact
	// aliased; the owner's 486 comes back over his WebSocket.
	for range 2 {
		bob.request(t, sip.INVITE, "sip:201@callfloor.example", "sip:201@callfloor.example")
		res := bob.final(t, sip.INVITE)
		if h := res.GetHeader("X-Callfloor-Node"); res.StatusCode != 486 || h == nil || h.Value() != "2" {
			t.Fatalf("bob's INVITE over WebSocket: %d from node %v, want 486 from node 2", res.StatusCode, h)
		}
		var r *sip.Request
		select {
		case r = <-n2.invites:
		default:
			t.Fatal("node 2 answered bob's INVITE it did not report")
		}
		if ct := r.Contact(); ct == nil || !ct.Address.UriParams.Has("alias") {
			t.Fatalf("bob's INVITE reached node 2 with Contact %v, want it aliased", ct)
		}
		if rr := r.GetHeaders("Record-Route"); len(rr) != 2 {
			t.Fatalf("bob's INVITE reached node 2 with Record-Route %v, want two", rr)
		}
		// The ACK of a 486 ends at the proxy.
		ack := "ACK sip:201@callfloor.example SIP/2.0\r\n" +
			"Via: " + res.Via().Value() + "\r\n" +
			"Max-Forwards: 70\r\n" +
			"From: " + res.From().Value() + "\r\n" +
			"To: " + res.To().Value() + "\r\n" +
			"Call-ID: " + res.CallID().Value() + "\r\n" +
			fmt.Sprintf("CSeq: %d ACK\r\n", res.CSeq().SeqNo) +
			"Content-Length: 0\r\n\r\n"
		bob.write(t, ack)
	}
	if len(n1.invites) > 0 {
		t.Fatal("node 1 got bob's INVITE")
	}
}
