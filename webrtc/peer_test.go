package webrtc

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/callfloor/callfloor/internal/browsertest"
	"github.com/callfloor/callfloor/media/g711"
	"github.com/callfloor/callfloor/media/tone"
)

var loopback = netip.AddrFrom4([4]byte{127, 0, 0, 1})

func newEndpoint(t *testing.T) *Endpoint {
	t.Helper()
	e, err := New(Config{Listen: netip.AddrPortFrom(loopback, 0)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// browser is a pion peer standing in for a browser: it offers Opus
// first, as browsers do, then PCMU, PCMA and telephone-event, sends a
// tone as PCMU and collects the audio it receives.
type browser struct {
	t     *testing.T
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticRTP
	heard chan []int16
}

func newBrowser(t *testing.T, freq float64) *browser {
	t.Helper()
	api, err := browsertest.API()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	track, err := browsertest.Microphone(pc)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, pc: pc, track: track, heard: make(chan []int16, 500)}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			pcm := make([]int16, len(pkt.Payload))
			if pkt.PayloadType == 8 {
				g711.DecodePCMA(pcm, pkt.Payload)
			} else {
				g711.DecodePCMU(pcm, pkt.Payload)
			}
			select {
			case b.heard <- pcm:
			default:
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		browsertest.Speak(ctx, freq, func(p *rtp.Packet) { _ = track.WriteRTP(p) })
	}()
	t.Cleanup(func() { cancel(); <-done; pc.Close() })
	return b
}

// answered has the endpoint answer the browser's offer and returns the
// peer and its SDP answer (the browser has not read it yet).
func answered(t *testing.T, e *Endpoint, b *browser) (*Peer, string) {
	t.Helper()
	offer, err := b.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, answer, err := e.Answer(ctx, b.description(offer))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, answer
}

// description waits for the browser's ICE gathering and returns its SDP.
func (b *browser) description(d webrtc.SessionDescription) string {
	b.t.Helper()
	sdp, err := browsertest.Describe(b.pc, d)
	if err != nil {
		b.t.Fatal(err)
	}
	return sdp
}

// hears checks that the browser hears freq.
func (b *browser) hears(freq float64) {
	b.t.Helper()
	hearsTone(b.t, b.heard, freq)
}

func hearsTone(t *testing.T, ch <-chan []int16, freq float64) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	var pcm []int16
	for {
		select {
		case f := <-ch:
			pcm = append(pcm, f...)
			if len(pcm) >= 8000/5 { // 200 ms
				if tone.Level(pcm, freq) > 1000 {
					return
				}
				pcm = pcm[:0]
			}
		case <-deadline:
			t.Fatalf("%v Hz not heard", freq)
		}
	}
}

// fakeRelay stands in for a relay leg: it collects the audio arriving
// from the peer and sends it a tone.
type fakeRelay struct {
	conn  *net.UDPConn
	heard chan []int16
	pts   chan uint8
}

func newFakeRelay(t *testing.T, p *Peer, freq float64) *fakeRelay {
	t.Helper()
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeRelay{conn: conn, heard: make(chan []int16, 500), pts: make(chan uint8, 500)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 1500)
		var pkt rtp.Packet
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			if pkt.Unmarshal(buf[:n]) != nil {
				continue
			}
			pcm := make([]int16, len(pkt.Payload))
			g711.DecodePCMU(pcm, pkt.Payload)
			select {
			case r.heard <- pcm:
			default:
			}
			select {
			case r.pts <- pkt.PayloadType:
			default:
			}
		}
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		browsertest.Speak(ctx, freq, func(pkt *rtp.Packet) {
			b, _ := pkt.Marshal()
			_, _ = conn.WriteToUDPAddrPort(b, p.RTPAddr())
		})
	}()
	t.Cleanup(func() { cancel(); conn.Close(); <-done; <-done })
	p.Connect(conn.LocalAddr().(*net.UDPAddr).AddrPort())
	return r
}

func waitConnected(t *testing.T, p *Peer) {
	t.Helper()
	select {
	case <-p.Connected():
	case <-p.Failed():
		t.Fatal("the peer connection failed")
	case <-time.After(10 * time.Second):
		t.Fatal("the peer never connected")
	}
}

