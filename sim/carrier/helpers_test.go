package carrier

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/media/dtmf"
	"github.com/callfloor/callfloor/media/g711"
	"github.com/callfloor/callfloor/media/rtp"
	"github.com/callfloor/callfloor/media/tone"
	"github.com/callfloor/callfloor/sip/sdp"
)

func TestMain(m *testing.M) {
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// start runs a carrier on 127.0.0.1 with a fake clock and a seeded Rand,
// closed when the test ends.
func start(t *testing.T, mods ...func(*Config)) (*Carrier, *clocktest.Clock) {
	t.Helper()
	clk := clocktest.New(time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC))
	cfg := Config{Clock: clk, Rand: rand.New(rand.NewPCG(1, 2)), Logger: quiet(),
		Outbound: Outbound{Ring: Range{time.Second, time.Second}, Talk: Range{time.Minute, time.Minute}}}
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- c.Serve(context.Background()) }()
	t.Cleanup(func() {
		c.Close()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Close")
		}
	})
	return c, clk
}

// peer is the other end of the trunk, as callfloor would be: a sipgo
// user agent on its own UDP port, with a plain UDP socket for RTP.
type peer struct {
	t    *testing.T
	addr string // SIP host:port
	port int
	cli  *sipgo.Client
	dsc  *sipgo.DialogServerCache
	dcc  *sipgo.DialogClientCache
	rtp  *net.UDPConn

	invites chan *sip.Request
	byes    chan *sip.Request
	audio   chan []int16 // decoded audio of each RTP packet
	got     chan rtp.Header

	mu sync.Mutex
	// onInvite, if set, answers the carrier's INVITEs.
	onInvite func(req *sip.Request, tx sip.ServerTransaction)
	remote   netip.AddrPort // RTP peer from SDP
	pt       uint8
	dtmfPT   uint8
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	p := &peer{t: t, invites: make(chan *sip.Request, 100), byes: make(chan *sip.Request, 100),
		audio: make(chan []int16, 2000), got: make(chan rtp.Header, 2000)}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-pbx"))
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
	p.port = conn.LocalAddr().(*net.UDPAddr).Port
	p.cli, err = sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(p.port),
		sipgo.WithClientConnectionAddr(p.addr), sipgo.WithClientLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "pbx", Host: "127.0.0.1", Port: p.port}}
	p.dsc = sipgo.NewDialogServerCache(p.cli, contact)
	p.dcc = sipgo.NewDialogClientCache(p.cli, contact)
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		p.invites <- req
		p.mu.Lock()
		on := p.onInvite
		p.mu.Unlock()
		if on != nil {
			on(req, tx)
			return
		}
		respond(tx, req, sip.StatusNotFound, "Not Found")
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.dsc.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := p.dsc.ReadBye(req, tx); errors.Is(err, sipgo.ErrDialogDoesNotExists) {
			if err := p.dcc.ReadBye(req, tx); err != nil {
				respond(tx, req, sip.StatusCallTransactionDoesNotExists, "No Dialog")
				return
			}
		}
		p.byes <- req
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
			hd, payload, err := rtp.Parse(buf[:n])
			if err != nil {
				continue
			}
			select {
			case p.got <- hd:
			default:
			}
			pcm := make([]int16, len(payload))
			switch hd.PayloadType {
			case g711.PayloadTypePCMU:
				g711.DecodePCMU(pcm, payload)
			case g711.PayloadTypePCMA:
				g711.DecodePCMA(pcm, payload)
			default:
				continue
			}
			select {
			case p.audio <- pcm:
			default:
			}
		}
	}()
	go srv.ServeUDP(conn)
	t.Cleanup(func() { ua.Close(); conn.Close(); p.rtp.Close(); <-done })
	// Wait for the listener, so the client sends from it.
	for i := 0; ; i++ {
		if _, err := ua.TransportLayer().GetConnection("udp", p.addr); err == nil {
			break
		}
		if i > 200 {
			t.Fatal("the peer's SIP socket did not come up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return p
}

func (p *peer) local() sdp.Local {
	a := p.rtp.LocalAddr().(*net.UDPAddr).AddrPort()
	return sdp.Local{Addr: a.Addr().Unmap(), Port: int(a.Port()), SessionID: 7, Version: 1}
}

func (p *peer) setNegotiated(n sdp.Negotiated) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.remote, p.pt = n.Remote, n.Codec.PT
	if n.DTMF != nil {
		p.dtmfPT = n.DTMF.PT
	}
}

// invite calls number at the carrier; ringing (if set) gets each
// provisional response. It returns the dialog and the final status.
func (p *peer) invite(ctx context.Context, c *Carrier, number string, ringing func(*sip.Response)) (*sipgo.DialogClientSession, int, error) {
	offer := sdp.Offer(p.local())
	to := sip.Uri{Scheme: "sip", User: number, Host: c.Addr().Addr().String(), Port: int(c.Addr().Port())}
	d, err := p.dcc.Invite(ctx, to, offer.Marshal(), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		return nil, 0, err
	}
	err = d.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		if res.IsProvisional() && ringing != nil {
			ringing(res)
		}
		return nil
	}})
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
		p.setNegotiated(n)
	}
	return d, status, err
}

