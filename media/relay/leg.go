package relay

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor/media/dtmf"
	"github.com/callfloor/callfloor/media/rtp"
)

// maxPacket is the largest RTP packet handled: a UDP payload on Ethernet.
const maxPacket = 1500

// DefaultEventPayloadType is the telephone-event payload type a leg
// assumes until SetEventPayloadType says otherwise: the one most phones
// offer.
const DefaultEventPayloadType = 101

// Options configure Listen.
type Options struct {
	// IP is the address to bind; the zero value binds 127.0.0.1.
	IP netip.Addr
	// Ports is the range to take a port from; the zero value takes any.
	Ports Ports
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewTicker returns the 20 ms ticker that paces what the leg plays
	// (music, tones, digits, a conference), and its stop function; nil
	// means a time.Ticker. Tests step their own.
	NewTicker func() (<-chan time.Time, func())
	// ReportInterval is how often the leg sends its RTCP report (5 s).
	ReportInterval time.Duration
}

// Leg is the RTP endpoint of one call leg. Its two sockets are read by
// one of the package's pollers (poll_linux.go) from Listen until Close:
// a leg has no goroutine of its own. Methods are safe for concurrent use.
type Leg struct {
	id    uint64   // the leg's source id (see newSourceID)
	sock  *sock    // RTP
	rtcp  *control // the RTCP socket on the port above
	local netip.AddrPort
	// pollMu guards the poller reading the leg and its slots there (nil
	// once closed); the poller's lock is taken inside it, never l.mu.
	pollMu    sync.Mutex
	poller    *poller
	slots     [2]int32 // the RTP and RTCP sockets' slots
	now       func() time.Time
	newTicker func() (<-chan time.Time, func())
	close     sync.Once

	mu       sync.Mutex
	closed   bool           // Close began: nothing is sent any more
	remote   netip.AddrPort // where to send, from SDP then latched
	remoteSA sockaddr       // remote, as the system call takes it
	latched  bool           // remote is the source of a received packet
	pt       uint8          // audio payload type
	evPT     uint8          // telephone-event payload type
	// Routing (see route.go): what the leg receives goes to peer (or
	// into party's conference), unless muted; it sends only what comes
	// from source, 0 for nothing.
	peer    *Leg
	party   *party
	source  uint64
	muted   bool
	onDigit func(dtmf.Press)
	player  *player // the generator feeding the leg, if any
	out     outStream
	wbuf    [maxPacket]byte

	// Owned by the poller reading the leg.
	inSSRC uint32
	inSeq  uint16
	inOK   bool
	// Interarrival jitter (RFC 3550), in RTP timestamp units x 16, and
	// the last packet's transit time.
	jitter16    uint32
	lastTransit int64
	lastTransOK bool
	det         dtmf.Detector
	presses     []dtmf.Press

	packetsIn, packetsOut, bytesIn, bytesOut, lost, rejected atomic.Uint64
	jitter, highestSeq, inSSRCa                              atomic.Uint32
}

// Stats are a leg's counters since Listen.
type Stats struct {
	PacketsIn, PacketsOut uint64
	BytesIn, BytesOut     uint64 // whole RTP packets, headers included
	// Lost counts the packets missing from gaps in the sequence numbers
	// received (a jump of 3000 or more counts as a restart, not a loss).
	Lost uint64
	// Rejected counts datagrams dropped on arrival: not RTP, or from an
	// address other than the latched one.
	Rejected uint64
	// Jitter is the interarrival jitter of the received stream (RFC 3550),
	// in RTP timestamp units (1/8000 s).
	Jitter uint32
	// RTCP is what the phone's own reports say about the stream the leg
	// sends, and how many reports went each way.
	RTCP RTCPStats
}

// Listen opens a leg's sockets and starts reading them. Packets received
// before the leg joins a Bridge are counted and latched onto, then dropped.
func Listen(opts Options) (*Leg, error) {
	ip := opts.IP
	if !ip.IsValid() {
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	p, err := pickPoller()
	if err != nil {
		return nil, err
	}
	rtpSock, rtcpSock, err := listen(ip, opts.Ports)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if opts.NewTicker == nil {
		opts.NewTicker = realTicker
	}
	l := &Leg{
		id:        newSourceID(),
		newTicker: opts.NewTicker,
		sock:      rtpSock,
		rtcp:      newControl(rtcpSock),
		poller:    p,
		local:     rtpSock.local,
		now:       now,
		evPT:      DefaultEventPayloadType,
		out:       newOutStream(),
	}
	if l.slots[0], err = p.add(rtpSock, l, false); err != nil {
		return nil, errors.Join(err, rtpSock.close(), rtcpSock.close())
	}
	if l.slots[1], err = p.add(rtcpSock, l, true); err != nil {
		return nil, errors.Join(err, p.remove(l.slots[0]), rtcpSock.close())
	}
	l.rtcp.start(l, opts.ReportInterval)
	return l, nil
}

// LocalAddr returns the address of the leg's socket, to put in our SDP.
func (l *Leg) LocalAddr() netip.AddrPort { return l.local }

// SetRemote sets the address and audio payload type (g711.PayloadTypePCMU
// or PayloadTypePCMA) from the peer's SDP. The leg sends there until a
// packet arrives, then to that packet's source (symmetric RTP); calling
// SetRemote again, as on a re-INVITE, starts latching afresh.
func (l *Leg) SetRemote(addr netip.AddrPort, payloadType uint8) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.remote = unmap(addr)
	l.remoteSA.set(l.remote, l.sock.family)
	l.latched = false
	l.pt = payloadType
}

