package clustertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/cluster/placement"
	"github.com/callfloor/callfloor/internal/kamailiotest"
	"github.com/callfloor/callfloor/media/rtp"
	"github.com/callfloor/callfloor/sip/sdp"
)

// The SIP side of the cluster: real SIP phones (sipgo user agents) of two
// accounts register through Kamailio, which sends each account's SIP to
// its owner as PostgreSQL says, and call each other through it. The
// owner of one account is killed with SIGKILL in the middle of a call:
// the call ends (node_lost), another node takes the account, the phones'
// next REGISTERs reach it through Kamailio and their calls work there;
// the killed node comes back on the same SIP address, takes its idle
// account back, and the calls work there too.
func TestPhonesThroughKamailioFollowTheOwner(t *testing.T) {
	kamailiotest.Path(t) // skipped (failed under CI) without kamailio
	sip.SetDefaultLogger(quietLog())
	start := time.Now()
	sips := []string{freeSIPAddr(t), freeSIPAddr(t), freeSIPAddr(t)}
	c := startClusterWith(t, options{accounts: 2, sip: sips, live: true, prepare: func(c *cluster) {
		// The agents' phones are SIP phones, not the browser page.
		for _, a := range c.accs {
			ctx := callfloor.SystemContext(context.Background(), a.id)
			for _, ext := range a.exts {
				_, err := c.store.UpdateExtension(ctx, ext, func(e *callfloor.Extension) error {
					e.Agent.PhoneEngine = callfloor.PhoneExternal
					return nil
				})
				must(t, err)
			}
		}
	}})
	uris := map[string]string{} // node name: its SIP URI, as in cluster_nodes
	for i, n := range c.nodes {
		uris[n.name] = "sip:" + sips[i]
	}
	proxy := kamailiotest.Start(t, sips, kamailiotest.Options{OwnerDB: c.dbURL, OwnerCache: time.Second,
		PingInterval: time.Second, FRTimer: 2 * time.Second})
	if d := os.Getenv("CALLFLOOR_CLUSTER_LOGS"); d != "" {
		t.Cleanup(func() { _ = os.WriteFile(filepath.Join(d, "kamailio.log"), []byte(proxy.Log.String()), 0o600) })
	}
	t.Logf("cluster and Kamailio up in %v", time.Since(start).Round(time.Millisecond))

	type acct struct {
		*account
		super  string
		phones [2]*sipPhone
	}
	var accs []*acct
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	for _, a := range c.accs {
		x := &acct{account: a, super: login(t, c.nodes[0].base(), a.name, "super")}
		for i, ext := range a.exts {
			e, err := c.store.FindExtensionByID(callfloor.SystemContext(context.Background(), a.id), ext)
			must(t, err)
			p := newSIPPhone(t, e, proxy.Addr, a.name+".callfloor.test")
			x.phones[i] = p
			wg.Go(func() { p.keepRegistered(ctx, regEvery) })
			c.must(login(t, c.nodes[i].base(), a.name, fmt.Sprintf("agent%d", i+1)), "/api/v1/floor/me/login", nil)
		}
		accs = append(accs, x)
	}
	c.owned(c.nodes[0], map[int64]string{accs[0].id: accs[0].super, accs[1].id: accs[1].super}, 30*time.Second)

	// registered waits until each phone of a's last REGISTER went
	// through Kamailio to the account's owner, and the owner's floor has
	// the phone registered; it returns the owner.
	registered := func(a *acct, limit time.Duration) string {
		t.Helper()
		deadline := time.Now().Add(limit)
		for {
			owner := c.ownership(a.id).Node
			var why string
			for _, p := range a.phones {
				got, seq := p.landed(proxy.Log.String())
				if got != uris[owner] {
					why = fmt.Sprintf("the last REGISTER of %s (CSeq %d) went to %q, not to the owner %s (%s)", p.user, seq, got, owner, uris[owner])
					break
				}
			}
			if why == "" {
				for _, ag := range agents(t, c, a.super) {
					if (ag.ExtensionID == a.exts[0] || ag.ExtensionID == a.exts[1]) && !ag.PhoneRegistered {
						why = fmt.Sprintf("the floor of %s has extension %d's phone unregistered", owner, ag.ExtensionID)
					}
				}
			}
			if why == "" && c.ownership(a.id).Node == owner {
				return owner
			}
			if time.Now().After(deadline) {
				t.Fatalf("account %s after %v: %s", a.name, limit, why)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// call has phone from of a call phone to's extension through
	// Kamailio: the callee answers, media flows both ways through the
	// owner, and the floor shows both agents on the call. It returns the
	// call, up.
	call := func(a *acct, owner string, from, to int) liveCall {
		t.Helper()
		caller, callee := a.phones[from], a.phones[to]
		callee.drain()
		d, res := caller.call(t, callee.number)
		if got := contactAddr(res); "sip:"+got != uris[owner] {
			t.Fatalf("account %s: the call was answered by %s, not by its owner %s (%s)", a.name, got, owner, uris[owner])
		}
		callee.waitAck(t)
		expectMedia(t, caller, callee)
		expectMedia(t, callee, caller)
		deadline := time.Now().Add(10 * time.Second)
		for {
			up := 0
			for _, ag := range agents(t, c, a.super) {
				if (ag.ExtensionID == a.exts[0] || ag.ExtensionID == a.exts[1]) && len(ag.Lines) == 1 && ag.Lines[0].Answered {
					up++
				}
			}
			if up == 2 {
				return liveCall{d, callee}
			}
			if time.Now().After(deadline) {
				t.Fatalf("account %s: the floor does not show both agents on the call: %+v", a.name, agents(t, c, a.super))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// idle waits until neither agent of a has a line.
	idle := func(a *acct) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			busy := false
			for _, ag := range agents(t, c, a.super) {
				busy = busy || len(ag.Lines) > 0
			}
			if !busy {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("account %s: agents still on a call: %+v", a.name, agents(t, c, a.super))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// hangUp has the caller hang up: the callee gets the BYE through
	// the owner, and the floor frees both agents.
	hangUp := func(a *acct, c liveCall) {
		t.Helper()
		hctx, hcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer hcancel()
		if err := c.d.Bye(hctx); err != nil {
			t.Fatalf("account %s: BYE: %v", a.name, err)
		}
		c.callee.waitBye(t)
		idle(a)
	}

	// Every phone registers with its account's owner, and each account's
	// phones call each other there.
	owners := map[int64]string{}
	firsts := map[int64]callfloor.Ownership{}
	steady := map[*sipPhone]uint32{} // the CSeq of its first REGISTER that reached the owner
	for _, a := range accs {
		owners[a.id] = registered(a, 20*time.Second)
		firsts[a.id] = c.ownership(a.id)
		for _, p := range a.phones {
			steady[p] = p.lastCSeq()
		}
		hangUp(a, call(a, owners[a.id], 0, 1))
	}
	t.Logf("owners %v; first calls done at %v", owners, time.Since(start).Round(time.Millisecond))

	// The owner of the first account dies with a call up.
	victim := accs[0]
	var dead *node
	for _, n := range c.nodes {
		if n.name == owners[victim.id] {
			dead = n
		}
	}
	before := int64(len(c.journal(victim.id)))
	up := call(victim, owners[victim.id], 0, 1)
	killed := time.Now()
	dead.kill()
	t.Logf("killed %s with a call of %s up", dead.name, victim.name)
	for deadline := time.Now().Add(20 * time.Second); c.ownership(victim.id).Node == dead.name; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("account %s is still %s's 20s after it was killed", victim.name, dead.name)
		}
	}
	// The call ended on the floor with the node; the phones' dialog is
	// left (its node will never answer a BYE).
	idle(victim)
	lost := map[int64]bool{}
	for seq, e := range c.journal(victim.id) {
		if seq > before && e.Type == callfloor.EventCallEnded && e.EndReason == "node_lost" {
			lost[e.ExtensionID] = true
		}
	}
	if !lost[victim.exts[0]] || !lost[victim.exts[1]] {
		t.Fatalf("account %s: the call on the dead node did not end node_lost for both agents: %v", victim.name, lost)
	}
	up.d.Close()
	if owners[victim.id] = registered(victim, 20*time.Second); owners[victim.id] == dead.name {
		t.Fatalf("account %s went back to the dead %s", victim.name, dead.name)
	}
	hangUp(victim, call(victim, owners[victim.id], 1, 0))
	t.Logf("%s moved to %s; its phones registered and called there %v after the kill", victim.name, owners[victim.id], time.Since(killed).Round(time.Millisecond))
	// The other account was not disturbed, or followed the same way if
	// it was on the dead node too.
	other := accs[1]
	owners[other.id] = registered(other, 20*time.Second)
	hangUp(other, call(other, owners[other.id], 1, 0))

	// The dead node comes back on the same SIP address. The idle account
	// placed on it goes back to it, and its phones follow.
	dead.start()
	names := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		names[i] = n.name
	}
	restarted := time.Now()
	for _, a := range accs {
		want := placement.Pick(a.id, names)
		for deadline := time.Now().Add(20 * time.Second); c.ownership(a.id).Node != want; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("account %s is on %s 20s after %s came back, not on %s", a.name, c.ownership(a.id).Node, dead.name, want)
			}
		}
		owners[a.id] = registered(a, 20*time.Second)
		hangUp(a, call(a, owners[a.id], 0, 1))
	}
	t.Logf("after %s came back: owners %v, calls done %v later; test time %v", dead.name, owners,
		time.Since(restarted).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	// Where the REGISTERs went, as the proxy logged them.
	byURI := map[string]string{}
	for name, u := range uris {
		byURI[u] = name
	}
	log := proxy.Log.String()
	for _, a := range accs {
		for _, p := range a.phones {
			p.mu.Lock()
			t.Logf("%s: %d REGISTERs, %d failed %q; the proxy sent them (and their answers to the challenge) %v",
				p.user, p.sent.Load(), p.failed.Load(), p.failures, p.routes(log, byURI, 0))
			p.mu.Unlock()
		}
		// An account that never changed hands had every REGISTER since
		// the first that reached its owner sent to its owner, and
		// nowhere else.
		if c.ownership(a.id) != firsts[a.id] {
			continue
		}
		for _, p := range a.phones {
			if got := p.routes(log, byURI, steady[p]); len(got) != 1 || got[firsts[a.id].Node] == 0 {
				t.Errorf("%s of %s, which stayed on %s all along: its REGISTERs went %v", p.user, a.name, firsts[a.id].Node, got)
			}
		}
		t.Logf("%s stayed on %s: every REGISTER of its phones since the first check went there", a.name, firsts[a.id].Node)
	}
}

// liveCall is a call a test phone placed, up: the caller's dialog and
// the phone that answered.
type liveCall struct {
	d      *sipgo.DialogClientSession
	callee *sipPhone
}

// regEvery is how often the phones register again (their registrations
// last a minute, the registrar's shortest).
const regEvery = 2 * time.Second

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// freeSIPAddr is a loopback address whose port is free for both UDP and
// TCP now (a node listens on both).
func freeSIPAddr(t *testing.T) string {
	t.Helper()
	for range 50 {
		u, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := u.LocalAddr().String()
		l, err := net.Listen("tcp", addr)
		u.Close()
		if err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatal("no free port for both UDP and TCP")
	return ""
}

// agentView is what the test reads of GET /api/v1/floor/agents.
type agentView struct {
	ExtensionID     int64 `json:"extension_id"`
	State           string
	PhoneRegistered bool `json:"phone_registered"`
	Lines           []struct {
		Call     struct{ ID string }
		Answered bool
	}
}

// agents is the account's floor, from its owner through any node up.
func agents(t *testing.T, c *cluster, super string) []agentView {
	t.Helper()
	var fl struct{ Items []agentView }
	for _, n := range c.nodes {
		if n.up.Load() {
			getJSON(t, n.base(), super, "/api/v1/floor/agents", &fl)
			return fl.Items
		}
	}
	t.Fatal("no node is up")
	return nil
}

// sipPhone is a SIP phone of an extension: a sipgo user agent on a UDP
// port of its own that registers, calls and answers through the proxy,
// with a UDP socket for its RTP.
type sipPhone struct {
	t        *testing.T
	user     string // SIP username
	number   string
	password string
	proxy    string
	domain   string
	port     int
	cli      *sipgo.Client
	dsc      *sipgo.DialogServerCache
	dcc      *sipgo.DialogClientCache
	rtp      *net.UDPConn
	callID   string // of its registrations
	acks     chan struct{}
	byes     chan struct{}
	media    chan struct{} // an RTP packet arrived

	mu   sync.Mutex
	cseq uint32 // of its last REGISTER that was answered 200
	// failures are the REGISTERs that were not, with why.
	failures []string
	remote   netip.AddrPort
	pt       uint8

	sent, failed atomic.Int64
	ended        atomic.Bool
}

func newSIPPhone(t *testing.T, e *callfloor.Extension, proxy, domain string) *sipPhone {
	t.Helper()
	p := &sipPhone{t: t, user: e.SIPUsername, number: e.Number, password: pass, proxy: proxy, domain: domain,
		callID: "reg-" + e.SIPUsername + "-" + sip.GenerateTagN(8),
		acks:   make(chan struct{}, 10), byes: make(chan struct{}, 10), media: make(chan struct{}, 100)}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("clustertest-" + e.SIPUsername))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quietLog()))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.port = conn.LocalAddr().(*net.UDPAddr).Port
	p.cli, err = sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(p.port),
		sipgo.WithClientConnectionAddr(conn.LocalAddr().String()), sipgo.WithClientLogger(quietLog()))
	if err != nil {
		t.Fatal(err)
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: p.user, Host: "127.0.0.1", Port: p.port}}
	p.dsc = sipgo.NewDialogServerCache(p.cli, contact)
	p.dcc = sipgo.NewDialogClientCache(p.cli, contact)
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if p.dsc.ReadAck(req, tx) == nil {
			signal(p.acks)
		}
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		err := p.dsc.ReadBye(req, tx)
		if errors.Is(err, sipgo.ErrDialogDoesNotExists) {
			err = p.dcc.ReadBye(req, tx)
		}
		if err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		signal(p.byes)
	})
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})
	p.rtp, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2000)
		for {
			n, err := p.rtp.Read(buf)
			if err != nil {
				return
			}
			if _, _, err := rtp.Parse(buf[:n]); err == nil {
				select {
				case p.media <- struct{}{}:
				default:
				}
			}
		}
	}()
	go func() { _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() {
		p.ended.Store(true)
		ua.Close()
		conn.Close()
		p.rtp.Close()
		<-done
	})
	return p
}

