package main

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor/bench/internal/streamstats"
)

// generator plays the audio of both phones of every call: a 20 ms PCMU
// frame each way per call, from a few UDP sockets per side. callfloor's
// relay legs latch onto the address their first packet comes from
// (symmetric RTP), so a socket serves many calls, and the payload says
// which call a frame is.
//
// The caller's leg port comes from sipp's log (start lines); the callee's
// leg port is learnt from the source of the first frame that leg
// forwards, so the callee's direction starts one frame later.
type generator struct {
	epoch  time.Time
	caller []*net.UDPConn // frames to and from the callers' legs
	callee []*net.UDPConn // frames to and from the callees' legs
	wg     sync.WaitGroup

	phase atomic.Pointer[phase]
	// winFrom and winTo bound the frames whose transit counts (ns since
	// the epoch, sent at or after winFrom and before winTo; winTo 0: no
	// end): the hold phase measures while every call is up.
	winFrom, winTo atomic.Int64
	// stray counts datagrams that are not generator frames or belong to
	// no call of the phase; sendErrors frames the system did not send.
	stray, sendErrors atomic.Uint64
}

// phase is the calls of one phase: sipp's, by call number (0 unused),
// then the control calls.
type phase struct {
	calls []*genCall
	n     int // sipp's calls
}

// genCall is one call's audio.
type genCall struct {
	legA, legB atomic.Pointer[netip.AddrPort]
	started    atomic.Int64 // when the start line came (ns since epoch); 0 before
	stopped    atomic.Bool
	dir        [2]genStream
}

// genStream is one direction of a call.
type genStream struct {
	seq  uint32 // the next frame's number; owned by the sender
	sent atomic.Uint64

	mu       sync.Mutex
	got      streamstats.SeqSet
	dups     uint64
	transits []int32 // ns, per frame received
}

// newGenerator opens n sockets per side on loopback with big receive
// buffers and starts reading them.
func newGenerator(n int) (*generator, error) {
	g := &generator{epoch: time.Now()}
	g.phase.Store(&phase{calls: []*genCall{nil}})
	for i := 0; i < 2*n; i++ {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			g.Close()
			return nil, err
		}
		_ = c.SetReadBuffer(8 << 20)
		_ = c.SetWriteBuffer(8 << 20)
		_ = stampArrivals(c) // without, a frame's arrival is when it is read
		if i < n {
			g.caller = append(g.caller, c)
		} else {
			g.callee = append(g.callee, c)
		}
		g.wg.Add(1)
		go g.read(c, i >= n)
	}
	return g, nil
}

// firstPort returns the port of a side's first socket: what the phones'
// SDP offers (the relay sends there until it has latched).
func firstPort(conns []*net.UDPConn) int { return conns[0].LocalAddr().(*net.UDPAddr).Port }

// controlCalls is how many calls of each phase go from the generator to
// itself, not through callfloor: the delay variation they see is the
// generator's and the kernel's own, the baseline of the measurement.
const controlCalls = 10

// reset forgets the calls of the last phase and makes room for calls
// numbered 1..n, and starts the control calls, numbered after them.
func (g *generator) reset(n, frames int) {
	calls := make([]*genCall, n+controlCalls+1)
	for i := 1; i < len(calls); i++ {
		c := &genCall{}
		for d := range c.dir {
			c.dir[d].transits = make([]int32, 0, frames)
		}
		calls[i] = c
		if i > n {
			// The callee's socket stands in for the caller's leg; the
			// callee's leg is then learnt to be the caller's socket.
			a := g.callee[i%len(g.callee)].LocalAddr().(*net.UDPAddr).AddrPort()
			c.legA.Store(&a)
			c.started.Store(g.now())
		}
	}
	g.phase.Store(&phase{calls: calls, n: n})
}

func (g *generator) call(n uint32) *genCall {
	calls := g.phase.Load().calls
	if n == 0 || int(n) >= len(calls) {
		return nil
	}
	return calls[n]
}

// onLog starts or stops a call's audio as sipp reports it.
func (g *generator) onLog(l callLog) {
	c := g.call(l.Call)
	if c == nil || int(l.Call) > g.phase.Load().n {
		g.stray.Add(1)
		return
	}
	if !l.Start {
		c.stopped.Store(true)
		return
	}
	a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), l.Port)
	c.legA.Store(&a)
	c.started.Store(g.now())
}

// now is the time since the epoch, on the monotonic clock.
func (g *generator) now() int64 { return int64(time.Since(g.epoch)) }

// send paces the frames until stop is closed: every millisecond it sends
// the frames of the calls in that millisecond's slot, so that a call's
// frames leave every 20 ms and calls are spread over the 20 ms. A late
// tick catches up at once, so the rate holds on average.
func (g *generator) send(stop <-chan struct{}) {
	out := func(conns []*net.UDPConn) []*outBatch {
		bs := make([]*outBatch, len(conns))
		for i, c := range conns {
			bs[i] = &outBatch{g: g, conn: c, b: newBatch(64, packetSize), streams: make([]*genStream, 64)}
		}
		return bs
	}
	toA, toB := out(g.caller), out(g.callee)
	all := append(toA[:len(toA):len(toA)], toB...)
	start := time.Now()
	for tick := 0; ; tick++ {
		if d := time.Until(start.Add(time.Duration(tick) * time.Millisecond)); d > 0 {
			select {
			case <-stop:
				return
			case <-time.After(d):
			}
		} else {
			select {
			case <-stop:
				return
			default:
			}
		}
		calls := g.phase.Load().calls
		for n := tick % frameInterval; n < len(calls); n += frameInterval {
			c := calls[n]
			if c == nil || c.started.Load() == 0 || c.stopped.Load() {
				continue
			}
			k := n % len(g.caller)
			if a := c.legA.Load(); a != nil {
				toA[k].add(*a, c, uint32(n), dirAB)
			}
			if b := c.legB.Load(); b != nil {
				toB[k].add(*b, c, uint32(n), dirBA)
			}
		}
		for _, o := range all {
			o.flush()
		}
	}
}

