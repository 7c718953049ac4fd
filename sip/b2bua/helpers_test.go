package b2bua

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/memext"
	"github.com/callfloor/callfloor/media/rtp"
	"github.com/callfloor/callfloor/sip/registrar"
	"github.com/callfloor/callfloor/sip/sdp"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

func TestMain(m *testing.M) {
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// harness is a registrar and B2BUA on 127.0.0.1 UDP.
type harness struct {
	t      *testing.T
	store  *memext.Store
	reg    *registrar.Registrar
	b      *B2BUA
	port   int
	mu     sync.Mutex
	events []Event
}

func newHarness(t *testing.T, mods ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, store: &memext.Store{}}
	reg, err := registrar.New(registrar.Config{Store: h.store, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.port = conn.LocalAddr().(*net.UDPAddr).Port
	cfg := Config{
		Registrar: reg, FindExtensionByNumber: h.store.ByNumber,
		Contact:  sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: h.port},
		SendFrom: conn.LocalAddr().String(),
		OnEvent: func(e Event) {
			h.mu.Lock()
			h.events = append(h.events, e)
			h.mu.Unlock()
		},
	}
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for _, m := range mods {
		m(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	go reg.ServeUDP(conn)
	t.Cleanup(func() { b.Close(); reg.Close(); conn.Close() })
	h.reg, h.b = reg, b
	return h
}

// eventsCopy returns the events so far.
func (h *harness) eventsCopy() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Event(nil), h.events...)
}

// eventKinds returns the kinds (and end reason) of the events so far.
func (h *harness) eventKinds() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.events {
		s := e.Kind.String()
		if e.Kind == Ended {
			s += ":" + e.Reason
		}
		out = append(out, s)
	}
	return out
}

// waitEvents waits until the events are want.
func (h *harness) waitEvents(want ...string) {
	h.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		got := h.eventKinds()
		if strings.Join(got, ",") == strings.Join(want, ",") {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("events %q, want %q", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// addExt stores an extension of account with a number.
func (h *harness) addExt(account, id int64, number string) *callfloor.Extension {
	e := &callfloor.Extension{ID: id, AccountID: account, Number: number, SIPUsername: callfloor.NewSIPUsername(number)}
	e.SetSIPSecret(callfloor.DefaultSIPRealm, callfloor.NewSIPSecret())
	h.store.Add(e)
	return e
}

// phone is a SIP phone (a sipgo user agent on its own UDP port) with a
// plain UDP socket for RTP.
type phone struct {
	t *testing.T
	// ended is set when the test ends: a request the phone's server takes
	// after that (a late retransmission) fails nothing (see fail).
	endMu sync.Mutex
	ended bool
	h     *harness
	ext   *callfloor.Extension
	// password is the one the phone answers challenges with.
	password string
	addr     string // SIP host:port
	cli      *sipgo.Client
	dsc      *sipgo.DialogServerCache
	dcc      *sipgo.DialogClientCache
	rtp      *net.UDPConn
	got      chan rtp.Header
	// answer, when closed, lets the phone answer the INVITE it rings for
	// (closed from the start unless holdAnswer).
	answer chan struct{}

	// reject, if set, is the status the phone answers INVITEs with.
	reject int
	// accept, if set, is the only codec the phone answers with.
	accept string
	// pt is the audio payload type negotiated for the phone's last call.
	pt uint8
	// answerHeaders go in the phone's 200 OK (a Session-Expires, say;
	// set and read under mu: the phone answers on sipgo's goroutines);
	// updateStatus is its answer to UPDATEs (0: 200).
	answerHeaders []sip.Header
	updateStatus  atomic.Int32
	// updates receives the UPDATEs the phone gets.
	updates chan *sip.Request
	// contactParams are added to the Contact URI it registers.
	contactParams string
	srv           *sipgo.Server

	invites  chan *sip.Request
	byes     chan struct{}
	canceled chan struct{}
	// audio receives the decoded audio of each RTP packet that arrives;
	// notifies the sipfrag bodies of NOTIFYs.
	audio    chan []int16
	notifies chan string

	mu     sync.Mutex
	remote netip.AddrPort // RTP peer from SDP
	sess   *sipgo.DialogServerSession
}

// session waits for the dialog of the call the phone answered.
func (p *phone) session() *sipgo.DialogServerSession {
	p.t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		p.mu.Lock()
		s := p.sess
		p.mu.Unlock()
		if s != nil {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s answered no call", p.ext.Number)
		}
	}
}

func (h *harness) phone(ext *callfloor.Extension, holdAnswer bool) *phone {
	t := h.t
	t.Helper()
	p := &phone{t: t, h: h, ext: ext, password: ext.SIPSecret, got: make(chan rtp.Header, 1000), answer: make(chan struct{}),
		invites: make(chan *sip.Request, 10), byes: make(chan struct{}, 10), canceled: make(chan struct{}, 10),
		audio: make(chan []int16, 1000), notifies: make(chan string, 10), updates: make(chan *sip.Request, 10)}
	if !holdAnswer {
		close(p.answer)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-phone-" + ext.Number))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = conn.LocalAddr().String()
	port := conn.LocalAddr().(*net.UDPAddr).Port
	p.cli, err = sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port),
		sipgo.WithClientConnectionAddr(p.addr), sipgo.WithClientLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: ext.Number, Host: "127.0.0.1", Port: port}}
	p.dsc = sipgo.NewDialogServerCache(p.cli, contact)
	p.dcc = sipgo.NewDialogClientCache(p.cli, contact)
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.dsc.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := p.dsc.ReadBye(req, tx); errors.Is(err, sipgo.ErrDialogDoesNotExists) {
			if err := p.dcc.ReadBye(req, tx); err != nil {
				p.t.Logf("phone %s: BYE not matched: %v", p.ext.Number, err)
				_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No Dialog", nil))
				return
			}
		}
		p.byes <- struct{}{}
	})
	srv.OnUpdate(func(req *sip.Request, tx sip.ServerTransaction) {
		status := int(p.updateStatus.Load())
		if status == 0 {
			status = sip.StatusOK
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, status, "", nil))
		select {
		case p.updates <- req:
		default:
		}
	})
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		// Kept before the answer: the B2BUA sends its next NOTIFY once
		// this one is answered, and the stack hands each to a goroutine
		// of its own, so keeping it after could reorder the two.
		p.notifies <- strings.TrimSpace(string(req.Body()))
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
			if hd, payload, err := rtp.Parse(buf[:n]); err == nil {
				select {
				case p.got <- hd:
				default:
				}
				if pcm := decodeAudio(hd.PayloadType, payload); pcm != nil {
					select {
					case p.audio <- pcm:
					default:
					}
				}
			}
		}
	}()
	p.srv = srv
	go srv.ServeUDP(conn) // once the RTP socket is there
	t.Cleanup(func() {
		p.endMu.Lock()
		p.ended = true
		p.endMu.Unlock()
		ua.Close()
		conn.Close()
		p.rtp.Close()
		<-done
	})
	return p
}

