package b2bua

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/browsertest"
	"github.com/callfloor/callfloor/media/tone"
	"github.com/callfloor/callfloor/webrtc"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"
)

// browserHarness is a harness whose B2BUA has a WebRTC endpoint and
// whose registrar takes SIP over WebSocket too; opts change its Config
// further.
func browserHarness(t *testing.T, opts ...func(*Config)) (*harness, string) {
	t.Helper()
	e, err := webrtc.New(webrtc.Config{Listen: netip.MustParseAddrPort("127.0.0.1:0")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	h := newHarness(t, func(c *Config) {
		c.WebRTC = e
		c.Listeners = map[string]sip.Uri{"WS": {Scheme: "sip", Host: "127.0.0.1", Port: addr.Port}}
		for _, o := range opts {
			o(c)
		}
	})
	go h.reg.ServeWS(ln)
	t.Cleanup(func() { ln.Close() })
	return h, ln.Addr().String()
}

// browserPhone is a browser as JsSIP and Chrome make one: SIP over
// WebSocket with a *.invalid contact, and its media through a pion peer
// connection (DTLS-SRTP) offering Opus first, then PCMU and PCMA.
type browserPhone struct {
	t       *testing.T
	ext     *callfloor.Extension
	ws      string
	cli     *sipgo.Client
	dsc     *sipgo.DialogServerCache
	dcc     *sipgo.DialogClientCache
	pc      *pion.PeerConnection
	heard   chan []int16
	byes    chan struct{}
	invites chan *sip.Request
	ua      *sipgo.UserAgent
	contact sip.ContactHeader
	// answering counts the INVITEs being answered; closing is set when
	// the test ends, after which their failures are no failure.
	answering sync.WaitGroup
	closing   atomic.Bool
}

// reconnect drops the browser's WebSocket alone, as a network blip too
// short to fail the media does, and registers again over a new one, as
// JsSIP does: same SIP stack, same contact.
func (p *browserPhone) reconnect() {
	p.t.Helper()
	c, err := p.ua.TransportLayer().GetConnection("ws", p.ws)
	if err != nil || c == nil {
		p.t.Fatalf("the browser's WebSocket: %v", err)
	}
	c.Close()
	// The SIP stack forgets the connection when its reader sees it
	// closed; a REGISTER before that would be written to the dead one.
	deadline := time.Now().Add(2 * time.Second)
	for {
		if again, _ := p.ua.TransportLayer().GetConnection("ws", p.ws); again == nil {
			break
		}
		if time.Now().After(deadline) {
			p.t.Fatal("the browser's closed WebSocket is still in its pool")
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.register(p.contact)
}

// closeUA drops the browser's SIP stack and its WebSocket, as a reload
// does: no BYE, no unregistration.
func (p *browserPhone) closeUA() { p.ua.Close() }

// waitInvite waits for an INVITE to the browser.
func (p *browserPhone) waitInvite(t *testing.T, d time.Duration) *sip.Request {
	t.Helper()
	select {
	case inv := <-p.invites:
		return inv
	case <-time.After(d):
		t.Fatal("the browser was not called")
		return nil
	}
}

func (h *harness) browser(ext *callfloor.Extension, ws string) *browserPhone {
	t := h.t
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-browser-" + ext.Number))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	params := sip.NewParams()
	params.Add("transport", "ws")
	// A random host per page, as JsSIP makes one.
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: ext.Number, Host: strings.ToLower(sip.GenerateTagN(10)) + ".invalid", UriParams: params}}
	p := &browserPhone{t: t, ext: ext, ws: ws, cli: cli, dsc: sipgo.NewDialogServerCache(cli, contact),
		dcc:   sipgo.NewDialogClientCache(cli, contact),
		heard: make(chan []int16, 500), byes: make(chan struct{}, 10), invites: make(chan *sip.Request, 10), ua: ua,
		contact: contact}
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.dsc.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := p.dsc.ReadBye(req, tx); err != nil {
			_ = p.dcc.ReadBye(req, tx)
		}
		p.byes <- struct{}{}
	})
	t.Cleanup(func() {
		p.closing.Store(true)
		ua.Close()
		p.answering.Wait()
		if p.pc != nil {
			p.pc.Close()
		}
	})
	p.register(contact)
	return p
}

func (p *browserPhone) register(contact sip.ContactHeader) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := browsertest.Register(ctx, p.cli, p.ws, p.ext.SIPUsername, p.ext.SIPSecret, contact); err != nil {
		p.t.Fatalf("browser REGISTER over WS: %v", err)
	}
}