// keepRegistered registers the phone through the proxy now and every
// interval until ctx ends, as a phone does; a REGISTER that fails is
// counted, and the next one tries again.
func (p *sipPhone) keepRegistered(ctx context.Context, every time.Duration) {
	cseq := uint32(0)
	for {
		cseq = p.register(ctx, cseq+1)
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// register sends one REGISTER (and its answer to the challenge) and
// returns the last CSeq it used.
func (p *sipPhone) register(ctx context.Context, cseq uint32) uint32 {
	p.sent.Add(1)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: p.domain})
	req.SetDestination(p.proxy)
	aor := sip.Uri{Scheme: "sip", User: p.user, Host: p.domain}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	callID := sip.CallIDHeader(p.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.REGISTER})
	req.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:%s@127.0.0.1:%d>", p.user, p.port)))
	req.AppendHeader(sip.NewHeader("Expires", "60"))
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := p.cli.Do(rctx, req)
	// The phone's server may not have its socket in place yet (sipgo
	// serves it from a goroutine): the client then tries to open one of
	// its own on the same port.
	for i := 0; err != nil && strings.Contains(err.Error(), "address already in use") && i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
		req.RemoveHeader("Via")
		res, err = p.cli.Do(rctx, req)
	}
	if err == nil && res.StatusCode == sip.StatusUnauthorized {
		res, err = p.cli.DoDigestAuth(rctx, req, res, sipgo.DigestAuth{Username: p.user, Password: p.password})
	}
	last := req.CSeq().SeqNo
	if err != nil || res.StatusCode != sip.StatusOK {
		p.failed.Add(1)
		why := fmt.Sprint(err)
		if err == nil {
			why = res.StartLine()
		}
		p.mu.Lock()
		p.failures = append(p.failures, fmt.Sprintf("CSeq %d: %s", last, why))
		p.mu.Unlock()
		return last
	}
	p.mu.Lock()
	p.cseq = last
	p.mu.Unlock()
	return last
}

