package relay

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/callfloor/callfloor/media/g711"
	"github.com/callfloor/callfloor/media/rtp"
	"github.com/callfloor/callfloor/media/tone"
)

// packet is an RTP packet a fake phone received.
type packet struct {
	h       rtp.Header
	payload []byte
}

// phone is a fake phone: a plain UDP socket that sends 20 ms G.711 frames
// of a generator and collects what it receives.
type phone struct {
	t    testing.TB
	conn *net.UDPConn
	pt   uint8
	gen  tone.Generator
	h    rtp.Header // of the next packet sent
	got  chan packet
}

func newPhone(t testing.TB, pt uint8, gen tone.Generator) *phone {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &phone{t: t, conn: conn, pt: pt, gen: gen, got: make(chan packet, 1000),
		h: rtp.Header{PayloadType: pt, Seq: 1000, Timestamp: 50000, SSRC: 0xCAFE0000 + uint32(pt)}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2000)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			h, payload, err := rtp.Parse(buf[:n])
			if err == nil {
				p.got <- packet{h, append([]byte(nil), payload...)}
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return p
}

func (p *phone) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// send sends an RTP packet numbered by the phone's stream.
func (p *phone) send(to netip.AddrPort, pt uint8, marker bool, payload []byte) {
	h := p.h
	h.PayloadType, h.Marker = pt, marker
	if _, err := p.conn.WriteToUDPAddrPort(append(h.Append(nil), payload...), to); err != nil {
		p.t.Fatal(err)
	}
	p.h.Seq++
}

// frames sends n 20 ms frames of the phone's generator.
func (p *phone) frames(to netip.AddrPort, n int) {
	pcm := make([]int16, tone.FrameSamples)
	for range n {
		p.gen.Fill(pcm)
		b := make([]byte, len(pcm))
		encodeAs(b, p.pt, pcm)
		p.send(to, p.pt, false, b)
		p.h.Timestamp += frameTicks
	}
}

// recv returns the next n packets received, failing after a second.
func (p *phone) recv(n int) []packet {
	p.t.Helper()
	var out []packet
	timeout := time.After(time.Second)
	for len(out) < n {
		select {
		case pk := <-p.got:
			out = append(out, pk)
		case <-timeout:
			p.t.Fatalf("received %d packets, want %d", len(out), n)
		}
	}
	return out
}

// quiet fails if a packet arrives within d.
func (p *phone) quiet(d time.Duration) {
	p.t.Helper()
	select {
	case pk := <-p.got:
		p.t.Fatalf("unexpected packet %+v", pk.h)
	case <-time.After(d):
	}
}

func encodeAs(dst []byte, pt uint8, pcm []int16) {
	if pt == g711.PayloadTypePCMA {
		g711.EncodePCMA(dst, pcm)
	} else {
		g711.EncodePCMU(dst, pcm)
	}
}

// decode returns the audio of packets of payload type pt.
func decode(t *testing.T, pkts []packet, pt uint8) []int16 {
	t.Helper()
	var pcm []int16
	for _, pk := range pkts {
		if pk.h.PayloadType != pt {
			t.Fatalf("payload type %d, want %d", pk.h.PayloadType, pt)
		}
		s := make([]int16, len(pk.payload))
		if pt == g711.PayloadTypePCMA {
			g711.DecodePCMA(s, pk.payload)
		} else {
			g711.DecodePCMU(s, pk.payload)
		}
		pcm = append(pcm, s...)
	}
	return pcm
}

// continuous checks that pkts are one stream: one SSRC, consecutive
// sequence numbers and timestamps a frame apart.
func continuous(t *testing.T, pkts []packet) {
	t.Helper()
	for i := 1; i < len(pkts); i++ {
		a, b := pkts[i-1].h, pkts[i].h
		if b.SSRC != a.SSRC || b.Seq != a.Seq+1 || b.Timestamp-a.Timestamp < frameTicks || b.Timestamp-a.Timestamp > 100*frameTicks {
			t.Fatalf("packet %d: %+v after %+v", i, b, a)
		}
	}
}

// listenLeg opens a leg on a loopback port and closes it at the end.
func listenLeg(t testing.TB) *Leg {
	l, err := Listen(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// waitFor polls cond for up to a second.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