// peer makes the browser's peer connection, sending its tone.
func (p *browserPhone) peer() *pion.PeerConnection {
	p.t.Helper()
	api, err := browsertest.API()
	if err != nil {
		p.t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		p.t.Fatal(err)
	}
	track, err := browsertest.Microphone(pc)
	if err != nil {
		p.t.Fatal(err)
	}
	pc.OnTrack(func(tr *pion.TrackRemote, _ *pion.RTPReceiver) {
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			select {
			case p.heard <- decodeAudio(pkt.PayloadType, pkt.Payload):
			default:
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		browsertest.Speak(ctx, tones[p.ext.Number], func(pkt *rtp.Packet) { _ = track.WriteRTP(pkt) })
	}()
	p.t.Cleanup(func() { cancel(); <-done })
	p.pc = pc
	return pc
}

// onInvite rings, then answers with the browser's peer connection.
func (p *browserPhone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if p.closing.Load() {
		return
	}
	p.answering.Add(1)
	defer p.answering.Done()
	fail := func(format string, args ...any) {
		if !p.closing.Load() {
			p.t.Errorf(format, args...)
		}
	}
	select {
	case p.invites <- req:
	default:
	}
	d, err := p.dsc.ReadInvite(req, tx)
	if err != nil {
		fail("browser ReadInvite: %v", err)
		return
	}
	if err := d.Respond(sip.StatusRinging, "Ringing", nil); err != nil {
		fail("browser 180: %v", err)
	}
	// Ring a little, as the Go phones do: the SIP stack handles each
	// answer on its own goroutine, so a 200 OK hard on the heels of the
	// 180 can overtake it, and the caller would hear no ringing.
	time.Sleep(20 * time.Millisecond)
	pc := p.peer()
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: string(req.Body())}); err != nil {
		fail("browser: the B2BUA's offer: %v", err)
		_ = d.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		fail("browser answer: %v", err)
		return
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		fail("browser answer: %v", err)
		return
	}
	<-gathered
	if err := d.RespondSDP([]byte(pc.LocalDescription().SDP)); err != nil && !errors.Is(tx.Err(), sip.ErrTransactionCanceled) {
		fail("browser 200 OK: %v", err) // a call another phone took first is canceled: no failure
	}
}

// hears checks that the browser hears the tones of every number given.
func (p *browserPhone) hears(numbers ...string) {
	p.t.Helper()
	deadline := time.After(5 * time.Second)
	var pcm []int16
	for {
		select {
		case f := <-p.heard:
			pcm = append(pcm, f...)
			if len(pcm) >= 1600 {
				all := true
				for _, n := range numbers {
					all = all && tone.Level(pcm, tones[n]) > 1000
				}
				if all {
					return
				}
				pcm = pcm[:0]
			}
		case <-deadline:
			p.t.Fatalf("the browser does not hear %v", numbers)
		}
	}
}

// TestCallRingsABrowser: a phone calls an extension registered from a
// browser; the B2BUA offers the browser DTLS-SRTP from its WebRTC
// endpoint, the browser answers, and each hears the other's tone; the
// caller's hang-up reaches the browser.
func TestCallRingsABrowser(t *testing.T) {
	h, ws := browserHarness(t)
	caller := h.phone(h.addExt(1, 20, "200"), false)
	caller.register()
	caller.speak()
	br := h.browser(h.addExt(1, 10, "100"), ws)
	if bs := h.reg.Contacts(1, 10); len(bs) != 1 || !bs[0].Browser {
		t.Fatalf("the browser's bindings: %+v", bs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := caller.answered(ctx, t, "100", nil)
	caller.hears("100")
	br.hears("200")
	if err := d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, br.byes, "BYE to the browser")
	h.waitEvents("ringing", "answered", "ended:"+ReasonCallerHangup)
}

// call calls number from the browser: an INVITE over WebSocket with the
// peer connection's offer; it returns the answered dialog.
func (p *browserPhone) call(ctx context.Context, number string) *sipgo.DialogClientSession {
	p.t.Helper()
	pc := p.peer()
	d, err := p.invite(ctx, number)
	if err != nil {
		p.t.Fatalf("the browser's call: %v", err)
	}
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: string(d.InviteResponse.Body())}); err != nil {
		p.t.Fatalf("the B2BUA's answer: %v\n%s", err, d.InviteResponse.Body())
	}
	if err := d.Ack(ctx); err != nil {
		p.t.Fatal(err)
	}
	return d
}

