package b2bua

// Transfers: blind (to an extension or a queue), attended (a
// consultation, then the hand-over), from the API or by REFER.

import (
	"context"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/media/tone"
)

// Transfer hands call callID over to number (blind transfer): the
// extension leaves the call at once, the other party hears ringing until
// the target answers. If the target cannot be reached the call ends.
func (b *B2BUA) Transfer(_ context.Context, account, ext int64, callID, number string) error {
	b.mu.Lock()
	c, i, err := b.established(account, ext, callID)
	var l *leg
	if err == nil {
		l = c.legs[i]
	}
	b.mu.Unlock()
	if err != nil {
		return err
	}
	if q := b.queueNumber(account, number); q != 0 {
		return b.transferToQueue(c, l, q, number, false)
	}
	tg, err := b.dialTarget(KindTransfer, c.id, account, l.ext, number)
	if err != nil {
		return err
	}
	go b.runTransfer(c, l, tg, false)
	return nil
}

// transfer is a blind transfer asked for with REFER by the leg's phone;
// it returns once the target answered or failed. The phone hangs up its
// leg itself.
func (b *B2BUA) transfer(c *call, l *leg, number string) error {
	if q := b.queueNumber(c.base.AccountID, number); q != 0 {
		return b.transferToQueue(c, l, q, number, true)
	}
	tg, err := b.dialTarget(KindTransfer, c.id, c.base.AccountID, l.ext, number)
	if err != nil {
		return err
	}
	return b.runTransfer(c, l, tg, true)
}

// queueNumber returns the ID of the account's queue with number, 0 when
// number is no queue's (or the B2BUA takes no queue calls).
func (b *B2BUA) queueNumber(account int64, number string) int64 {
	if b.cfg.Queues == nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q, err := b.cfg.Queues.QueueByNumber(ctx, account, number)
	if err != nil {
		b.log.Warn("queue lookup failed", "account", account, "err", err)
		return 0
	}
	return q
}

// transferToQueue hands the other party of call c over to queue q (a
// blind transfer to a queue's number): l leaves, and the party waits in
// the queue with its music, as a caller of the queue, until the ACD
// connects a member. keep leaves l's dialog up (a REFER: the phone
// hangs up itself).
func (b *B2BUA) transferToQueue(c *call, l *leg, q int64, number string, keep bool) error {
	return b.handToQueue(c, l, q, number, keep, ReasonTransferred)
}

// handToQueue is transferToQueue with the reason l leaves for.
func (b *B2BUA) handToQueue(c *call, l *leg, q int64, number string, keep bool, reason string) error {
	b.mu.Lock()
	i := c.side(l)
	far := (*leg)(nil)
	if i >= 0 {
		far = c.legs[1-i]
	}
	switch {
	case c.ended || i < 0:
		b.mu.Unlock()
		return callfloor.Errorf(callfloor.ErrUnknownCall, "call %s ended", c.id)
	case c.conf != nil || c.pending != 0 || c.consultFor != nil:
		b.mu.Unlock()
		return callfloor.Errorf(callfloor.ErrCallState, "call %s is in a conference or a transfer", c.id)
	case far == nil || !far.up || far.gone || far.active != c:
		b.mu.Unlock()
		return callfloor.Errorf(callfloor.ErrCallState, "call %s has nobody to hand over", c.id)
	}
	l.drop(c)
	idle := len(l.calls) == 0 && !l.gone && !keep
	if idle {
		l.gone = true
	}
	left := c.base
	left.Kind, left.Ext, left.Reason, left.Parties = Left, l.extID(), reason, nil
	// The party waits on side 0, the caller's side of a queue call.
	c.legs[0], c.legs[1], c.held = far, nil, [2]bool{}
	c.queue, c.base.QueueID, c.base.Number, c.waitSound = q, q, number, tone.NewMusic()
	c.remedia()
	queued := c.event(Queued)
	w := Waiting{CallID: c.id, AccountID: c.base.AccountID, QueueID: q, Caller: far.ext, From: far.number,
		Number: number, At: b.cfg.Now()}
	b.mu.Unlock()
	b.emit(left)
	if idle {
		go l.hangup()
	}
	b.emit(queued)
	b.cfg.Queues.Enqueue(w)
	return nil
}

