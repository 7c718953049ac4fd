package relay

import (
	"errors"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/callfloor/callfloor/media/dtmf"
	"github.com/callfloor/callfloor/media/tone"
)

// TestManyCallsKeepTheirOwnAudio: calls spread over every poller each
// carry their own phones' audio and nobody else's, a leg costs no
// goroutine of its own, and a call's two legs are read by one poller.
func TestManyCallsKeepTheirOwnAudio(t *testing.T) {
	const calls = 40
	before := runtime.NumGoroutine()
	type pair struct {
		a, b   *phone
		la, lb *Leg
	}
	ps := make([]pair, calls)
	for i := range ps {
		p := pair{a: newPhone(t, pcmu, tone.NewSine(freqs[0], -12)), b: newPhone(t, pcmu, tone.NewSine(freqs[1], -12)),
			la: listenLeg(t), lb: listenLeg(t)}
		p.a.h.SSRC, p.b.h.SSRC = uint32(2*i+1), uint32(2*i+2)
		p.la.SetRemote(p.a.addr(), pcmu)
		p.lb.SetRemote(p.b.addr(), pcmu)
		Connect(p.la, p.lb)
		ps[i] = p
	}
	// Each phone has a reader goroutine (the test's); the legs add none.
	if got := runtime.NumGoroutine() - before; got > 2*calls+pollerCount() && runtime.GOOS == "linux" {
		t.Fatalf("%d goroutines for %d calls' phones and legs, want at most %d (the phones' own and the pollers)",
			got, calls, 2*calls+pollerCount())
	}
	for i, p := range ps { // one goroutine carries a call both ways
		if p.la.poller != p.lb.poller {
			t.Fatalf("call %d: its legs are read by two pollers", i)
		}
	}
	for _, p := range ps {
		p.a.frames(p.la.LocalAddr(), 5)
		p.b.frames(p.lb.LocalAddr(), 5)
	}
	for i, p := range ps {
		got := p.b.recv(5)
		hears(t, decode(t, got, pcmu), freqs[0])
		continuous(t, got)
		back := p.a.recv(5)
		hears(t, decode(t, back, pcmu), freqs[1])
		if st := p.la.Stats(); st.PacketsIn != 5 || st.PacketsOut != 5 || st.Rejected != 0 {
			t.Fatalf("call %d leg A: %+v", i, st)
		}
	}
	for _, p := range ps { // nothing more, nothing of another call
		p.a.quiet(0)
		p.b.quiet(0)
	}
}

// TestDigitReportMayCloseTheLeg: the key press report runs once the
// poller has let go of its lock, so the one who hears it may close the
// leg there (hanging up on a key, say) without blocking the poller.
func TestDigitReportMayCloseTheLeg(t *testing.T) {
	a := newPhone(t, pcmu, tone.NewSine(freqs[0], -12))
	l := listenLeg(t)
	l.SetRemote(a.addr(), pcmu)
	closed := make(chan error, 1)
	l.OnDigit(func(p dtmf.Press) {
		if p.Ended {
			closed <- l.Close()
		}
	})
	pkts, err := dtmf.Generate('#', 60*time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		b, _ := p.Event.Marshal()
		a.send(l.LocalAddr(), DefaultEventPayloadType, p.Marker, b)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close from the report: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no key press reported, or Close blocked inside the report")
	}
	// The pollers still serve other legs.
	c := newCall(t, pcmu, pcmu, BridgeOptions{})
	c.a.frames(c.la.LocalAddr(), 3)
	c.b.recv(3)
}

// TestListenOnAnAddressNotHere: an address the machine does not have is
// an error at once, not a search of the whole range.
func TestListenOnAnAddressNotHere(t *testing.T) {
	_, err := Listen(Options{IP: netip.MustParseAddr("192.0.2.1"), Ports: Ports{Min: 40000, Max: 40999}})
	if err == nil || errors.Is(err, ErrNoPort) {
		t.Fatalf("Listen on 192.0.2.1: %v, want the system's error", err)
	}
}