// fail fails the test from one of the phone's server goroutines, unless
// the test has ended: a failure reported then would panic the test
// binary, and a request that late belongs to no test.
func (p *phone) fail(format string, args ...any) {
	p.endMu.Lock()
	defer p.endMu.Unlock()
	if !p.ended {
		p.t.Errorf(format, args...)
	}
}

// addrOf is the RTP address of an SDP side.
func addrOf(l sdp.Local) netip.AddrPort { return netip.AddrPortFrom(l.Addr, uint16(l.Port)) }

func (p *phone) local() sdp.Local {
	a := p.rtp.LocalAddr().(*net.UDPAddr).AddrPort()
	return sdp.Local{Addr: a.Addr(), Port: int(a.Port()), SessionID: 1, Version: 1}
}

// register registers the phone's contact with the registrar, as the
// extension's only one.
func (p *phone) register() {
	p.t.Helper()
	p.registerContact()
	bs := p.h.reg.Contacts(p.ext.AccountID, p.ext.ID)
	if len(bs) != 1 || bs[0].Source != p.addr {
		p.t.Fatalf("bindings %+v, want source %s", bs, p.addr)
	}
}

// registerContact adds the phone's contact to the extension's.
func (p *phone) registerContact() {
	p.t.Helper()
	reg := sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: p.h.port}
	req := sip.NewRequest(sip.REGISTER, reg)
	aor := sip.Uri{Scheme: "sip", User: p.ext.SIPUsername, Host: "127.0.0.1"}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	_, port, _ := net.SplitHostPort(p.addr)
	req.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:%s@127.0.0.1:%s%s>", p.ext.Number, port, p.contactParams)))
	req.AppendHeader(sip.NewHeader("Expires", "600"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	// The phone's server may not have its listener in place yet.
	res, err := p.cli.Do(ctx, req)
	for i := 0; err != nil && strings.Contains(err.Error(), "address already in use") && i < 50; i++ {
		time.Sleep(20 * time.Millisecond)
		req.RemoveHeader("Via")
		res, err = p.cli.Do(ctx, req)
	}
	if err == nil && res.StatusCode == sip.StatusUnauthorized {
		res, err = p.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.ext.SIPUsername, Password: p.password})
	}
	if err != nil || res.StatusCode != sip.StatusOK {
		p.t.Fatalf("REGISTER: %v %v", res, err)
	}
}

