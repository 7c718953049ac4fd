package main

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

// fakeLeg is a stand-in for one of callfloor's relay legs: it sends where
// the SDP says until a packet arrives, then to that packet's source
// (symmetric RTP), and rewrites the RTP header as the relay does.
type fakeLeg struct {
	conn *net.UDPConn
	sdp  netip.AddrPort
	peer atomic.Pointer[netip.AddrPort]
}

// newFakeCall bridges two fake legs whose peers' SDP say sdpA and sdpB,
// and returns the caller's leg port.
func newFakeCall(t *testing.T, sdpA, sdpB netip.AddrPort) uint16 {
	var legs [2]*fakeLeg
	for i, sdp := range []netip.AddrPort{sdpA, sdpB} {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		legs[i] = &fakeLeg{conn: c, sdp: sdp}
	}
	go forward(legs[0], legs[1])
	go forward(legs[1], legs[0])
	return legs[0].conn.LocalAddr().(*net.UDPAddr).AddrPort().Port()
}

func forward(from, to *fakeLeg) {
	buf := make([]byte, 1500)
	for {
		n, src, err := from.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		from.peer.Store(&src)
		binary.BigEndian.PutUint32(buf[8:], 0xCAFE) // the relay's own SSRC
		dest := to.sdp
		if p := to.peer.Load(); p != nil {
			dest = *p
		}
		to.conn.WriteToUDPAddrPort(buf[:n], dest)
	}
}

// TestGeneratorThroughRelay: three calls' audio goes through fake relay
// legs both ways, the callee's leg switching from the SDP's socket to the
// one its frames come from; nothing is lost, the callee's legs are learnt, and the
// control calls flow beside them.
func TestGeneratorThroughRelay(t *testing.T) {
	g, err := newGenerator(2)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	const calls = 3
	g.reset(calls, 100)
	addr := func(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }
	for n := uint32(1); n <= calls; n++ {
		g.onLog(callLog{Start: true, Call: n, Port: newFakeCall(t, addr(g.caller[0]), addr(g.callee[0]))})
	}
	stop, sent := make(chan struct{}), make(chan struct{})
	go func() { g.send(stop); close(sent) }()
	waitFor(t, func() bool { return g.active() == calls })
	time.Sleep(200 * time.Millisecond)
	for n := uint32(1); n <= calls; n++ {
		g.onLog(callLog{Call: n})
	}
	if g.active() != 0 {
		t.Errorf("%d calls active after their stop lines", g.active())
	}
	close(stop)
	<-sent
	time.Sleep(50 * time.Millisecond)
	relayed, control := g.result()
	if relayed.Calls != calls || relayed.Sent < 2*calls*5 || relayed.Loss != 0 || relayed.Dups != 0 {
		t.Errorf("relayed %+v", relayed)
	}
	if control.Calls != controlCalls || control.Loss != 0 || control.Sent == 0 {
		t.Errorf("control %+v", control)
	}
	if s := g.stray.Load(); s != 0 {
		t.Errorf("%d stray datagrams", s)
	}
	g.onLog(callLog{Start: true, Call: calls + 1, Port: 9}) // a control call's number
	if g.stray.Load() != 1 {
		t.Error("a start line for no call of the phase is taken")
	}
}