// outBatch gathers the frames one socket sends in a tick.
type outBatch struct {
	g       *generator
	conn    *net.UDPConn
	b       *batch
	streams []*genStream // of each frame in b
}

func (o *outBatch) add(to netip.AddrPort, c *genCall, n uint32, dir uint8) {
	s, i := &c.dir[dir], o.b.n
	o.b.bufs[i] = appendPacket(o.b.bufs[i][:0], frame{Call: n, Dir: dir, Seq: s.seq, Sent: o.g.now()})
	o.b.lens[i], o.b.addrs[i], o.streams[i] = len(o.b.bufs[i]), to, s
	o.b.n++
	s.seq++
	if o.b.full() {
		o.flush()
	}
}

// flush sends the gathered frames; only those sent count as sent.
func (o *outBatch) flush() {
	n := o.b.n
	if n == 0 {
		return
	}
	sent, _ := o.b.write(o.conn)
	for _, s := range o.streams[:sent] {
		s.sent.Add(1)
	}
	o.g.sendErrors.Add(uint64(n - sent))
}

// read receives frames on one socket until it is closed. On a callee
// socket the source of a caller's frame is the callee's leg.
func (g *generator) read(conn *net.UDPConn, calleeSide bool) {
	defer g.wg.Done()
	b := newBatch(64, 2048)
	for {
		n, err := b.read(conn)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(time.Millisecond)
		}
		read := g.now()
		for i := range n {
			at := read
			if st := b.stamps[i]; st != 0 { // the kernel's stamp, on the wall clock
				at = st - g.epoch.UnixNano()
			}
			g.receive(b.bufs[i][:b.lens[i]], b.addrs[i], at, calleeSide)
		}
	}
}

func (g *generator) receive(pkt []byte, from netip.AddrPort, at int64, calleeSide bool) {
	f, err := parsePacket(pkt)
	c := g.call(f.Call)
	if err != nil || c == nil || (calleeSide != (f.Dir == dirAB)) {
		g.stray.Add(1)
		return
	}
	if calleeSide && c.legB.Load() == nil {
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		c.legB.CompareAndSwap(nil, &from)
	}
	transit := min(at-f.Sent, 1<<31-1)
	to := g.winTo.Load()
	counts := f.Sent >= g.winFrom.Load() && (to == 0 || f.Sent < to)
	s := &c.dir[f.Dir]
	s.mu.Lock()
	if s.got.Add(f.Seq) {
		if counts {
			s.transits = append(s.transits, int32(transit))
		}
	} else {
		s.dups++
	}
	s.mu.Unlock()
}

// Close closes the sockets and waits for the readers.
func (g *generator) Close() {
	for _, c := range slices.Concat(g.caller, g.callee) {
		c.Close()
	}
	g.wg.Wait()
}

// window makes only the frames sent from from until to (ns since the
// epoch; to 0: no end) count towards transit and delay variation; loss
// counts every frame.
func (g *generator) window(from, to int64) {
	g.winFrom.Store(from)
	g.winTo.Store(to)
}

// active counts the calls whose audio flows both ways now.
func (g *generator) active() int {
	n := 0
	p := g.phase.Load()
	for _, c := range p.calls[:p.n+1] {
		if c != nil && c.started.Load() != 0 && c.legB.Load() != nil && !c.stopped.Load() {
			n++
		}
	}
	return n
}

// audioResult sums up the audio of some calls.
type audioResult struct {
	Calls          int    // calls whose audio flowed both ways
	Sent, Received uint64 // frames
	Dups           uint64
	Loss           float64 // percent
	JitterP99      time.Duration
	TransitP50     time.Duration
	TransitP99     time.Duration
	LossyCalls     int // calls that lost any frame
}

// result computes the loss and delay variation of the phase's calls
// through callfloor and of the control calls; call it once the sender has
// stopped and the last frames have had time to arrive.
func (g *generator) result() (relayed, control audioResult) {
	p := g.phase.Load()
	return summarize(p.calls[1 : p.n+1]), summarize(p.calls[p.n+1:])
}

func summarize(calls []*genCall) audioResult {
	var r audioResult
	var devs, all []int32
	for _, c := range calls {
		if c.started.Load() == 0 {
			continue
		}
		if c.dir[dirBA].sent.Load() > 0 {
			r.Calls++
		}
		lossy := false
		for d := range c.dir {
			s := &c.dir[d]
			s.mu.Lock()
			sent, got := s.sent.Load(), s.got.Len()
			r.Sent += sent
			r.Received += min(got, sent)
			r.Dups += s.dups
			lossy = lossy || got < sent
			all = append(all, s.transits...)
			devs = streamstats.Deviations(devs, s.transits)
			s.mu.Unlock()
		}
		if lossy {
			r.LossyCalls++
		}
	}
	r.Loss = streamstats.LossPercent(r.Sent, r.Received)
	slices.Sort(devs)
	slices.Sort(all)
	r.JitterP99 = time.Duration(streamstats.Percentile(devs, 0.99))
	r.TransitP50 = time.Duration(streamstats.Percentile(all, 0.50))
	r.TransitP99 = time.Duration(streamstats.Percentile(all, 0.99))
	return r
}