// onInvite rings, then answers with the phone's RTP socket when allowed,
// or notes a CANCEL.
func (p *phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	p.invites <- req
	d, err := p.dsc.ReadInvite(req, tx)
	if err != nil {
		p.fail("callee ReadInvite: %v", err)
		return
	}
	if p.reject != 0 {
		_ = d.Respond(p.reject, "Busy Here", nil)
		return
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		_ = d.Respond(sip.StatusBadRequest, "Bad SDP", nil)
		return
	}
	if p.accept != "" {
		m := offer.Audio()
		var fs []sdp.Format
		for _, f := range m.Formats {
			if f.Name == p.accept || f.Name == "telephone-event" {
				fs = append(fs, f)
			}
		}
		m.Formats = fs
	}
	ans, n, err := sdp.Answer(offer, p.local())
	if err != nil {
		_ = d.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	canceled := make(chan struct{})
	tx.OnCancel(func(*sip.Request) { close(canceled) })
	p.setRemote(n.Remote)
	p.mu.Lock()
	p.pt = n.Codec.PT
	p.mu.Unlock()
	_ = d.Respond(sip.StatusRinging, "Ringing", nil)
	select {
	case <-p.answer:
		time.Sleep(20 * time.Millisecond) // ring a little
	case <-canceled:
		p.canceled <- struct{}{}
		return
	case <-tx.Done():
		return
	}
	res := sip.NewSDPResponseFromRequest(d.InviteRequest, ans.Marshal())
	p.mu.Lock()
	extra := p.answerHeaders
	p.mu.Unlock()
	for _, h := range extra {
		res.AppendHeader(h)
	}
	if err := d.WriteResponse(res); err != nil {
		// The phone's server handles each request on its own goroutine:
		// a BYE sent right after the ACK may be read first, which ends
		// the dialog before the ACK confirms it. The call was answered.
		if d.LoadState() != sip.DialogStateEnded {
			p.fail("callee answer: %v", err)
		}
		return
	}
	p.mu.Lock()
	p.sess = d // once answered: tests send requests on it
	p.mu.Unlock()
}

func (p *phone) setRemote(a netip.AddrPort) {
	p.mu.Lock()
	p.remote = a
	p.mu.Unlock()
}

func (p *phone) remoteAddr() netip.AddrPort {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.remote
}

// call invites number with an offer from the phone's RTP socket and
// waits for the answer (or ctx); it returns the dialog and final status.
// answered calls number, requires a 200 OK and acknowledges it.
func (p *phone) answered(ctx context.Context, t *testing.T, number string, offer *sdp.Session) *sipgo.DialogClientSession {
	t.Helper()
	d, status, err := p.call(ctx, number, offer)
	if err != nil || status != sip.StatusOK {
		t.Fatalf("call: status %d, %v", status, err)
	}
	if err := d.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

func (p *phone) call(ctx context.Context, number string, offer *sdp.Session) (*sipgo.DialogClientSession, int, error) {
	if offer == nil {
		offer = sdp.Offer(p.local())
	}
	to := sip.Uri{Scheme: "sip", User: number, Host: "127.0.0.1", Port: p.h.port}
	d, err := p.dcc.Invite(ctx, to, offer.Marshal(), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		return nil, 0, err
	}
	err = d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: p.ext.SIPUsername, Password: p.password})
	status := 0
	if d.InviteResponse != nil {
		status = d.InviteResponse.StatusCode
	}
	if err == nil {
		ans, perr := sdp.Parse(d.InviteResponse.Body())
		if perr != nil {
			return d, status, perr
		}
		n, perr := sdp.ReadAnswer(offer, ans)
		if perr != nil {
			return d, status, perr
		}
		p.setRemote(n.Remote)
		p.mu.Lock()
		p.pt = n.Codec.PT
		p.mu.Unlock()
	}
	return d, status, err
}

func (p *phone) payloadType() uint8 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pt
}

// sendRTP sends n G.711 silence packets of the negotiated payload type to
// the phone's RTP peer.
func (p *phone) sendRTP(seq uint16, n int) {
	to := p.remoteAddr()
	pt := p.payloadType()
	for i := range n {
		hd := rtp.Header{PayloadType: pt, Seq: seq + uint16(i), Timestamp: uint32(seq+uint16(i)) * 160, SSRC: 0x1234}
		pkt := append(hd.Append(nil), make([]byte, 160)...)
		for j := 12; j < len(pkt); j++ {
			pkt[j] = 0xFF
		}
		if _, err := p.rtp.WriteToUDPAddrPort(pkt, to); err != nil {
			p.t.Fatal(err)
		}
	}
}

// expectRTP waits for RTP packets while sending from from (the flow
// needs no latching, but resending copes with a slow start).
func expectRTP(t *testing.T, from, to *phone) {
	t.Helper()
	deadline := time.After(3 * time.Second)
	seq := uint16(100)
	got := 0
	for got < 3 {
		from.sendRTP(seq, 3)
		seq += 3
		select {
		case hd := <-to.got:
			if want := to.payloadType(); hd.PayloadType != want {
				t.Fatalf("payload type %d, want %d", hd.PayloadType, want)
			}
			got++
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%s received %d RTP packets from %s", to.ext.Number, got, from.ext.Number)
		}
	}
}

// waitSignal waits for what the channel signals. The bound is for a
// signal that never comes, not a timing goal: a loaded machine (the race
// detector, other packages' tests) may take seconds.
func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// addr is the B2BUA's SIP address.
func (h *harness) addr() string { return fmt.Sprintf("127.0.0.1:%d", h.port) }

// serveTCP has the phone take SIP over TCP too, on its UDP port.
func (p *phone) serveTCP() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	go p.srv.ServeTCP(ln)
	p.t.Cleanup(func() { ln.Close() })
}
