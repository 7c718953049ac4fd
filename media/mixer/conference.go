package mixer

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned by Join once the conference has stopped.
var ErrClosed = errors.New("mixer: conference closed")

// Conference mixes its parties' audio. Its state belongs to the goroutine
// that calls Run; the other methods talk to it.
type Conference struct {
	tick  <-chan time.Time
	join  chan *Party
	leave chan *Party
	done  chan struct{}

	// Owned by Run.
	parties []*Party
	in, out []Frame
}

// New returns a conference mixed at each value received from tick:
// time.NewTicker(20 * time.Millisecond).C in production, a channel the
// test sends on to step it.
func New(tick <-chan time.Time) *Conference {
	return &Conference{
		tick:  tick,
		join:  make(chan *Party),
		leave: make(chan *Party),
		done:  make(chan struct{}),
	}
}

// Run mixes until ctx is done, then closes every party's channel. Call it
// once, in the conference's own goroutine.
func (c *Conference) Run(ctx context.Context) {
	defer func() {
		for _, p := range c.parties {
			close(p.out)
		}
		c.parties = nil
		close(c.done)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-c.join:
			c.parties = append(c.parties, p)
		case p := <-c.leave:
			c.remove(p)
		case <-c.tick:
			c.mix()
		}
	}
}

func (c *Conference) remove(p *Party) {
	for i, q := range c.parties {
		if q == p {
			c.parties = append(c.parties[:i], c.parties[i+1:]...)
			close(p.out)
			return
		}
	}
}

// mix is one tick.
func (c *Conference) mix() {
	n := len(c.parties)
	if cap(c.in) < n {
		c.in, c.out = make([]Frame, n), make([]Frame, n)
	}
	c.in, c.out = c.in[:n], c.out[:n]
	for i, p := range c.parties {
		p.take(&c.in[i])
	}
	Mix(c.out, c.in)
	for i, p := range c.parties {
		p.deliver(&c.out[i])
	}
}

// Join adds a party, which is mixed from the next tick on. It fails with
// ErrClosed once Run has returned.
func (c *Conference) Join() (*Party, error) {
	p := &Party{conf: c, out: make(chan Frame, 1)}
	select {
	case c.join <- p:
		return p, nil
	case <-c.done:
		return nil, ErrClosed
	}
}

// Party is one participant of a conference: Write gives it the party's
// voice, C delivers what the party hears.
type Party struct {
	conf *Conference
	out  chan Frame

	mu     sync.Mutex
	in     Frame
	fresh  bool // in was written since the last tick
	source func(*Frame) bool
}

// SetSource makes the mixer pull the party's frame at each tick from
// source (a jitter buffer, say) instead of the last Write: it fills the
// frame and reports whether it did (false: silence). It is called from
// the mixer's goroutine and must not block.
func (p *Party) SetSource(source func(*Frame) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.source = source
}

// Write sets the party's latest frame from up to FrameSamples samples (a
// shorter frame is padded with silence). A frame written twice between
// ticks keeps only the second.
func (p *Party) Write(samples []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := copy(p.in[:], samples)
	clear(p.in[n:])
	p.fresh = true
}

// take copies the latest frame into f, or silence if none came.
func (p *Party) take(f *Frame) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.source != nil {
		if !p.source(f) {
			*f = Frame{}
		}
		return
	}
	if p.fresh {
		*f = p.in
		p.fresh = false
	} else {
		*f = Frame{}
	}
}

// deliver hands a frame to the party without ever blocking the mixer: a
// frame the party has not read yet is replaced.
func (p *Party) deliver(f *Frame) {
	select {
	case p.out <- *f:
		return
	default:
	}
	select {
	case <-p.out:
	default:
	}
	select {
	case p.out <- *f:
	default:
	}
}

// C delivers what the party hears, a frame a tick. It is closed when the
// party leaves or the conference stops. A party that falls behind gets
// only the latest frame.
func (p *Party) C() <-chan Frame { return p.out }

// Leave removes the party from the conference; C is closed. Leaving twice,
// or after the conference stopped, does nothing.
func (p *Party) Leave() {
	select {
	case p.conf.leave <- p:
	case <-p.conf.done:
	}
}