// invite sends number an INVITE over WebSocket with the offer of the
// browser's peer connection, and waits for the final answer.
func (p *browserPhone) invite(ctx context.Context, number string) (*sipgo.DialogClientSession, error) {
	p.t.Helper()
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		p.t.Fatal(err)
	}
	body, err := browsertest.Describe(p.pc, offer)
	if err != nil {
		p.t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(p.ws)
	n, _ := strconv.Atoi(port)
	params := sip.NewParams()
	params.Add("transport", "ws")
	to := sip.Uri{Scheme: "sip", User: number, Host: host, Port: n, UriParams: params}
	d, err := p.dcc.Invite(ctx, to, []byte(body), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		p.t.Fatal(err)
	}
	return d, d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: p.ext.SIPUsername, Password: p.ext.SIPSecret})
}

// TestBrowserCallsAPhone: a browser calls a phone with a DTLS-SRTP offer
// (Opus first); the B2BUA answers it from its WebRTC endpoint with PCMU,
// rings the phone, and each hears the other; the browser hangs up.
func TestBrowserCallsAPhone(t *testing.T) {
	h, ws := browserHarness(t)
	callee := h.phone(h.addExt(1, 20, "200"), false)
	callee.register()
	callee.speak()
	br := h.browser(h.addExt(1, 10, "100"), ws)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := br.call(ctx, "200")
	if body := string(d.InviteResponse.Body()); !strings.Contains(body, "UDP/TLS/RTP/SAVPF") || !strings.Contains(body, "PCMU") {
		t.Errorf("the B2BUA's answer to the browser:\n%s", body)
	}
	callee.hears("100")
	br.hears("200")
	if err := d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, callee.byes, "BYE to the callee")
	h.waitEvents("ringing", "answered", "ended:"+ReasonCallerHangup)
}

// TestBrowserWebSocketDropKeepsTheCall: a page's WebSocket drops and
// reconnects while its media goes on (a blip too short for ICE to fail):
// the call goes on, and the B2BUA's next in-dialog request, the BYE when
// the other party hangs up, reaches the page on its new connection. Both
// ways: a call the page answered, and one it made.
func TestBrowserWebSocketDropKeepsTheCall(t *testing.T) {
	for _, pageCalls := range []bool{false, true} {
		name := map[bool]string{false: "page answered", true: "page called"}[pageCalls]
		t.Run(name, func(t *testing.T) {
			h, ws := browserHarness(t)
			other := h.phone(h.addExt(1, 20, "200"), false)
			other.register()
			other.speak()
			br := h.browser(h.addExt(1, 10, "100"), ws)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var hangup func() error
			if pageCalls {
				br.call(ctx, "200")
				hangup = func() error { return other.session().Bye(ctx) }
			} else {
				d := other.answered(ctx, t, "100", nil)
				hangup = func() error { return d.Bye(ctx) }
			}
			br.hears("200")
			other.hears("100")

			br.reconnect()
			other.hears("100")
			br.hears("200")
			if err := hangup(); err != nil {
				t.Fatal(err)
			}
			waitSignal(t, br.byes, "BYE to the page on its new WebSocket")
		})
	}
}