// kamailioRoute is the proxy's note of where it sent a request: to the
// owner, or to the dispatcher's node.
var kamailioRoute = regexp.MustCompile(`(?:to its owner|to node) (sip:[0-9.]+:[0-9]+)`)

// landed is where, as the proxy's log tells, the phone's last REGISTER
// answered 200 went ("" when the log does not say, or it failed over),
// with its CSeq.
func (p *sipPhone) landed(log string) (string, uint32) {
	p.mu.Lock()
	cseq := p.cseq
	p.mu.Unlock()
	if cseq == 0 {
		return "", 0
	}
	// The proxy's log prefix: message type, CSeq, Call-ID.
	prefix := fmt.Sprintf("{1 %d REGISTER %s} ", cseq, p.callID)
	where := ""
	for _, line := range strings.Split(log, "\n") {
		_, rest, ok := strings.Cut(line, prefix)
		if !ok {
			continue
		}
		if strings.Contains(rest, "failed") {
			return "", cseq
		}
		if m := kamailioRoute.FindStringSubmatch(rest); m != nil {
			where = m[1]
		}
	}
	return where, cseq
}

// routes counts where the proxy sent the phone's REGISTERs (each with
// its challenge's answer) of a CSeq above after: to each node, and how
// many failed over from an owner that did not answer.
func (p *sipPhone) routes(log string, names map[string]string, after uint32) map[string]int {
	out := map[string]int{}
	re := regexp.MustCompile(`\{1 ([0-9]+) REGISTER ` + regexp.QuoteMeta(p.callID) + `\} (.*)`)
	for _, line := range strings.Split(log, "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if cseq, _ := strconv.ParseUint(m[1], 10, 32); uint32(cseq) <= after {
			continue
		}
		if strings.Contains(m[2], "failed") {
			out["failed over"]++
		} else if r := kamailioRoute.FindStringSubmatch(m[2]); r != nil {
			out[names[r[1]]]++
		}
	}
	return out
}