// answered calls number, advancing the clock by the ring time once it
// rings, and acknowledges the 200 OK.
func (p *peer) answered(c *Carrier, clk *clocktest.Clock, number string) *sipgo.DialogClientSession {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, status, err := p.invite(ctx, c, number, func(res *sip.Response) {
		if res.StatusCode == sip.StatusRinging {
			clk.Advance(c.cfg.Outbound.Ring.Max)
		}
	})
	if err != nil || status != sip.StatusOK {
		p.t.Fatalf("call %s: status %d, %v", number, status, err)
	}
	if err := d.Ack(ctx); err != nil {
		p.t.Fatal(err)
	}
	return d
}

// listen collects n packets of audio (20 ms each).
func (p *peer) listen(n int) []int16 {
	p.t.Helper()
	var out []int16
	deadline := time.After(time.Duration(n)*ptime + 3*time.Second)
	for range n {
		select {
		case pcm := <-p.audio:
			out = append(out, pcm...)
		case <-deadline:
			p.t.Fatalf("got %d of %d audio packets", len(out)/tone.FrameSamples, n)
		}
	}
	return out
}

// drain forgets the audio received so far.
func (p *peer) drain() {
	for {
		select {
		case <-p.audio:
		case <-p.got:
		default:
			return
		}
	}
}

// sendDigits sends keys as RFC 4733 events to the negotiated RTP peer.
func (p *peer) sendDigits(keys string) {
	p.t.Helper()
	p.mu.Lock()
	to, pt := p.remote, p.dtmfPT
	p.mu.Unlock()
	seq, ts := uint16(1), uint32(1000)
	for _, k := range []byte(keys) {
		pkts, err := dtmf.Generate(k, 100*time.Millisecond, 10)
		if err != nil {
			p.t.Fatal(err)
		}
		for _, pk := range pkts {
			hd := rtp.Header{PayloadType: pt, Marker: pk.Marker, Seq: seq, Timestamp: ts, SSRC: 0x4321}
			payload, _ := pk.Event.Marshal()
			if _, err := p.rtp.WriteToUDPAddrPort(append(hd.Append(nil), payload...), to); err != nil {
				p.t.Fatal(err)
			}
			seq++
		}
		ts += 2000
	}
}

// sendAudio sends n packets of silence to the negotiated RTP peer.
func (p *peer) sendAudio(n int) {
	p.mu.Lock()
	to, pt := p.remote, p.pt
	p.mu.Unlock()
	for i := range n {
		hd := rtp.Header{PayloadType: pt, Seq: uint16(i), Timestamp: uint32(i) * 160, SSRC: 0x1234}
		pkt := append(hd.Append(nil), make([]byte, 160)...)
		_, _ = p.rtp.WriteToUDPAddrPort(pkt, to)
	}
}

// rms is the root mean square of pcm.
func rms(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

// frameRMS is the RMS of each 20 ms frame of pcm.
func frameRMS(pcm []int16) []float64 {
	var out []float64
	for i := 0; i+tone.FrameSamples <= len(pcm); i += tone.FrameSamples {
		out = append(out, rms(pcm[i:i+tone.FrameSamples]))
	}
	return out
}

// checkSpeechLike fails unless pcm sounds like speech: loud enough, its
// energy rising and falling (syllables and pauses), and no single
// frequency carrying it (which a tone would).
func checkSpeechLike(t *testing.T, pcm []int16) {
	t.Helper()
	total := rms(pcm)
	if total < 300 {
		t.Fatalf("RMS %.0f: silence, not speech", total)
	}
	frames := frameRMS(pcm)
	loud, quiet := 0, 0
	peak := 0.0
	for _, f := range frames {
		peak = max(peak, f)
	}
	for _, f := range frames {
		switch {
		case f > peak/2:
			loud++
		case f < peak/8:
			quiet++
		}
	}
	if loud < len(frames)/10 || quiet < len(frames)/20 {
		t.Errorf("frame levels do not rise and fall like syllables: %d loud, %d quiet of %d (peak %.0f)", loud, quiet, len(frames), peak)
	}
	// A sine of RMS r measures r·√2 at its frequency.
	best, bestLevel := 0.0, 0.0
	for f := 100.0; f < 3800; f += 25 {
		if l := tone.Level(pcm, f); l > bestLevel {
			best, bestLevel = f, l
		}
	}
	if bestLevel > 0.5*total*math.Sqrt2 {
		t.Errorf("%.0f Hz carries the sound (level %.0f, RMS %.0f): a tone, not speech", best, bestLevel, total)
	}
}

// eventually waits for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func waitRequest(t *testing.T, ch <-chan *sip.Request, what string) *sip.Request {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s", what)
		return nil
	}
}
