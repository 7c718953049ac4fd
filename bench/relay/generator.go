package main

import (
	"context"
	"net/netip"
	"time"

	"github.com/callfloor/callfloor/bench/internal/streamstats"
)

// generator plays both phones of every call: a 20 ms PCMU frame each way
// per call, from a few UDP sockets a side (phone A of call i is socket
// i mod n of side A, and so for B), and checks that every frame arrives
// at the far phone. One goroutine does it all on a 1 ms tick: it sends
// the frames due, in batches (sendmmsg), then reads what has arrived on
// every socket (recvmmsg) without waiting, so that the relays' packets
// never wake it and its CPU goes into packets rather than wake-ups.
type generator struct {
	a, b []*udpSocket
	// relayed counts frames received through a relay (control frames
	// not), over all phases; stray, datagrams that are no frame of the
	// phase; unstamped, frames without the kernel's arrival time; sendErrors,
	// frames the system did not send. Only run touches them.
	relayed, stray, unstamped, sendErrors uint64
}

// batchSize is how many datagrams go in one system call.
const batchSize = 64

// controlCalls is how many calls of each phase go from the generator to
// itself, not through a relay: the delay variation they see is the
// generator's and the kernel's own, the baseline of the measurement.
const controlCalls = 10

func newGenerator(perSide int) (*generator, error) {
	g := &generator{}
	for i := range 2 * perSide {
		s, err := openSocket(8<<20, batchSize)
		if err != nil {
			g.Close()
			return nil, err
		}
		if i < perSide {
			g.a = append(g.a, s)
		} else {
			g.b = append(g.b, s)
		}
	}
	return g, nil
}

// phones returns the addresses of call i's phones.
func (g *generator) phones(i int) [2]netip.AddrPort {
	return [2]netip.AddrPort{g.a[i%len(g.a)].addr, g.b[i%len(g.b)].addr}
}

// Close closes the sockets.
func (g *generator) Close() {
	for _, s := range append(g.a[:len(g.a):len(g.a)], g.b...) {
		s.close()
	}
}

// target is one relay's calls as the generator sees them.
type target struct {
	name string
	pid  int
	to   [][2]netip.AddrPort // per call: where phone A sends, where B sends
}

func newTarget(name string, pid int, legs [][2]netip.AddrPort) *target {
	return &target{name: name, pid: pid, to: legs}
}

func (t *target) calls() int { return len(t.to) }

// phase is the traffic of one phase: the target's calls, then the
// control calls. Only run touches it until run returns.
type phase struct {
	id      uint8
	t       *target
	calls   int
	streams []stream // call*2+dir
	// The measured time: frames sent in it are measured; the snapshots
	// are taken as it opens and closes.
	open, close time.Time
	// ramp is how long the calls take to start, one after another, at
	// the start of the warm-up, as calls set up over time would rather
	// than all in the same millisecond.
	ramp   time.Duration
	snap   [2]snapshot
	onOpen func() // if set, called as the measured time opens
}

// stream is one direction of a call in a phase.
type stream struct {
	seq      uint32             // the next frame's number
	sent     uint64             // measured frames sent
	got      streamstats.SeqSet // measured frames received
	dups     uint64
	transits []int32 // us, per measured frame received
}

// snapshot is the counters at one end of the measured time.
type snapshot struct {
	at        time.Time
	serverCPU time.Duration
	cpuErr    error
	selfCPU   time.Duration
	relayed   uint64
	drops     int64
	serverBusy, serverTotal,
	genBusy, genTotal uint64
}

func newPhase(id uint8, t *target, open, close time.Time) *phase {
	frames := int(close.Sub(open)/(slots*time.Millisecond)) + 100
	p := &phase{id: id, t: t, calls: t.calls(), streams: make([]stream, 2*(t.calls()+controlCalls)), open: open, close: close}
	for i := range p.streams {
		p.streams[i].transits = make([]int32, 0, frames)
	}
	return p
}