// lastCSeq is the CSeq of the phone's last REGISTER answered 200.
func (p *sipPhone) lastCSeq() uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cseq
}

func (p *sipPhone) local() sdp.Local {
	a := p.rtp.LocalAddr().(*net.UDPAddr).AddrPort()
	return sdp.Local{Addr: a.Addr(), Port: int(a.Port()), SessionID: 1, Version: 1}
}

// call calls number through the proxy, answers the challenge, requires
// a 200 OK and acknowledges it; it returns the dialog and the answer.
func (p *sipPhone) call(t *testing.T, number string) (*sipgo.DialogClientSession, *sip.Response) {
	t.Helper()
	offer := sdp.Offer(p.local())
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: number, Host: p.domain})
	req.SetDestination(p.proxy)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.user, Host: p.domain}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: p.domain}, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:%s@127.0.0.1:%d>", p.user, p.port)))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offer.Marshal())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := p.dcc.WriteInvite(ctx, req)
	if err != nil {
		t.Fatalf("%s calling %s: %v", p.user, number, err)
	}
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: p.user, Password: p.password}); err != nil {
		t.Fatalf("%s calling %s: %v", p.user, number, err)
	}
	ans, err := sdp.Parse(d.InviteResponse.Body())
	if err != nil {
		t.Fatal(err)
	}
	n, err := sdp.ReadAnswer(offer, ans)
	if err != nil {
		t.Fatal(err)
	}
	p.setRemote(n.Remote, n.Codec.PT)
	if err := d.Ack(ctx); err != nil {
		t.Fatalf("%s: ACK: %v", p.user, err)
	}
	return d, d.InviteResponse
}

