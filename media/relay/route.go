package relay

import (
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor/media/dtmf"
	"github.com/callfloor/callfloor/media/g711"
	"github.com/callfloor/callfloor/media/rtp"
	"github.com/callfloor/callfloor/media/tone"
)

// Routing. Every leg has an id, and so has every player and conference:
// they are the sources a leg can listen to. A leg sends on only what comes
// from its source (nothing when the source is 0), and forwards what it
// receives to its peer (or into its conference). Connect makes two legs
// each other's peer and source; Play, Silence and conferences change only
// what one leg hears.

// sourceIDs gives out source ids above 1<<32, so that none is ever an
// RTP SSRC (32 bits).
var sourceIDs atomic.Uint64

func newSourceID() uint64 { return 1<<32 | sourceIDs.Add(1) }

func realTicker() (<-chan time.Time, func()) {
	t := time.NewTicker(20 * time.Millisecond)
	return t.C, t.Stop
}

// route hands a received packet on: its key presses to onDigit (called
// from after), the packet to the peer or the conference. It runs on l's
// poller with l.mu held, and unlocks it.
func (l *Leg) route(h rtp.Header, data []byte, now time.Time, after *[]func()) {
	peer, party, muted, pt, evPT, onDigit := l.peer, l.party, l.muted, l.pt, l.evPT, l.onDigit
	l.mu.Unlock()
	switch h.PayloadType {
	case evPT:
		if onDigit != nil {
			l.presses, _ = l.det.Feed(l.presses[:0], h.Timestamp, h.Marker, data)
			for _, p := range l.presses {
				*after = append(*after, func() { onDigit(p) })
			}
		}
		if peer != nil {
			peer.send(l.id, h, payload{event: true, data: data}, now)
		}
	case pt:
		switch {
		case muted:
		case party != nil:
			party.push(h.Seq, pt, data)
		case peer != nil:
			peer.send(l.id, h, payload{pt: pt, data: data}, now)
		}
	}
}

// Connect joins a and b: each hears the other, and whatever either was
// playing or mixing stops. b moves to the poller reading a.
func Connect(a, b *Leg) {
	a.detach()
	b.detach()
	a.pollMu.Lock()
	p := a.poller
	a.pollMu.Unlock()
	if p != nil {
		b.share(p)
	}
	a.mu.Lock()
	a.peer, a.source = b, b.id
	a.mu.Unlock()
	b.mu.Lock()
	b.peer, b.source = a, a.id
	b.mu.Unlock()
}

// Listen makes l hear src (and only src) again, as after Connect, without
// changing where either sends: the way back from Play or Silence.
func (l *Leg) Listen(src *Leg) {
	l.detach()
	l.mu.Lock()
	l.source = src.id
	l.mu.Unlock()
}

// Silence stops what l hears: it sends nothing. Where its own audio goes
// does not change.
func (l *Leg) Silence() {
	l.detach()
}

// Play makes l hear g, a 20 ms frame each tick, encoded in l's payload
// type, instead of what it heard. g is used only by the player's goroutine
// until l plays something else.
func (l *Leg) Play(g tone.Generator) {
	l.detach()
	p := &player{id: newSourceID(), quit: make(chan struct{}), done: make(chan struct{})}
	l.mu.Lock()
	l.player, l.source = p, p.id
	l.mu.Unlock()
	tick, stop := l.newTicker()
	go func() {
		defer close(p.done)
		defer stop()
		var frame [tone.FrameSamples]int16
		var hdr rtp.Header
		for {
			select {
			case <-p.quit:
				return
			case <-tick:
			}
			g.Fill(frame[:])
			l.send(p.id, hdr, payload{pcm: frame[:]}, l.now())
			hdr.Seq++
			hdr.Timestamp += frameTicks
		}
	}()
}

// SetMuted stops (or restarts) forwarding the audio l receives: the other
// side hears silence while l is muted. Key presses still go through.
func (l *Leg) SetMuted(muted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.muted = muted
}

// Muted reports whether l is muted.
func (l *Leg) Muted() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.muted
}

// OnDigit sets the function called once per key press l receives, from
// the poller reading l; it must not block. nil stops the reports.
func (l *Leg) OnDigit(f func(dtmf.Press)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onDigit = f
}

// SendDigits sends keys to the phone on l as RFC 4733 telephone-events, each
// lasting d, with a 60 ms gap between keys. While the digits play, l hears
// nothing else; then it hears its former source again. It returns once
// the last key is sent, or at the first key dtmf does not know.
func (l *Leg) SendDigits(keys string, d time.Duration) error {
	plans := make([][]dtmf.Packet, 0, len(keys))
	for i := range len(keys) {
		p, err := dtmf.Generate(keys[i], d, 10)
		if err != nil {
			return err
		}
		plans = append(plans, p)
	}
	l.mu.Lock()
	id, prev := newSourceID(), l.source
	l.source = id
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		if l.source == id {
			l.source = prev
		}
		l.mu.Unlock()
	}()
	tick, stop := l.newTicker()
	defer stop()
	var hdr rtp.Header
	for i, plan := range plans {
		if i > 0 {
			for range 3 { // the gap between keys
				<-tick
				hdr.Timestamp += frameTicks
			}
		}
		start := hdr.Timestamp
		for _, p := range plan {
			<-tick
			b, err := p.Event.Marshal()
			if err != nil {
				return err
			}
			h := hdr
			h.Timestamp, h.Marker = start, p.Marker
			l.send(id, h, payload{event: true, data: b}, l.now())
			hdr.Seq++
			hdr.Timestamp += frameTicks
		}
	}
	return nil
}

// detach stops l's player and takes it out of its conference; l then
// hears nothing.
func (l *Leg) detach() {
	l.mu.Lock()
	p, pa := l.player, l.party
	l.player, l.party, l.source = nil, nil, 0
	l.mu.Unlock()
	if p != nil {
		close(p.quit)
		<-p.done
	}
	if pa != nil {
		pa.leave()
	}
}

// player feeds a leg from a generator.
type player struct {
	id         uint64
	quit, done chan struct{}
}

// decodeG711 appends the G.711 payload data of type pt to pcm as linear
// samples; other types append nothing.
func decodeG711(pcm []int16, pt uint8, data []byte) []int16 {
	n := len(pcm)
	pcm = append(pcm, make([]int16, len(data))...)
	switch pt {
	case g711.PayloadTypePCMU:
		g711.DecodePCMU(pcm[n:], data)
	case g711.PayloadTypePCMA:
		g711.DecodePCMA(pcm[n:], data)
	default:
		return pcm[:n]
	}
	return pcm
}