// runTransfer moves side l of c to the target: l leaves, the other party
// hears ringing, and the target joins when it answers. keep leaves l's
// dialog up (a REFER: the phone hangs up itself).
func (b *B2BUA) runTransfer(c *call, l *leg, tg target, keep bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.mu.Lock()
	i := c.side(l)
	if c.ended || i < 0 {
		b.mu.Unlock()
		return callfloor.Errorf(callfloor.ErrUnknownCall, "call %s ended", c.id)
	}
	l.drop(c)
	c.legs[i], c.held[i] = nil, false
	c.pending, c.cancel = tg.extID(), cancel
	idle := len(l.calls) == 0 && !l.gone && !keep
	if idle {
		l.gone = true
	}
	c.remedia()
	left := c.base
	left.Kind, left.Ext, left.Reason, left.Parties = Left, l.extID(), ReasonTransferred, nil
	far := c.legs[1-i]
	b.mu.Unlock()
	b.emit(left)
	if idle {
		go l.hangup()
	}
	from := c.base.Number
	if far != nil {
		from = far.number
	}
	if tg.route != nil {
		from = tg.route.CallerID
	}
	nl, f := b.dialOut(ctx, outgoing{callID: c.id, accountID: c.base.AccountID, ext: tg.ext, route: tg.route, from: from,
		codec: payloadType(far), autoAnswer: tg.adm.AutoAnswer}, func() {})
	if f != nil {
		c.end(nil, ReasonTransferFail)
		return f
	}
	if tg.adm.AutoAnswer {
		nl.media.Play(tone.New(tone.Beep))
		time.Sleep(beepTime)
	}
	b.mu.Lock()
	if c.ended {
		b.mu.Unlock()
		nl.hangup()
		return callfloor.Errorf(callfloor.ErrUnknownCall, "call %s ended", c.id)
	}
	c.pending, c.cancel = 0, nil
	c.join(i, nl)
	nl.up = true
	c.remedia()
	joined := c.event(Joined)
	joined.Ext = tg.extID()
	b.mu.Unlock()
	b.emit(joined)
	return nil
}

// payloadType is the audio payload type of a leg's media (PCMU if none).
func payloadType(l *leg) uint8 {
	if l == nil || l.media == nil {
		return 0
	}
	return l.media.PayloadType()
}

// Consult starts an attended transfer ("call first"): call callID goes on
// hold and the extension's phone calls number on a new line, whose ID is
// returned. CompleteTransfer hands the held party over to it; hanging up
// the consultation returns to the held call.
func (b *B2BUA) Consult(_ context.Context, account, ext int64, callID, number string) (string, error) {
	b.mu.Lock()
	c, i, err := b.established(account, ext, callID)
	var l *leg
	if err == nil {
		l = c.legs[i]
		if c.conf != nil {
			err = callfloor.Errorf(callfloor.ErrCallState, "call %s is in a conference", callID)
		}
	}
	b.mu.Unlock()
	if err != nil {
		return "", err
	}
	if b.queueNumber(account, number) != 0 {
		return "", callfloor.FieldError(callfloor.ErrInvalidField, "number",
			"%s is a queue: a call is handed to a queue with a blind transfer (Transfer Now), not called first", number)
	}
	id := newCallID()
	tg, err := b.dialTarget(KindConsult, id, account, l.ext, number)
	if err != nil {
		return "", err
	}
	c2 := &call{b: b, id: id, base: Event{CallID: id, AccountID: account, From: ext, To: tg.extID(), Number: number}, consultFor: c}
	b.startLine(c2, c, l, tg)
	return id, nil
}

