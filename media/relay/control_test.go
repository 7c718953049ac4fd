package relay

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/callfloor/callfloor/media/rtcp"
	"github.com/callfloor/callfloor/media/tone"
)

// TestRTCPReports: a leg sends sender reports with a block on what it
// receives to the port above the phone's RTP port, and keeps what the
// phone reports about the leg's own stream.
func TestRTCPReports(t *testing.T) {
	// The phone's RTP and RTCP sockets, on an even/odd pair.
	var rtpConn, rtcpConn *net.UDPConn
	for rtcpConn == nil {
		a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := a.LocalAddr().(*net.UDPAddr).Port
		if port%2 != 0 {
			defer a.Close() // kept until the end, so that the next try gets another
			continue
		}
		if b, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port + 1}); err == nil {
			rtpConn, rtcpConn = a, b
		} else {
			defer a.Close()
		}
	}
	defer rtpConn.Close()
	defer rtcpConn.Close()
	ph := &phone{t: t, conn: rtpConn, pt: pcmu, gen: tone.NewSine(440, -12), got: make(chan packet, 100)}
	ph.h.SSRC = 0xFEED

	l, err := Listen(Options{ReportInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.SetRemote(rtpConn.LocalAddr().(*net.UDPAddr).AddrPort(), pcmu)
	l.Play(tone.NewSine(1000, -12)) // the leg sends, so its report is an SR
	ph.frames(l.LocalAddr(), 3)
	ph.h.Seq++ // one lost
	ph.frames(l.LocalAddr(), 3)

	buf := make([]byte, 1500)
	var got rtcp.Report
	for deadline := time.Now().Add(3 * time.Second); ; {
		_ = rtcpConn.SetReadDeadline(deadline)
		n, err := rtcpConn.Read(buf)
		if err != nil {
			t.Fatalf("no RTCP report from the leg: %v", err)
		}
		reps, err := rtcp.Parse(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		if len(reps) == 1 && reps[0].Sender != nil && len(reps[0].Blocks) == 1 && reps[0].Blocks[0].TotalLost == 1 {
			got = reps[0]
			break
		}
	}
	if b := got.Blocks[0]; b.SSRC != 0xFEED || b.HighestSeq != uint32(ph.h.Seq-1) {
		t.Fatalf("report block %+v", b)
	}

	// The phone reports on the leg's stream.
	rep, _ := rtcp.Report{SSRC: 0xFEED, Blocks: []rtcp.ReportBlock{{SSRC: got.SSRC, FractionLost: 64, TotalLost: 9, Jitter: 80}}}.Append(nil)
	if _, err := rtcpConn.WriteToUDPAddrPort(rep, netipPlusOne(l)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the phone's report kept", func() bool {
		st := l.Stats().RTCP
		return st.FractionLost == 64 && st.TotalLost == 9 && st.Jitter == 80 && st.ReportsIn == 1 && st.ReportsOut > 0
	})
}

// netipPlusOne is the RTCP address of a leg.
func netipPlusOne(l *Leg) netip.AddrPort {
	a := l.LocalAddr()
	return netip.AddrPortFrom(a.Addr(), a.Port()+1)
}
