package relay

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor/media/dtmf"
	"github.com/callfloor/callfloor/media/g711"
	"github.com/callfloor/callfloor/media/rtp"
	"github.com/callfloor/callfloor/media/tone"
)

const (
	pcmu = g711.PayloadTypePCMU
	pcma = g711.PayloadTypePCMA
)

var freqs = []float64{440, 1000}

// call is two fake phones bridged through two legs.
type call struct {
	a, b   *phone
	la, lb *Leg
	br     *Bridge
}

func newCall(t *testing.T, ptA, ptB uint8, opts BridgeOptions) *call {
	c := &call{
		a:  newPhone(t, ptA, tone.NewSine(freqs[0], -12)),
		b:  newPhone(t, ptB, tone.NewSine(freqs[1], -12)),
		la: listenLeg(t),
		lb: listenLeg(t),
	}
	c.la.SetRemote(c.a.addr(), ptA)
	c.lb.SetRemote(c.b.addr(), ptB)
	c.br = NewBridge(c.la, c.lb, opts)
	t.Cleanup(func() { c.br.Close() })
	return c
}

// hears checks that pcm carries freq and not the other test frequency.
func hears(t *testing.T, pcm []int16, freq float64) {
	t.Helper()
	if got := tone.Dominant(pcm, freqs); got != freq {
		t.Fatalf("dominant %v Hz, want %v", got, freq)
	}
	for _, f := range freqs {
		l := tone.Level(pcm, f)
		if f == freq && l < 2000 || f != freq && l > 100 {
			t.Fatalf("level of %v Hz is %.0f", f, l)
		}
	}
}

func TestBridgeHearsOther(t *testing.T) {
	for _, tt := range []struct{ a, b uint8 }{{pcmu, pcmu}, {pcma, pcma}, {pcmu, pcma}, {pcma, pcmu}} {
		t.Run(fmt.Sprintf("%d-%d", tt.a, tt.b), func(t *testing.T) {
			c := newCall(t, tt.a, tt.b, BridgeOptions{})
			const n = 10
			c.a.frames(c.la.LocalAddr(), n)
			c.b.frames(c.lb.LocalAddr(), n)
			atA, atB := c.a.recv(n), c.b.recv(n)
			continuous(t, atA)
			continuous(t, atB)
			hears(t, decode(t, atA, tt.a), freqs[1])
			hears(t, decode(t, atB, tt.b), freqs[0])
			if atA[0].h.SSRC == c.b.h.SSRC || atB[0].h.SSRC == c.a.h.SSRC {
				t.Error("SSRC not rewritten")
			}
			if !atA[0].h.Marker || atA[1].h.Marker {
				t.Error("marker not on the first packet only")
			}
		})
	}
}

func TestSameCodecUntouched(t *testing.T) {
	c := newCall(t, pcmu, pcmu, BridgeOptions{})
	payload := []byte{1, 2, 3, 0xFF, 0x7F, 0x80} // not even a full frame
	c.a.send(c.la.LocalAddr(), pcmu, false, payload)
	if got := c.b.recv(1)[0].payload; string(got) != string(payload) {
		t.Fatalf("payload %v, want %v", got, payload)
	}
}