// SetEventPayloadType sets the payload type of telephone-events in both
// directions, from the peer's SDP (DefaultEventPayloadType until then).
func (l *Leg) SetEventPayloadType(pt uint8) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evPT = pt
}

// Remote returns where the leg sends: the SDP address, or the latched one.
func (l *Leg) Remote() netip.AddrPort {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.remote
}

// Stats returns the leg's counters.
func (l *Leg) Stats() Stats {
	return Stats{
		PacketsIn:  l.packetsIn.Load(),
		PacketsOut: l.packetsOut.Load(),
		BytesIn:    l.bytesIn.Load(),
		BytesOut:   l.bytesOut.Load(),
		Lost:       l.lost.Load(),
		Rejected:   l.rejected.Load(),
		Jitter:     l.jitter.Load(),
		RTCP:       l.rtcp.stats(),
	}
}

// Heard counts what has arrived from the party since Listen: RTP
// packets from the latched address and RTCP packets. A count that stops
// growing means the party sends nothing any more (see the B2BUA's media
// watchdog). Reading it costs the packet path nothing.
func (l *Leg) Heard() uint64 {
	return l.packetsIn.Load() + l.rtcp.reportsIn.Load()
}

// Close stops what the leg plays, stops its reports and closes its
// sockets; once it returns nothing more is read or sent on them. Closing
// twice does nothing.
func (l *Leg) Close() error {
	var err error
	l.close.Do(func() {
		l.Silence()
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		l.rtcp.stop()
		l.pollMu.Lock()
		defer l.pollMu.Unlock()
		err = errors.Join(l.poller.remove(l.slots[0]), l.poller.remove(l.slots[1]))
		l.poller = nil
	})
	return err
}

// receiveRTP handles a datagram from the leg's RTP socket (its poller,
// with the poller's lock held). Key press reports go to after.
func (l *Leg) receiveRTP(b []byte, fromSA *sockaddr, after *[]func()) {
	h, payload, err := rtp.Parse(b)
	if err != nil {
		l.rejected.Add(1)
		return
	}
	from := unmap(fromSA.addrPort())
	l.mu.Lock() // held on to by route
	switch {
	case l.closed:
		l.mu.Unlock()
		return
	case !l.latched:
		l.remote, l.remoteSA, l.latched = from, *fromSA, true
	case from != l.remote:
		l.mu.Unlock()
		l.rejected.Add(1)
		return
	}
	now := l.now()
	l.packetsIn.Add(1)
	l.bytesIn.Add(uint64(len(b)))
	l.track(h)
	if h.PayloadType == l.pt {
		l.measureJitter(h.Timestamp, now)
	}
	l.route(h, payload, now, after) // unlocks l.mu
}

// track counts the packets lost in the incoming stream.
func (l *Leg) track(h rtp.Header) {
	if !l.inOK || h.SSRC != l.inSSRC {
		l.inSSRC, l.inSeq, l.inOK = h.SSRC, h.Seq, true
		l.inSSRCa.Store(h.SSRC)
		l.highestSeq.Store(uint32(h.Seq))
		l.lastTransOK = false
		return
	}
	d := h.Seq - l.inSeq
	if d == 0 || d >= 0x8000 {
		return // duplicate or late
	}
	if d < 3000 {
		l.lost.Add(uint64(d - 1))
	}
	l.inSeq = h.Seq
	l.highestSeq.Store(uint32(h.Seq))
}

// payload is what a leg is given to send: a telephone-event, G.711 audio
// of payload type pt, or linear audio to encode.
type payload struct {
	event bool
	pt    uint8
	data  []byte
	pcm   []int16
}

// send sends p to the remote, numbered as h in source src, if src is the
// source the leg listens to; now is when p was received or made.
// Audio is transcoded or encoded into the leg's payload type; audio the
// leg cannot take (neither law of G.711) is dropped.
func (l *Leg) send(src uint64, h rtp.Header, p payload, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.source != src || src == 0 || !l.remote.IsValid() {
		return
	}
	l.write(src, h, p, now)
}

// write sends p numbered as h in source src. l.mu is held.
func (l *Leg) write(src uint64, h rtp.Header, p payload, now time.Time) {
	b := l.wbuf[:rtp.HeaderSize]
	switch {
	case p.event:
		h.PayloadType = l.evPT
		b = append(b, p.data...)
	case p.pcm != nil:
		h.PayloadType = l.pt
		if !encode(&b, l.pt, p.pcm) {
			return
		}
	default:
		h.PayloadType = l.pt
		if !transcode(&b, l.pt, p.pt, p.data) {
			return
		}
	}
	seq, ts, marker := l.out.next(src, h.Seq, h.Timestamp, now)
	h.Seq, h.Timestamp, h.SSRC = seq, ts, l.out.ssrc
	h.Marker = h.Marker || (marker && !p.event)
	h.Append(b[:0])
	if err := l.sock.sendTo(b, &l.remoteSA); err == nil {
		l.packetsOut.Add(1)
		l.bytesOut.Add(uint64(len(b)))
	}
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// PayloadType returns the leg's audio payload type (from SetRemote).
func (l *Leg) PayloadType() uint8 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pt
}