// TestBrowserOfferWithoutWebRTC: without a WebRTC endpoint a browser's
// offer is refused 488 and nobody rings.
func TestBrowserOfferWithoutWebRTC(t *testing.T) {
	h := newHarness(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.reg.ServeWS(ln)
	defer ln.Close()
	callee := h.phone(h.addExt(1, 20, "200"), false)
	callee.register()
	br := h.browser(h.addExt(1, 10, "100"), ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	br.peer()
	d, err := br.invite(ctx, "200")
	if d.InviteResponse == nil || d.InviteResponse.StatusCode != sip.StatusNotAcceptableHere {
		t.Fatalf("answer %v (%v), want 488", d.InviteResponse, err)
	}
	select {
	case <-callee.invites:
		t.Fatal("the callee rang")
	default:
	}
}

// TestBrowserReloadKeepsTheCall: a phone is talking to a page phone when
// the page reloads (its peer connection and its WebSocket gone, no BYE):
// the caller hears music instead of dead air, the call does not end, and
// when the page registers again it is called back with auto answer and
// the two hear each other again, in the same call.
func TestBrowserReloadKeepsTheCall(t *testing.T) {
	h, ws := browserHarness(t)
	caller := h.phone(h.addExt(1, 20, "200"), false)
	caller.register()
	caller.speak()
	agentExt := h.addExt(1, 10, "100")
	br := h.browser(agentExt, ws)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	caller.answered(ctx, t, "100", nil)
	caller.hears("100")
	br.hears("200")

	// The reload: the page's peer connection and its SIP stack vanish.
	br.pc.Close()
	br.closeUA()
	caller.hearsMusic()

	again := h.browser(agentExt, ws) // the reloaded page registers
	inv := again.waitInvite(t, 10*time.Second)
	if ci := inv.GetHeader("Call-Info"); ci == nil || !strings.Contains(ci.Value(), "answer-after=0") {
		t.Errorf("the call back does not ask for auto answer: %v", ci)
	}
	again.hears("200")
	caller.hears("100")
	for _, k := range h.eventKinds() {
		if strings.HasPrefix(k, "ended") {
			t.Fatalf("the call ended during the reload: %q", h.eventKinds())
		}
	}
	if n := h.b.Calls(); n != 1 {
		t.Errorf("%d calls, want the one", n)
	}
}

// TestBrowserNeverBack: a page phone that does not come back within the
// grace ends its call with phone_lost, and the caller gets a BYE.
func TestBrowserNeverBack(t *testing.T) {
	h, ws := browserHarness(t, func(c *Config) { c.BrowserGrace = time.Second })
	caller := h.phone(h.addExt(1, 20, "200"), false)
	caller.register()
	caller.speak()
	br := h.browser(h.addExt(1, 10, "100"), ws)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	caller.answered(ctx, t, "100", nil)
	br.hears("200")
	br.pc.Close()
	br.closeUA()
	if e := h.waitEventWithin(Ended, 10*time.Second); e.Reason != ReasonPhoneLost {
		t.Fatalf("ended %+v, want %s", e, ReasonPhoneLost)
	}
	waitSignal(t, caller.byes, "BYE to the caller")
}

// TestBrowserNeverBackQueueCall: a queue caller whose agent's page does
// not come back within the grace is not hung up on: the agent leaves with
// phone_lost, and the caller, hearing music again, is handed back to the
// queue for the ACD to offer to someone else; the next member takes them.
func TestBrowserNeverBackQueueCall(t *testing.T) {
	r := &router{waiting: make(chan Waiting, 10)}
	h, ws := browserHarness(t, func(c *Config) { c.BrowserGrace, c.Queues = time.Second, r })
	caller := h.phone(h.addExt(1, 10, "100"), false)
	next := h.phone(h.addExt(1, 30, "300"), false)
	for _, p := range []*phone{caller, next} {
		p.register()
		p.speak()
	}
	agentExt := h.addExt(1, 20, "200")
	agentExt.Agent.Enabled, agentExt.Agent.PhoneEngine = true, callfloor.PhoneWebRTC
	br := h.browser(agentExt, ws)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dlg := caller.answered(ctx, t, "600", nil)
	w := <-r.waiting
	if err := h.b.Ring(ctx, 1, w.CallID, agentExt, RingOptions{Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("ring the page: %v", err)
	}
	caller.hears("200")
	br.pc.Close()
	br.closeUA()
	if e := h.waitEventWithin(Left, 10*time.Second); e.Ext != agentExt.ID || e.Reason != ReasonPhoneLost {
		t.Fatalf("left %+v, want the agent with %s", e, ReasonPhoneLost)
	}
	select {
	case again := <-r.waiting:
		if again.CallID != w.CallID || again.QueueID != 7 {
			t.Fatalf("handed back %+v, want call %s in queue 7", again, w.CallID)
		}
	case <-ctx.Done():
		t.Fatal("the caller was not handed back to the queue")
	}
	caller.hearsMusic()
	if err := h.b.Ring(ctx, 1, w.CallID, next.ext, RingOptions{Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("ring the next member: %v", err)
	}
	caller.hears("300")
	for _, k := range h.eventKinds() {
		if strings.HasPrefix(k, "ended") {
			t.Fatalf("the call ended: %q", h.eventKinds())
		}
	}
	if err := dlg.Bye(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserInAConference: an agent on a page phone, talking to a
// caller, consults a third phone and joins the two calls: the server
// mixes, so each of the three hears the other two, the browser too.
func TestBrowserInAConference(t *testing.T) {
	h, ws := browserHarness(t)
	caller := h.phone(h.addExt(1, 10, "100"), false)
	third := h.phone(h.addExt(1, 30, "300"), false)
	for _, p := range []*phone{caller, third} {
		p.register()
		p.speak()
	}
	br := h.browser(h.addExt(1, 20, "200"), ws)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d := caller.answered(ctx, t, "200", nil)
	id := d.InviteRequest.CallID().Value()
	br.hears("100")
	consult, err := h.b.Consult(ctx, 1, 20, id, "300")
	if err != nil {
		t.Fatal(err)
	}
	<-third.invites
	br.hears("300")
	if err := h.b.Conference(ctx, 1, 20, []string{id, consult}); err != nil {
		t.Fatal(err)
	}
	caller.hears("200", "300")
	third.hears("100", "200")
	br.hears("100", "300")
	// Both others hang up: the browser's calls end, with BYEs to it.
	if err := d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	if err := third.session().Bye(ctx); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, br.byes, "BYE to the browser")
}

// TestBrowserReloadInAConference: the page of an agent hosting a
// three-party conference reloads: the other two go on hearing each
// other, and the page, called back, is in the mix again, hearing both
// and heard by both.
func TestBrowserReloadInAConference(t *testing.T) {
	h, ws := browserHarness(t)
	caller := h.phone(h.addExt(1, 10, "100"), false)
	third := h.phone(h.addExt(1, 30, "300"), false)
	for _, p := range []*phone{caller, third} {
		p.register()
		p.speak()
	}
	agentExt := h.addExt(1, 20, "200")
	br := h.browser(agentExt, ws)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := caller.answered(ctx, t, "200", nil)
	id := d.InviteRequest.CallID().Value()
	br.hears("100")
	consult, err := h.b.Consult(ctx, 1, 20, id, "300")
	if err != nil {
		t.Fatal(err)
	}
	<-third.invites
	br.hears("300")
	if err := h.b.Conference(ctx, 1, 20, []string{id, consult}); err != nil {
		t.Fatal(err)
	}
	br.hears("100", "300")

	br.pc.Close()
	br.closeUA()
	caller.hears("300")
	third.hears("100")

	again := h.browser(agentExt, ws)
	again.waitInvite(t, 10*time.Second)
	again.hears("100", "300")
	caller.hears("200", "300")
	third.hears("100", "200")
	if n := h.b.Calls(); n != 2 {
		t.Errorf("%d calls, want the conference's two", n)
	}
}

// TestPhoneEngineDecidesWhatRings: an agent on the WebRTC engine with a
// page and a softphone registered is rung on the page only; on the
// External Client engine, on the softphone only. An extension that is no
// agent rings both.
func TestPhoneEngineDecidesWhatRings(t *testing.T) {
	for _, tc := range []struct {
		name            string
		agent           bool
		engine          callfloor.PhoneEngine
		page, softphone bool
	}{
		{"webrtc agent", true, callfloor.PhoneWebRTC, true, false},
		{"external agent", true, callfloor.PhoneExternal, false, true},
		{"no agent", false, "", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, ws := browserHarness(t)
			caller := h.phone(h.addExt(1, 20, "200"), false)
			caller.register()
			ext := h.addExt(1, 10, "100")
			ext.Agent.Enabled, ext.Agent.PhoneEngine = tc.agent, tc.engine
			br := h.browser(ext, ws)
			soft := h.phone(ext, false)
			if tc.page && tc.softphone {
				// Both ring: the softphone turns it down, so the page's
				// answer takes the call with no race to tear down.
				soft.reject = sip.StatusBusyHere
			}
			soft.registerContact()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			answered := make(chan *sipgo.DialogClientSession, 1)
			go func() {
				d, status, err := caller.call(ctx, "100", nil)
				if err != nil || status != sip.StatusOK {
					answered <- nil
					return
				}
				_ = d.Ack(ctx)
				answered <- d
			}()
			rang := func(ch <-chan *sip.Request) bool {
				select {
				case <-ch:
					return true
				case <-time.After(1500 * time.Millisecond):
					return false
				}
			}
			if got := rang(br.invites); got != tc.page {
				t.Errorf("the page rang: %v, want %v", got, tc.page)
			}
			if got := rang(soft.invites); got != tc.softphone {
				t.Errorf("the softphone rang: %v, want %v", got, tc.softphone)
			}
			// The call is answered (by the page or the softphone); hang
			// up, so nothing is left ringing when the test ends.
			select {
			case d := <-answered:
				if d == nil {
					t.Fatal("the call was not answered")
				}
				if err := d.Bye(ctx); err != nil {
					t.Fatal(err)
				}
			case <-ctx.Done():
				t.Fatal("the call was never answered")
			}
		})
	}
}