func TestDTMF(t *testing.T) {
	var mu sync.Mutex
	var presses []dtmf.Press
	var from []*Leg
	c := newCall(t, pcmu, pcma, BridgeOptions{OnDigit: func(l *Leg, p dtmf.Press) {
		mu.Lock()
		defer mu.Unlock()
		presses, from = append(presses, p), append(from, l)
	}})
	c.la.SetEventPayloadType(101)
	c.lb.SetEventPayloadType(96)
	c.a.frames(c.la.LocalAddr(), 3)
	pkts, err := dtmf.Generate('7', 100*time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		b, _ := p.Event.Marshal()
		c.a.send(c.la.LocalAddr(), 101, p.Marker, b)
	}
	c.a.h.Timestamp += 5 * frameTicks
	c.a.frames(c.la.LocalAddr(), 10)
	got := c.b.recv(3 + len(pkts) + 10)
	continuous := got[3 : 3+len(pkts)]
	for i, pk := range continuous {
		ev, err := dtmf.Parse(pk.payload)
		if pk.h.PayloadType != 96 || err != nil || ev != pkts[i].Event || pk.h.Marker != pkts[i].Marker {
			t.Fatalf("event packet %d: %+v %+v %v, want %+v", i, pk.h, ev, err, pkts[i])
		}
		if pk.h.Timestamp != continuous[0].h.Timestamp {
			t.Fatalf("event packet %d timestamp %d, want %d", i, pk.h.Timestamp, continuous[0].h.Timestamp)
		}
	}
	hears(t, decode(t, got[3+len(pkts):], pcma), freqs[0])
	mu.Lock()
	defer mu.Unlock()
	if len(presses) != 1 || presses[0].Key != '7' || !presses[0].Ended || from[0] != c.la {
		t.Fatalf("presses %+v, want one '7' from leg A", presses)
	}
}

// manualTicker is a hold ticker the test steps.
type manualTicker chan time.Time

func (m manualTicker) new() (<-chan time.Time, func()) { return m, func() {} }

func TestHold(t *testing.T) {
	tick := make(manualTicker)
	c := newCall(t, pcmu, pcma, BridgeOptions{NewTicker: tick.new})
	const n = 5
	var heard []packet
	c.a.frames(c.la.LocalAddr(), n)
	heard = append(heard, c.b.recv(n)...)
	hears(t, decode(t, heard, pcma), freqs[0])

	if err := c.br.Hold(c.lb, tone.NewSine(freqs[1], -12)); err != nil {
		t.Fatal(err)
	}
	c.a.frames(c.la.LocalAddr(), n) // dropped: B is held
	waitFor(t, "A's frames", func() bool { return c.la.Stats().PacketsIn == 2*n })
	for range n {
		tick <- time.Time{}
	}
	held := c.b.recv(n)
	hears(t, decode(t, held, pcma), freqs[1])
	heard = append(heard, held...)

	// B still speaks to A while held.
	c.b.frames(c.lb.LocalAddr(), 1)
	c.a.recv(1)

	c.br.Unhold(c.lb)
	c.b.quiet(30 * time.Millisecond)
	c.a.frames(c.la.LocalAddr(), n)
	back := c.b.recv(n)
	hears(t, decode(t, back, pcma), freqs[0])
	heard = append(heard, back...)
	continuous(t, heard)
	for i, pk := range heard {
		if want := i%n == 0; pk.h.Marker != want {
			t.Errorf("packet %d marker %v, want %v", i, pk.h.Marker, want)
		}
	}
}

func TestHoldMusic(t *testing.T) {
	tick := make(manualTicker)
	c := newCall(t, pcmu, pcma, BridgeOptions{NewTicker: tick.new})
	if err := c.br.Hold(c.lb, tone.NewMusic()); err != nil {
		t.Fatal(err)
	}
	const n = 25
	c.a.frames(c.la.LocalAddr(), n)
	for range n {
		tick <- time.Time{}
	}
	pcm := decode(t, c.b.recv(n), pcma)
	var energy float64
	for _, s := range pcm {
		energy += float64(s) * float64(s)
	}
	if rms := energy / float64(len(pcm)); rms < 100*100 {
		t.Fatalf("music on hold is silent: mean square %.0f", rms)
	}
	if l := tone.Level(pcm, freqs[0]); l > 300 {
		t.Fatalf("held side hears the other party: level %.0f", l)
	}
	if err := c.br.Hold(listenLeg(t), tone.Silence{}); err != ErrNotInBridge {
		t.Fatalf("Hold of a stranger: %v", err)
	}
}