// CompleteTransfer ends an attended transfer: the party held on the
// consulted call's original call is connected to the consultation's
// target, and the extension leaves both.
func (b *B2BUA) CompleteTransfer(_ context.Context, account, ext int64, consultID string) error {
	b.mu.Lock()
	c2, i2, err := b.established(account, ext, consultID)
	if err == nil && (c2.consultFor == nil || c2.consultFor.ended) {
		err = callfloor.Errorf(callfloor.ErrCallState, "call %s is not a consultation of a call in progress", consultID)
	}
	if err != nil {
		b.mu.Unlock()
		return err
	}
	c1 := c2.consultFor
	evs, idle, err := b.handOverLocked(c1, c1.side(c2.legs[i2]), c2, i2, false)
	b.mu.Unlock()
	if err != nil {
		return err
	}
	for _, e := range evs {
		b.emit(e)
	}
	hangupAll(idle)
	return nil
}

// completeAttended does a transfer asked for with REFER and Replaces: l1
// in c1 is the phone's dialog with the party to hand over, l2 its dialog
// with the target.
func (b *B2BUA) completeAttended(l1 *leg, c1 *call, l2 *leg) error {
	b.mu.Lock()
	c2 := l2.active
	if c2 == nil && len(l2.calls) > 0 {
		c2 = l2.calls[0]
	}
	if c2 == nil || c2 == c1 {
		b.mu.Unlock()
		return callfloor.Errorf(callfloor.ErrCallState, "no call to hand over to")
	}
	evs, idle, err := b.handOverLocked(c1, c1.side(l1), c2, c2.side(l2), true)
	b.mu.Unlock()
	if err != nil {
		return err
	}
	for _, e := range evs {
		b.emit(e)
	}
	hangupAll(idle)
	return nil
}

// handOverLocked connects the other party of c1 (side i1 is the
// transferring phone) with the other party of c2 (side i2 is the phone):
// c2's target moves into c1 and c2 ends. keep leaves the phone's dialogs
// up. It returns the events to report and the legs to hang up. B2BUA.mu
// is held.
func (b *B2BUA) handOverLocked(c1 *call, i1 int, c2 *call, i2 int, keep bool) ([]Event, []*leg, error) {
	if i1 < 0 || i2 < 0 {
		return nil, nil, callfloor.Errorf(callfloor.ErrCallState, "the phone is not on both calls")
	}
	p1, p2 := c1.legs[i1], c2.legs[i2]
	far1, target := c1.legs[1-i1], c2.legs[1-i2]
	if far1 == nil || target == nil || !far1.up || !target.up {
		return nil, nil, callfloor.Errorf(callfloor.ErrCallState, "both calls must be connected")
	}
	if c1.conf != nil || c2.conf != nil {
		return nil, nil, callfloor.Errorf(callfloor.ErrCallState, "a call in a conference cannot be transferred")
	}
	ended := c2.event(Ended)
	ended.Reason = ReasonTransferred
	// The target leaves c2 for c1; c2 ends.
	target.drop(c2)
	c2.legs[1-i2] = nil
	idle := c2.endLocked(nil)
	p1.drop(c1)
	c1.legs[i1] = nil
	if len(p1.calls) == 0 && !p1.gone {
		p1.gone = true
		idle = append(idle, p1)
	}
	if keep {
		var kept []*leg
		for _, l := range idle {
			if l == p1 || l == p2 {
				l.gone = false
				continue
			}
			kept = append(kept, l)
		}
		idle = kept
	}
	left := c1.base
	left.Kind, left.Ext, left.Reason, left.Parties = Left, p1.extID(), ReasonTransferred, nil
	c1.join(i1, target)
	c1.held = [2]bool{}
	c1.remedia()
	joined := c1.event(Joined)
	joined.Ext = target.extID()
	return []Event{ended, left, joined}, idle, nil
}
