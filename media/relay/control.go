package relay

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor/media/rtcp"
)

// reportInterval is how often a leg sends its RTCP report (RFC 3550's
// minimum of 5 s).
const reportInterval = 5 * time.Second

// control is a leg's RTCP: a socket on the port above the RTP one, what
// the phone reports on it, and a timer that sends our reports.
type control struct {
	sock      *sock
	reportsIn atomic.Uint64 // as st.ReportsIn, readable without mu

	mu       sync.Mutex
	timer    *time.Timer // the next report
	stopped  bool
	remote   netip.AddrPort // latched from the phone's reports
	lastSR   uint32         // middle bits of the NTP time of its last SR
	lastSRAt time.Time
	st       RTCPStats
	// at the last report we sent: packets received and expected
	prevReceived, prevExpected uint64
}

// RTCPStats is what a leg knows from RTCP.
type RTCPStats struct {
	// ReportsIn and ReportsOut count the RTCP packets each way.
	ReportsIn, ReportsOut uint64
	// FractionLost (1/256ths), TotalLost and Jitter (RTP units) are the
	// phone's latest report on the stream the leg sends it.
	FractionLost uint8
	TotalLost    int32
	Jitter       uint32
}

// errLegClosed is what a send on a closed leg finds.
var errLegClosed = errors.New("relay: leg closed")

func newControl(s *sock) *control { return &control{sock: s} }

func (c *control) stats() RTCPStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

// start sends leg l's reports every interval, on a timer (no goroutine
// waits for it), until stop.
func (c *control) start(l *Leg, every time.Duration) {
	if every <= 0 {
		every = reportInterval
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timer = time.AfterFunc(every, func() {
		l.sendReport()
		c.mu.Lock()
		if !c.stopped {
			c.timer.Reset(every)
		}
		c.mu.Unlock()
	})
}

// stop ends the reports; one being sent may still go out unless the leg
// is closed.
func (c *control) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	c.timer.Stop()
}

// receiveRTCP keeps what a report from the phone says (the leg's poller).
func (l *Leg) receiveRTCP(b []byte, from netip.AddrPort) {
	c := l.rtcp
	reports, err := rtcp.Parse(b)
	if err != nil {
		return
	}
	l.mu.Lock()
	ours := l.out.ssrc
	l.mu.Unlock()
	now := l.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remote = unmap(from)
	c.st.ReportsIn++
	c.reportsIn.Add(1)
	for _, r := range reports {
		if r.Sender != nil {
			c.lastSR, c.lastSRAt = uint32(r.Sender.NTPTime>>16), now
		}
		for _, b := range r.Blocks {
			if b.SSRC == ours {
				c.st.FractionLost, c.st.TotalLost, c.st.Jitter = b.FractionLost, b.TotalLost, b.Jitter
			}
		}
	}
}

// sendReport sends a sender report (or a receiver report when the leg
// sent nothing) with a block on the stream the leg receives, and our
// CNAME, to the phone's RTCP address: the one its reports come from, else
// the port above its RTP one.
func (l *Leg) sendReport() {
	c := l.rtcp
	now := l.now()
	l.mu.Lock()
	ssrc, ts, remote := l.out.ssrc, l.out.ts, l.remote
	l.mu.Unlock()
	received, lost := l.packetsIn.Load(), l.lost.Load()
	c.mu.Lock()
	to := c.remote
	if !to.IsValid() && remote.IsValid() {
		to = netip.AddrPortFrom(remote.Addr(), remote.Port()+1)
	}
	r := rtcp.Report{SSRC: ssrc}
	if sent := l.packetsOut.Load(); sent > 0 {
		r.Sender = &rtcp.SenderInfo{NTPTime: rtcp.NTP(now.UnixNano()), RTPTime: ts,
			Packets: uint32(sent), Octs: uint32(l.bytesOut.Load())}
	}
	if in := l.inSSRCa.Load(); received > 0 {
		expected := received + lost
		b := rtcp.ReportBlock{SSRC: in, TotalLost: int32(min(lost, 1<<23-1)),
			HighestSeq: l.highestSeq.Load(), Jitter: l.jitter.Load()}
		if de := expected - c.prevExpected; de > 0 && expected >= c.prevExpected {
			if dl := int64(de) - int64(received-c.prevReceived); dl > 0 {
				b.FractionLost = uint8(min(dl*256/int64(de), 255))
			}
		}
		c.prevExpected, c.prevReceived = expected, received
		if !c.lastSRAt.IsZero() {
			b.LastSR = c.lastSR
			b.DelaySinceLastSR = uint32(now.Sub(c.lastSRAt) * 65536 / time.Second)
		}
		r.Blocks = []rtcp.ReportBlock{b}
	}
	c.mu.Unlock()
	if !to.IsValid() {
		return
	}
	pkt, err := r.Append(make([]byte, 0, 128))
	if err != nil {
		return
	}
	pkt = rtcp.AppendSDES(pkt, ssrc, "callfloor@"+l.local.Addr().String())
	var sa sockaddr
	sa.set(to, c.sock.family)
	l.mu.Lock() // Close closes the socket only after it marks the leg closed
	if l.closed {
		err = errLegClosed
	} else {
		err = c.sock.sendTo(pkt, &sa)
	}
	l.mu.Unlock()
	if err == nil {
		c.mu.Lock()
		c.st.ReportsOut++
		c.mu.Unlock()
	}
}

// measureJitter updates the interarrival jitter with a packet of RTP
// timestamp ts arriving at now (RFC 3550 section 6.4.1). Poller only.
func (l *Leg) measureJitter(ts uint32, now time.Time) {
	arrival := now.UnixNano() * 8000 / int64(time.Second) // in RTP units
	transit := arrival - int64(ts)
	if l.lastTransOK {
		d := transit - l.lastTransit
		if d < 0 {
			d = -d
		}
		// J += (|D| - J) / 16, kept scaled by 16.
		l.jitter16 += uint32(d) - (l.jitter16+8)/16
		l.jitter.Store(l.jitter16 / 16)
	}
	l.lastTransit, l.lastTransOK = transit, true
}