func TestLatch(t *testing.T) {
	c := newCall(t, pcmu, pcmu, BridgeOptions{})
	decoy := newPhone(t, pcmu, tone.Silence{})
	c.la.SetRemote(decoy.addr(), pcmu) // the SDP says one thing...

	c.b.frames(c.lb.LocalAddr(), 1)
	first := decoy.recv(1) // ...and until A sends, that is where A's audio goes

	c.a.frames(c.la.LocalAddr(), 1) // A sends from elsewhere, as behind NAT
	c.b.recv(1)
	if got := c.la.Remote(); got != c.a.addr() {
		t.Fatalf("remote %v, want latched to %v", got, c.a.addr())
	}
	c.b.frames(c.lb.LocalAddr(), 2)
	continuous(t, append(first, c.a.recv(2)...))
	decoy.quiet(20 * time.Millisecond)

	// Once latched, another source is not heard.
	intruder := newPhone(t, pcmu, tone.Silence{})
	intruder.frames(c.la.LocalAddr(), 1)
	waitFor(t, "rejection", func() bool { return c.la.Stats().Rejected == 1 })
	c.b.quiet(20 * time.Millisecond)

	// A new SDP latches afresh.
	c.la.SetRemote(decoy.addr(), pcmu)
	intruder.frames(c.la.LocalAddr(), 1)
	c.b.recv(1)
	if got := c.la.Remote(); got != intruder.addr() {
		t.Fatalf("remote %v, want relatched to %v", got, intruder.addr())
	}
}

func TestStats(t *testing.T) {
	c := newCall(t, pcmu, pcmu, BridgeOptions{})
	c.a.frames(c.la.LocalAddr(), 3)
	c.a.h.Seq += 2 // two lost
	c.a.frames(c.la.LocalAddr(), 2)
	c.b.recv(5)
	c.a.h.Seq -= 3 // a late one, not a loss
	c.a.frames(c.la.LocalAddr(), 1)
	c.b.recv(1)
	// A leg counts a packet just after its system call, so a phone may
	// have it a moment before the counter moves.
	const size = 12 + tone.FrameSamples
	wantA := Stats{PacketsIn: 6, BytesIn: 6 * size, Lost: 2}
	waitFor(t, fmt.Sprintf("leg A stats %+v", wantA), func() bool {
		st := c.la.Stats()
		st.Jitter = 0 // the test sends faster than real time
		return st == wantA
	})
	wantB := Stats{PacketsOut: 6, BytesOut: 6 * size}
	waitFor(t, fmt.Sprintf("leg B stats %+v", wantB), func() bool { return c.lb.Stats() == wantB })
	stray, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stray.Close()
	if _, err := stray.WriteToUDPAddrPort([]byte("not rtp"), c.la.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "rejection", func() bool { return c.la.Stats().Rejected == 1 })
}

func TestCloseClosesSockets(t *testing.T) {
	c := newCall(t, pcmu, pcmu, BridgeOptions{})
	if err := c.br.Hold(c.la, tone.NewMusic()); err != nil {
		t.Fatal(err)
	}
	if err := c.br.Close(); err != nil {
		t.Fatal(err)
	}
	for _, l := range []*Leg{c.la, c.lb} {
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(l.LocalAddr()))
		if err != nil {
			t.Fatalf("port of closed leg still bound: %v", err)
		}
		conn.Close()
		if err := l.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
}

func BenchmarkForward(b *testing.B) {
	udp := func() *net.UDPConn {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		return c
	}
	a, z := udp(), udp()
	la, lz := listenLeg(b), listenLeg(b)
	la.SetRemote(a.LocalAddr().(*net.UDPAddr).AddrPort(), pcmu)
	lz.SetRemote(z.LocalAddr().(*net.UDPAddr).AddrPort(), pcmu)
	br := NewBridge(la, lz, BridgeOptions{})
	defer br.Close()
	pkt := append(rtp.Header{SSRC: 1}.Append(nil), make([]byte, tone.FrameSamples)...)
	buf := make([]byte, 2000)
	to := la.LocalAddr()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.WriteToUDPAddrPort(pkt, to); err != nil {
			b.Fatal(err)
		}
		if _, err := z.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
}