// run sends the phase's frames until it closes, and reads on until
// nothing has come for quiet (a relay behind on its queue still
// delivers), at most maxDrain: every millisecond the frames of the calls in that millisecond's
// slot, so that each call's frames leave every 20 ms and the calls are
// spread over the 20 ms. A late tick catches up at once, so the rate
// holds on average.
func (g *generator) run(ctx context.Context, p *phase, quiet, maxDrain time.Duration, snap func(*generator) snapshot) error {
	fromA, fromB := newOutBatches(g.a), newOutBatches(g.b)
	n := len(g.a)
	ctrl := make([][2]netip.AddrPort, controlCalls)
	for c := range ctrl {
		ctrl[c] = [2]netip.AddrPort{g.b[c%n].addr, g.a[c%n].addr}
	}
	start, measuring, opened := time.Now(), false, false
	var lastArrival time.Time
	for tick := 0; ; tick++ {
		if d := time.Until(start.Add(time.Duration(tick) * time.Millisecond)); d > 0 {
			time.Sleep(d)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		now := time.Now()
		switch {
		case !opened && !now.Before(p.open):
			p.snap[0], opened, measuring = snap(g), true, true
			if p.onOpen != nil {
				go p.onOpen()
			}
		case measuring && !now.Before(p.close):
			g.receiveAll(p) // what came in the measured time
			p.snap[1], measuring = snap(g), false
		}
		if now.Before(p.close) {
			started := p.calls
			if el := now.Sub(start); el < p.ramp {
				started = int(int64(p.calls) * int64(el) / int64(p.ramp))
			}
			g.sendTick(p, tick, started, measuring, fromA, fromB, ctrl)
		} else if now.After(p.close.Add(maxDrain)) || now.After(p.close) && now.Sub(lastArrival) > quiet {
			return nil
		}
		if g.receiveAll(p) > 0 {
			lastArrival = now
		}
	}
}

// sendTick sends the frames of the tick's slot, of the calls started
// and the control calls.
func (g *generator) sendTick(p *phase, tick, started int, measured bool, fromA, fromB []*outBatch, ctrl [][2]netip.AddrPort) {
	n := len(fromA)
	for i := tick % slots; i < p.calls+controlCalls; i += slots {
		var to *[2]netip.AddrPort
		switch {
		case i < started:
			to = &p.t.to[i]
		case i < p.calls:
			continue // not started yet
		default:
			to = &ctrl[i-p.calls]
		}
		for dir, side := range [2][]*outBatch{fromA, fromB} {
			s := &p.streams[2*i+dir]
			f := frame{Phase: p.id, Measured: measured, Dir: uint8(dir), Call: uint32(i), Seq: s.seq}
			s.seq++
			if o := side[i%n]; o.add(to[dir], f, s) {
				g.flush(o)
			}
		}
	}
	for _, side := range [2][]*outBatch{fromA, fromB} {
		for _, o := range side {
			g.flush(o)
		}
	}
}

// outBatch gathers the frames one socket sends in a tick.
type outBatch struct {
	s       *udpSocket
	bufs    [][]byte
	to      []netip.AddrPort
	streams []*stream // of each frame, nil if not measured
	n       int
}

func newOutBatches(socks []*udpSocket) []*outBatch {
	out := make([]*outBatch, len(socks))
	for i, s := range socks {
		o := &outBatch{s: s, bufs: make([][]byte, batchSize), to: make([]netip.AddrPort, batchSize), streams: make([]*stream, batchSize)}
		for j := range o.bufs {
			o.bufs[j] = make([]byte, 0, packetSize)
		}
		out[i] = o
	}
	return out
}

// add puts a frame in the batch and reports whether the batch is full.
func (o *outBatch) add(to netip.AddrPort, f frame, s *stream) bool {
	f.Sent = time.Now().UnixNano()
	o.bufs[o.n] = appendPacket(o.bufs[o.n][:0], f)
	o.to[o.n], o.streams[o.n] = to, nil
	if f.Measured {
		o.streams[o.n] = s
	}
	o.n++
	return o.n == len(o.bufs)
}

// flush sends the gathered frames; only those sent count as sent.
func (g *generator) flush(o *outBatch) {
	if o.n == 0 {
		return
	}
	sent, _ := o.s.send(o.bufs[:o.n], o.to[:o.n])
	for _, s := range o.streams[:sent] {
		if s != nil {
			s.sent++
		}
	}
	g.sendErrors += uint64(o.n - sent)
	o.n = 0
}

// receiveAll reads what has arrived on every socket and returns how many
// datagrams that was.
func (g *generator) receiveAll(p *phase) int {
	var now int64
	total := 0
	for _, side := range [2][]*udpSocket{g.a, g.b} {
		for _, s := range side {
			for {
				n, err := s.recv()
				if err != nil || n == 0 {
					break
				}
				total += n
				for i := range n {
					pkt, at, ok := s.datagram(i)
					if !ok {
						if now == 0 {
							now = time.Now().UnixNano()
						}
						at = now
						g.unstamped++
					}
					g.receive(p, pkt, at)
				}
				if n < batchSize {
					break
				}
			}
		}
	}
	return total
}

func (g *generator) receive(p *phase, pkt []byte, at int64) {
	f, err := parsePacket(pkt)
	if err != nil || f.Phase != p.id || int(f.Call) >= p.calls+controlCalls {
		g.stray++
		return
	}
	if int(f.Call) < p.calls {
		g.relayed++
	}
	if !f.Measured {
		return
	}
	s := &p.streams[2*int(f.Call)+int(f.Dir)]
	if s.got.Add(f.Seq) {
		s.transits = append(s.transits, int32(min(max(at-f.Sent, 0)/1000, 1<<31-1)))
	} else {
		s.dups++
	}
}