// TestBrowserCallsIn: a browser's offer (Opus first) is answered with
// PCMU, DTLS-SRTP on the endpoint's one port, and audio flows both ways:
// the browser's tone reaches the relay as plain PCMU RTP, and the relay's
// tone is heard in the browser.
func TestBrowserCallsIn(t *testing.T) {
	e := newEndpoint(t)
	b := newBrowser(t, 440)
	p, answer := answered(t, e, b)
	if !strings.Contains(answer, "a=fingerprint:") || !strings.Contains(answer, "UDP/TLS/RTP/SAVPF") ||
		strings.Contains(answer, "opus") || !strings.Contains(answer, " "+itoa(e.Addr().Port())+" typ host") {
		t.Fatalf("answer:\n%s", answer)
	}
	if audio, event := p.PayloadTypes(); audio != 0 || event != browsertest.TelephoneEventPT {
		t.Errorf("payload types %d and %d, want PCMU 0 and the browser's telephone-event 126", audio, event)
	}
	r := newFakeRelay(t, p, 1000)
	if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	waitConnected(t, p)
	hearsTone(t, r.heard, 440)
	if pt := <-r.pts; pt != 0 {
		t.Errorf("the relay got payload type %d, want 0", pt)
	}
	b.hears(1000)
	if in, out := p.Counts(); in == 0 || out == 0 {
		t.Errorf("relayed %d from and %d to the browser", in, out)
	}
}

// TestCallToBrowser: the endpoint offers, the browser answers, and audio
// flows both ways.
func TestCallToBrowser(t *testing.T) {
	e := newEndpoint(t)
	b := newBrowser(t, 440)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, offer, err := e.Offer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		t.Fatal(err)
	}
	ans, err := b.pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Accept(b.description(ans)); err != nil {
		t.Fatal(err)
	}
	r := newFakeRelay(t, p, 1000)
	waitConnected(t, p)
	hearsTone(t, r.heard, 440)
	b.hears(1000)
}

// TestCallsShareThePort: two browsers at once on the endpoint's one UDP
// port each hear their own relay, not the other's.
func TestCallsShareThePort(t *testing.T) {
	e := newEndpoint(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type call struct {
		b *browser
		r *fakeRelay
	}
	var calls []call
	for i, f := range []float64{700, 1400} {
		b := newBrowser(t, 440+float64(i)*330)
		offer, err := b.pc.CreateOffer(nil)
		if err != nil {
			t.Fatal(err)
		}
		p, answer, err := e.Answer(ctx, b.description(offer))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		r := newFakeRelay(t, p, f)
		if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
			t.Fatal(err)
		}
		waitConnected(t, p)
		calls = append(calls, call{b, r})
	}
	calls[0].b.hears(700)
	calls[1].b.hears(1400)
	hearsTone(t, calls[0].r.heard, 440)
	hearsTone(t, calls[1].r.heard, 770)
	for _, c := range calls {
		pcm := drain(c.b.heard, 400*time.Millisecond)
		other := map[*browser]float64{calls[0].b: 1400, calls[1].b: 700}[c.b]
		if tone.Level(pcm, other) > 300 {
			t.Errorf("a browser hears the other call's %v Hz", other)
		}
	}
}

func drain(ch <-chan []int16, d time.Duration) []int16 {
	var pcm []int16
	end := time.After(d)
	for {
		select {
		case f := <-ch:
			pcm = append(pcm, f...)
		case <-end:
			return pcm
		}
	}
}

func TestPreferredCodec(t *testing.T) {
	tests := []struct {
		offer, want string
		bad         bool
	}{
		{"m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\na=rtpmap:111 opus/48000/2\na=rtpmap:0 PCMU/8000\na=rtpmap:8 PCMA/8000\n", webrtc.MimeTypePCMU, false},
		{"m=audio 9 UDP/TLS/RTP/SAVPF 111 8 0\r\na=rtpmap:111 opus/48000/2\r\n", webrtc.MimeTypePCMA, false},
		{"m=audio 9 UDP/TLS/RTP/SAVPF 111\na=rtpmap:111 opus/48000/2\n", "", true},
	}
	for _, tc := range tests {
		got, err := preferredCodec(tc.offer)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("%q: %q %v, want %q", tc.offer, got, err, tc.want)
		}
	}
}

func itoa(n uint16) string { return strconv.Itoa(int(n)) }

// TestPublicAddressInCandidates: behind a 1:1 NAT the answer's
// candidates are the public address, on the endpoint's port. (Nothing is
// sent there: the test reads the SDP only.)
func TestPublicAddressInCandidates(t *testing.T) {
	public := netip.MustParseAddr("192.0.2.10")
	e, err := New(Config{Listen: netip.AddrPortFrom(loopback, 0), PublicIP: public})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, answer := answered(t, e, newBrowser(t, 440))
	var cands []string
	for _, l := range strings.Split(answer, "\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			cands = append(cands, strings.TrimSpace(l))
		}
	}
	if len(cands) == 0 {
		t.Fatal("no candidate")
	}
	for _, c := range cands {
		if !strings.Contains(c, " 192.0.2.10 "+itoa(e.Addr().Port())+" typ host") {
			t.Errorf("candidate %q, want only the public address on port %d", c, e.Addr().Port())
		}
	}
}
