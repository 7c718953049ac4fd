package b2bua

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/media/prompt"
	"github.com/callfloor/callfloor/media/tone"
	"github.com/callfloor/callfloor/sip/sdp"
	"github.com/emiago/sipgo/sip"
)

// QueueRouter takes the calls to queue numbers. The B2BUA answers such a
// caller at once and holds them with music; the router then rings members
// with Ring until one answers, and may announce the caller's position
// (Announce), move them to another queue (MoveQueue) or let them go
// (Drop). A waiting caller who hangs up ends the call as usual (an Ended
// event with ReasonCallerHangup, and no Answered before it).
type QueueRouter interface {
	// QueueByNumber returns the ID of the account's queue with number,
	// 0 when there is none.
	QueueByNumber(ctx context.Context, account int64, number string) (int64, error)
	// Enqueue hands over a caller now waiting in a queue. It must not
	// block.
	Enqueue(Waiting)
}

// Waiting is a caller the B2BUA answered for a queue.
type Waiting struct {
	CallID    string
	AccountID int64
	QueueID   int64
	// Caller is the calling extension; nil for a carrier's call.
	Caller *callfloor.Extension
	// From is the caller's number, Number the number dialled.
	From, Number string
	At           time.Time
}

// RingOptions say how a member is rung for a waiting call.
type RingOptions struct {
	// Timeout is how long the member may ring (the queue's ring timeout);
	// 0 is Config.RingTimeout.
	Timeout time.Duration
	// AutoAnswer asks the member's phone to answer at once (the agent
	// hears a beep first).
	AutoAnswer bool
}

// RingFailure is why a member did not take a waiting call: Reason is
// ReasonNoAnswer, ReasonRejected (Status says how: busy, declined),
// ReasonUnavailable (no phone answered the INVITE at all) or
// ReasonCanceled (the ring was stopped: another member answered, or the
// caller left).
type RingFailure struct {
	Reason string
	Status int
}

func (f *RingFailure) Error() string {
	if f.Status != 0 {
		return fmt.Sprintf("b2bua: member not reached: %s (%d)", f.Reason, f.Status)
	}
	return "b2bua: member not reached: " + f.Reason
}

// queueCall answers a caller for queue s.queueID: the caller hears music
// until Ring connects a member.
func (s *setup) queueCall(offerA *sdp.Session) *failure {
	b := s.b
	if f := s.callerLeg(); f != nil {
		return f
	}
	s.ev.QueueID = s.queueID
	s.c = &call{b: b, id: s.ev.CallID, base: s.ev, queue: s.queueID, waitSound: tone.NewMusic()}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	ansA, err := s.a.answerOffer(ctx, s.req.Body(), offerA)
	cancel()
	if err != nil {
		return fail(sip.StatusNotAcceptableHere, "Not Acceptable Here", ReasonNotAcceptable, err)
	}
	b.mu.Lock()
	b.legs[s.a.id] = s.a
	b.calls[s.c.id] = s.c
	c := s.c
	c.join(0, s.a)
	s.a.up = true
	s.a.quiet = sendsNothing(offerA)
	c.remedia()
	e := c.event(Queued)
	b.mu.Unlock()

	err = s.answer(ansA)
	close(s.a.answered)
	if err != nil {
		s.unconfirmed(c, err)
		return nil
	}
	b.emit(e)
	b.cfg.Queues.Enqueue(Waiting{CallID: c.id, AccountID: s.account, QueueID: s.queueID, Caller: s.caller,
		From: s.from, Number: s.ev.Number, At: b.cfg.Now()})
	return nil
}

// waiting finds a call that waits in a queue. B2BUA.mu is held.
func (b *B2BUA) waiting(account int64, callID string) (*call, error) {
	c := b.calls[callID]
	switch {
	case c == nil || c.ended || c.base.AccountID != account || !c.waits():
		return nil, callfloor.Errorf(callfloor.ErrUnknownCall, "no waiting call %s", callID)
	case c.legs[1] != nil:
		return nil, callfloor.Errorf(callfloor.ErrCallState, "call %s was answered", callID)
	}
	return c, nil
}

// Ring rings ext's phones (every registration) for the waiting call
// callID and connects the first to answer with the caller, then reports
// Answered with ext among the parties. It blocks until then, and returns
// nil once connected; a *RingFailure when the member did not take it; an
// error with code call_state_conflict or unknown_call when the call was
// answered by someone else or ended meanwhile. Canceling ctx stops the
// ringing. Several members may ring for one call at once (ring all): the
// first answer wins and stops the others.
func (b *B2BUA) Ring(ctx context.Context, account int64, callID string, ext *callfloor.Extension, o RingOptions) error {
	if o.Timeout <= 0 || o.Timeout > b.cfg.RingTimeout {
		o.Timeout = b.cfg.RingTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	b.mu.Lock()
	c, err := b.waiting(account, callID)
	if err == nil && c.rings[ext.ID] != nil {
		err = callfloor.Errorf(callfloor.ErrCallState, "extension %s is ringing for call %s already", ext.Number, callID)
	}
	if err != nil {
		b.mu.Unlock()
		return err
	}
	if c.rings == nil {
		c.rings = map[int64]context.CancelFunc{}
	}
	c.rings[ext.ID] = cancel
	caller := c.legs[0]
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(c.rings, ext.ID)
		b.mu.Unlock()
	}()

	nl, f := b.dialOut(ctx, outgoing{callID: c.id, accountID: account, ext: ext, from: caller.number,
		codec: payloadType(caller), autoAnswer: o.AutoAnswer}, func() {})
	if f != nil {
		reason := f.reason
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			reason = ReasonNoAnswer
		} else if ctx.Err() != nil {
			reason = ReasonCanceled
		}
		return &RingFailure{Reason: reason, Status: f.status}
	}
	if o.AutoAnswer {
		nl.media.Play(tone.New(tone.Beep))
		time.Sleep(beepTime)
	}
	b.mu.Lock()
	if _, err := b.waiting(account, callID); err != nil {
		b.mu.Unlock()
		nl.hangup()
		return err
	}
	c.join(1, nl)
	nl.up, c.answered = true, true
	c.base.To = ext.ID
	for other, stop := range c.rings {
		if other != ext.ID {
			stop()
		}
	}
	c.remedia()
	e := c.event(Answered)
	b.mu.Unlock()
	b.emit(e)
	return nil
}

// Announce tells the waiting caller of call callID their position in
// the queue, then goes back to music.
func (b *B2BUA) Announce(account int64, callID string, position int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.waiting(account, callID)
	if err != nil {
		return err
	}
	c.waitSound = prompt.Position(position, tone.NewMusic())
	c.remedia()
	return nil
}

// MoveQueue records that the waiting call now waits in another queue
// (the first one overflowed into it).
func (b *B2BUA) MoveQueue(account int64, callID string, queueID int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.waiting(account, callID)
	if err != nil {
		return err
	}
	c.queue, c.base.QueueID = queueID, queueID
	return nil
}

// Drop hangs up a waiting caller (the queue's limits were reached and
// its overflow says so), with reason for the Ended event.
func (b *B2BUA) Drop(_ context.Context, account int64, callID, reason string) error {
	b.mu.Lock()
	c, err := b.waiting(account, callID)
	b.mu.Unlock()
	if err != nil {
		return err
	}
	c.end(nil, reason)
	return nil
}
