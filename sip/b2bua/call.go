package b2bua

import (
	"context"
	"errors"
	"sync"

	"github.com/callfloor/callfloor/media/relay"
	"github.com/callfloor/callfloor/media/tone"
	"github.com/emiago/sipgo/sip"
)

// call is one conversation, known to the floor by its ID: two legs, the
// calling side's and the called side's. Transfers replace a leg; a
// conference joins calls around one agent's phone. Guarded by B2BUA.mu.
type call struct {
	b    *B2BUA
	id   string
	base Event // the identity fields of the call's events
	legs [2]*leg
	// held[i]: side i put the call on hold (the other side hears music).
	held [2]bool
	// consultFor is the call an attended transfer would hand over to
	// this call's target (set on a consultation).
	consultFor *call
	conf       *conference
	// pending is the extension being rung to join the call (a transfer
	// target, a dialled extension), and cancel stops that ringing.
	pending  int64
	cancel   context.CancelFunc
	answered bool
	ended    bool
	// queue is the queue a caller waits in (0: not a queue call), with
	// what they hear meanwhile; rings stops each member being rung.
	queue     int64
	waitSound tone.Generator
	rings     map[int64]context.CancelFunc
	// campaign is the campaign of a customer a power campaign called
	// (DialCustomer), who waits like a queue caller, in silence until
	// Abandon gives waitSound its message.
	campaign int64
	// shown is the number a campaign's customer was called from.
	shown string
}

// waits reports whether the call's first side waits for a member or an
// agent (a queue caller, a power campaign's customer).
func (c *call) waits() bool { return c.queue != 0 || c.campaign != 0 }

// side returns the index of l in c, -1 when absent.
func (c *call) side(l *leg) int {
	for i, m := range c.legs {
		if m == l && l != nil {
			return i
		}
	}
	return -1
}

// sideOf returns the index of the leg of extension ext, -1 when none.
func (c *call) sideOf(ext int64) int {
	for i, l := range c.legs {
		if l != nil && l.extID() == ext && ext != 0 {
			return i
		}
	}
	return -1
}

// parties are the extension IDs on the call.
func (c *call) parties() []int64 {
	var ps []int64
	for _, l := range c.legs {
		if id := l.extID(); id != 0 {
			ps = append(ps, id)
		}
	}
	if c.pending != 0 {
		ps = append(ps, c.pending)
	}
	return ps
}

// event returns an event of the call.
func (c *call) event(kind EventKind) Event {
	e := c.base
	e.Kind, e.Parties = kind, c.parties()
	return e
}

// remedia routes the media of the call's legs from its state: talking,
// held (music for the held side, silence for the holder), ringing
// (ringback) or in a conference. Legs whose media follows another call
// are left alone. B2BUA.mu is held.
func (c *call) remedia() {
	if c.ended || c.conf != nil {
		return
	}
	on := func(i int) bool {
		l := c.legs[i]
		return l != nil && l.up && !l.gone && l.active == c && !l.away
	}
	if on(0) && on(1) && !c.held[0] && !c.held[1] {
		relay.Connect(c.legs[0].media, c.legs[1].media)
		return
	}
	for i := range c.legs {
		if !on(i) {
			continue
		}
		me, other := c.legs[i].media, c.legs[1-i]
		switch {
		case c.held[1-i] || (other != nil && other.up && (other.active != c || other.away)):
			me.Play(tone.NewMusic()) // held, or the other side is busy on another line
		case c.held[i]:
			me.Silence()
		case (other == nil || !other.up) && c.waits() && i == 0:
			if c.waitSound == nil {
				me.Silence()
			} else {
				me.Play(c.waitSound)
			}
		case other == nil || !other.up:
			me.Play(tone.New(tone.UKRingback))
		default:
			me.Silence()
		}
	}
}

// join puts l in c on side i, as the leg whose media follows c.
func (c *call) join(i int, l *leg) {
	c.legs[i] = l
	if !l.inCall(c) {
		l.calls = append(l.calls, c)
	}
	l.active = c
}

// endLocked ends the call: it leaves every leg, and returns the legs now
// in no call, to hang up (except by, the leg that hung up). B2BUA.mu is
// held.
func (c *call) endLocked(by *leg) []*leg {
	if c.ended {
		return nil
	}
	c.ended = true
	delete(c.b.calls, c.id)
	if c.cancel != nil {
		c.cancel()
	}
	for _, stop := range c.rings {
		stop()
	}
	if c.conf != nil {
		c.conf.remove(c)
	}
	var idle []*leg
	for _, l := range c.legs {
		if l == nil {
			continue
		}
		l.drop(c)
		if len(l.calls) == 0 && !l.gone {
			if l != by {
				idle = append(idle, l)
			}
			l.gone = true
		} else if len(l.calls) > 0 && l.active == nil && l.up && !l.gone {
			l.media.Silence() // its other lines stay on hold until resumed
		}
	}
	return idle
}

// end ends the call for reason, hangs up the legs left idle and reports
// it. by is the leg that hung up, if any.
func (c *call) end(by *leg, reason string) {
	b := c.b
	b.mu.Lock()
	if c.ended {
		b.mu.Unlock()
		return
	}
	e := c.event(Ended)
	idle := c.endLocked(by)
	b.mu.Unlock()
	hangupAll(idle)
	if by != nil {
		by.release()
	}
	e.Reason = reason
	b.emit(e)
}

// hangupAll hangs up legs in parallel and waits.
func hangupAll(legs []*leg) {
	var wg sync.WaitGroup
	for _, l := range legs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.hangup()
		}()
	}
	wg.Wait()
}

// failure is why a call could not be set up: the status for the caller
// and the reason of the Ended event.
type failure struct {
	status int
	text   string
	reason string
	err    error
	// headers go in the answer to the caller (Min-SE in a 422).
	headers []sip.Header
}

func (f *failure) Error() string {
	if f.err != nil {
		return f.reason + ": " + f.err.Error()
	}
	return f.reason
}

func fail(status int, text, reason string, err error) *failure {
	return &failure{status: status, text: text, reason: reason, err: err}
}

// isCanceled reports whether err ends a wait for the callee because the
// caller canceled.
func isCanceled(err error) bool {
	return errors.Is(err, sip.ErrTransactionCanceled) || errors.Is(err, context.Canceled)
}