// onInvite rings and answers with the phone's RTP socket.
func (p *sipPhone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	d, err := p.dsc.ReadInvite(req, tx)
	if err != nil {
		return
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		_ = d.Respond(sip.StatusBadRequest, "Bad SDP", nil)
		return
	}
	ans, n, err := sdp.Answer(offer, p.local())
	if err != nil {
		_ = d.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	p.setRemote(n.Remote, n.Codec.PT)
	_ = d.Respond(sip.StatusRinging, "Ringing", nil)
	if err := d.WriteResponse(sip.NewSDPResponseFromRequest(d.InviteRequest, ans.Marshal())); err != nil && !p.ended.Load() {
		p.t.Errorf("%s answering: %v", p.user, err)
	}
}

func (p *sipPhone) setRemote(a netip.AddrPort, pt uint8) {
	p.mu.Lock()
	p.remote, p.pt = a, pt
	p.mu.Unlock()
}

// sendRTP sends n packets of G.711 silence to the phone's RTP peer.
func (p *sipPhone) sendRTP(seq uint16, n int) {
	p.mu.Lock()
	to, pt := p.remote, p.pt
	p.mu.Unlock()
	for i := range n {
		hd := rtp.Header{PayloadType: pt, Seq: seq + uint16(i), Timestamp: uint32(seq+uint16(i)) * 160, SSRC: 0x5eed}
		pkt := append(hd.Append(nil), make([]byte, 160)...)
		for j := rtp.HeaderSize; j < len(pkt); j++ {
			pkt[j] = 0xFF
		}
		_, _ = p.rtp.WriteToUDPAddrPort(pkt, to)
	}
}

// expectMedia waits until to receives RTP that from sends (through the
// owner's media relay).
func expectMedia(t *testing.T, from, to *sipPhone) {
	t.Helper()
	for len(to.media) > 0 {
		<-to.media
	}
	deadline := time.After(10 * time.Second)
	seq := uint16(1)
	for got := 0; got < 3; {
		from.sendRTP(seq, 2)
		seq += 2
		select {
		case <-to.media:
			got++
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%s received %d RTP packets from %s", to.user, got, from.user)
		}
	}
}

// signal notes on ch that something came, without ever blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// drain forgets the ACKs and BYEs the phone got so far.
func (p *sipPhone) drain() {
	for _, ch := range []chan struct{}{p.acks, p.byes} {
		for len(ch) > 0 {
			<-ch
		}
	}
}

func (p *sipPhone) waitAck(t *testing.T) {
	t.Helper()
	select {
	case <-p.acks:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s answered and got no ACK", p.user)
	}
}

func (p *sipPhone) waitBye(t *testing.T) {
	t.Helper()
	select {
	case <-p.byes:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s got no BYE", p.user)
	}
}

// contactAddr is the host:port of the answer's Contact: the node whose
// B2BUA answered.
func contactAddr(res *sip.Response) string {
	if c := res.Contact(); c != nil {
		return fmt.Sprintf("%s:%d", c.Address.Host, c.Address.Port)
	}
	return ""
}
