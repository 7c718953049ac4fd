package relay

import (
	"time"

	"context"
	"sync"

	"github.com/callfloor/callfloor/media/jitter"
	"github.com/callfloor/callfloor/media/mixer"
	"github.com/callfloor/callfloor/media/rtp"
)

// Conference mixes three or more legs: each hears the sum of the others
// and not itself. It runs one mixer goroutine on a 20 ms ticker.
type Conference struct {
	id     uint64
	mix    *mixer.Conference
	cancel context.CancelFunc
	done   chan struct{}
}

// NewConference starts a conference paced by newTicker (nil: a 20 ms
// time.Ticker). Close stops it.
func NewConference(newTicker func() (<-chan time.Time, func())) *Conference {
	if newTicker == nil {
		newTicker = realTicker
	}
	tick, stop := newTicker()
	ctx, cancel := context.WithCancel(context.Background())
	c := &Conference{id: newSourceID(), mix: mixer.New(tick), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer stop()
		c.mix.Run(ctx)
	}()
	return c
}

// Add moves l into the conference: it stops hearing what it heard (and
// its audio stops going where it went) and joins the mix.
func (c *Conference) Add(l *Leg) error {
	l.detach()
	mp, err := c.mix.Join()
	if err != nil {
		return err
	}
	p := &party{mp: mp, done: make(chan struct{}), jb: jitter.New(jitterDepth)}
	mp.SetSource(p.pop)
	l.mu.Lock()
	l.party, l.peer, l.source = p, nil, c.id
	l.mu.Unlock()
	go func() {
		defer close(p.done)
		var hdr rtp.Header
		for f := range mp.C() {
			l.send(c.id, hdr, payload{pcm: f[:]}, l.now())
			hdr.Seq++
			hdr.Timestamp += frameTicks
		}
	}()
	return nil
}

// Remove takes l out of the conference; it then hears nothing until
// connected or played to again.
func (c *Conference) Remove(l *Leg) {
	l.mu.Lock()
	in := l.party != nil && l.source == c.id
	l.mu.Unlock()
	if in {
		l.detach()
	}
}

// Close stops the mixer; its legs hear nothing until routed elsewhere.
func (c *Conference) Close() {
	c.cancel()
	<-c.done
}

// jitterDepth is how many 20 ms frames a conference party's jitter
// buffer holds back: packets arrive unevenly, the mixer ticks evenly.
const jitterDepth = 2

// party is a leg's place in a conference. What the leg receives goes
// through a jitter buffer, which the mixer pulls a frame from each tick.
type party struct {
	mp   *mixer.Party
	done chan struct{} // closed when the sender goroutine returns
	once sync.Once

	mu  sync.Mutex
	jb  *jitter.Buffer
	pcm []int16 // decode buffer, used by the mixer's goroutine only
}

// push buffers a received G.711 packet (the leg's reader).
func (p *party) push(seq uint16, pt uint8, data []byte) {
	b := make([]byte, 1+len(data))
	b[0] = pt
	copy(b[1:], data)
	p.mu.Lock()
	p.jb.Push(seq, b)
	p.mu.Unlock()
}

// pop fills f with the party's next frame (the mixer's goroutine); a
// frame lost or not there yet is silence.
func (p *party) pop(f *mixer.Frame) bool {
	p.mu.Lock()
	_, b, st := p.jb.Pop()
	p.mu.Unlock()
	if st != jitter.Played || len(b) < 1 {
		return false
	}
	p.pcm = decodeG711(p.pcm[:0], b[0], b[1:])
	n := copy(f[:], p.pcm)
	clear(f[n:])
	return true
}

// leave takes the party out of the mix and waits for its sender.
func (p *party) leave() {
	p.once.Do(func() {
		p.mp.Leave()
		<-p.done
	})
}
