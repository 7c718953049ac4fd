package b2bua

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/media/relay"
	"github.com/callfloor/callfloor/media/tone"
)

// The in-call controls an agent uses from the workspace. Each names the
// call by its ID and the extension whose side acts; an error carries a
// callfloor error code (unknown_call, call_state_conflict, not_found...).

// DigitDuration is how long each key sent with SendDTMF lasts.
const DigitDuration = 100 * time.Millisecond

// lookup finds call callID and ext's side in it. B2BUA.mu is held.
func (b *B2BUA) lookup(account, ext int64, callID string) (*call, int, error) {
	c := b.calls[callID]
	if c == nil || c.ended || c.base.AccountID != account {
		return nil, -1, callfloor.Errorf(callfloor.ErrUnknownCall, "no call %s", callID)
	}
	i := c.sideOf(ext)
	if i < 0 {
		return nil, -1, callfloor.Errorf(callfloor.ErrUnknownCall, "extension %d is not on call %s", ext, callID)
	}
	return c, i, nil
}

// established is lookup for a call both sides answered.
func (b *B2BUA) established(account, ext int64, callID string) (*call, int, error) {
	c, i, err := b.lookup(account, ext, callID)
	if err != nil {
		return nil, -1, err
	}
	if other := c.legs[1-i]; !c.answered || other == nil || !other.up || !c.legs[i].up {
		return nil, -1, callfloor.Errorf(callfloor.ErrCallState, "call %s is not connected", callID)
	}
	return c, i, nil
}

// Hangup ends call callID.
func (b *B2BUA) Hangup(_ context.Context, account, ext int64, callID string) error {
	b.mu.Lock()
	c, _, err := b.lookup(account, ext, callID)
	b.mu.Unlock()
	if err != nil {
		return err
	}
	c.end(nil, ReasonHangup)
	return nil
}

// Hold puts call callID on hold (the other party hears music) or takes it
// off hold; taking a line off hold puts the extension's other lines on
// hold.
func (b *B2BUA) Hold(_ context.Context, account, ext int64, callID string, held bool) error {
	b.mu.Lock()
	c, i, err := b.established(account, ext, callID)
	if err == nil && c.conf != nil {
		err = callfloor.Errorf(callfloor.ErrCallState, "call %s is in a conference", callID)
	}
	var evs []Event
	if err == nil {
		evs = b.holdLocked(c, i, held)
	}
	b.mu.Unlock()
	for _, e := range evs {
		b.emit(e)
	}
	return err
}

// holdLocked holds or resumes side i of c and returns the events to
// report. B2BUA.mu is held.
func (b *B2BUA) holdLocked(c *call, i int, held bool) []Event {
	if i < 0 || c.conf != nil {
		return nil
	}
	l := c.legs[i]
	var evs []Event
	if !held {
		for _, o := range l.calls {
			if o != c && o.conf == nil && !o.held[o.side(l)] {
				evs = append(evs, b.holdLocked(o, o.side(l), true)...)
			}
		}
		l.active = c
	}
	if c.held[i] == held {
		c.remedia()
		return evs
	}
	c.held[i] = held
	c.remedia()
	e := c.event(Held)
	e.Ext, e.Held = l.extID(), held
	return append(evs, e)
}

// Mute stops (or restarts) what the extension's phone says from reaching
// the other parties.
func (b *B2BUA) Mute(_ context.Context, account, ext int64, callID string, muted bool) error {
	b.mu.Lock()
	c, i, err := b.established(account, ext, callID)
	b.mu.Unlock()
	if err != nil {
		return err
	}
	c.legs[i].media.SetMuted(muted)
	return nil
}

// SendDTMF sends keys (0-9, *, #, A-D) to the other party as RFC 4733
// events, returning when they are sent.
func (b *B2BUA) SendDTMF(_ context.Context, account, ext int64, callID, keys string) error {
	b.mu.Lock()
	c, i, err := b.established(account, ext, callID)
	b.mu.Unlock()
	if err != nil {
		return err
	}
	if err := c.legs[1-i].media.SendDigits(keys, DigitDuration); err != nil {
		return callfloor.FieldError(callfloor.ErrInvalidField, "digits", "%v", err)
	}
	return nil
}

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
	callee, adm, err := b.admitTarget(KindTransfer, c.id, account, l.ext, number)
	if err != nil {
		return err
	}
	go b.runTransfer(c, l, callee, adm, false)
	return nil
}

// transfer is a blind transfer asked for with REFER by the leg's phone;
// it returns once the target answered or failed. The phone hangs up its
// leg itself.
func (b *B2BUA) transfer(c *call, l *leg, number string) error {
	if q := b.queueNumber(c.base.AccountID, number); q != 0 {
		return b.transferToQueue(c, l, q, number, true)
	}
	callee, adm, err := b.admitTarget(KindTransfer, c.id, c.base.AccountID, l.ext, number)
	if err != nil {
		return err
	}
	return b.runTransfer(c, l, callee, adm, true)
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
	left.Kind, left.Ext, left.Reason, left.Parties = Left, l.extID(), ReasonTransferred, nil
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

// admitTarget finds a transfer or consultation target and asks Admit.
func (b *B2BUA) admitTarget(kind AdmissionKind, callID string, account int64, by *callfloor.Extension, number string) (*callfloor.Extension, Admitted, error) {
	callee, f := b.findCallee(account, number)
	if f != nil {
		return nil, Admitted{}, callfloor.FieldError(callfloor.ErrNotFound, "number", "no extension %s", number)
	}
	if len(b.cfg.Registrar.Contacts(account, callee.ID)) == 0 {
		return nil, Admitted{}, callfloor.FieldError(callfloor.ErrPhoneOffline, "number", "extension %s has no registered phone", number)
	}
	adm, f := b.admit(Admission{Kind: kind, CallID: callID, AccountID: account, Caller: by, Callee: callee, Number: number})
	if f != nil {
		var r *Refusal
		if errors.As(f.err, &r) && r.Code != "" {
			return nil, adm, callfloor.FieldError(r.Code, "number", "%s", r.Text)
		}
		return nil, adm, callfloor.FieldError(callfloor.ErrCallState, "number", "extension %s cannot take the call now", number)
	}
	return callee, adm, nil
}

// runTransfer moves side l of c to callee: l leaves, the other party
// hears ringing, and the callee joins when it answers. keep leaves l's
// dialog up (a REFER: the phone hangs up itself).
func (b *B2BUA) runTransfer(c *call, l *leg, callee *callfloor.Extension, adm Admitted, keep bool) error {
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
	c.pending, c.cancel = callee.ID, cancel
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
	nl, f := b.dialOut(ctx, outgoing{callID: c.id, accountID: c.base.AccountID, ext: callee, from: from,
		codec: payloadType(far), autoAnswer: adm.AutoAnswer}, func() {})
	if f != nil {
		c.end(nil, ReasonTransferFail)
		return f
	}
	if adm.AutoAnswer {
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
	joined.Ext = callee.ID
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
	callee, adm, err := b.admitTarget(KindConsult, id, account, l.ext, number)
	if err != nil {
		return "", err
	}
	c2 := &call{b: b, id: id, base: Event{CallID: id, AccountID: account, From: ext, To: callee.ID, Number: number}, consultFor: c}
	b.startLine(c2, c, l, callee, adm)
	return id, nil
}

// Dial places a call from the extension's phone to an extension's number
// with the ID callID. When the phone is on a call, the call is added as
// a new line on it (the current line goes on hold); otherwise the server
// calls the phone first, asking it to answer at once (click to dial),
// then the number.
func (b *B2BUA) Dial(_ context.Context, account int64, ext *callfloor.Extension, callID, number string) error {
	b.mu.Lock()
	var phone *leg
	for _, l := range b.legs {
		if l.extID() == ext.ID && l.up && !l.gone && len(l.calls) > 0 && (phone == nil || l.active != nil) {
			phone = l
		}
	}
	if b.calls[callID] != nil {
		b.mu.Unlock()
		return callfloor.Errorf(callfloor.ErrCallState, "call %s exists", callID)
	}
	b.mu.Unlock()
	callee, adm, err := b.admitTarget(KindConsult, callID, account, ext, number)
	if err != nil {
		return err
	}
	c := &call{b: b, id: callID, base: Event{CallID: callID, AccountID: account, From: ext.ID, To: callee.ID, Number: number}}
	if phone != nil {
		b.startLine(c, phone.active, phone, callee, adm)
		return nil
	}
	b.mu.Lock()
	b.calls[callID] = c
	b.mu.Unlock()
	go b.clickToDial(c, ext, callee, adm)
	return nil
}

// startLine puts held on hold and rings callee on a new line c from the
// phone leg l.
func (b *B2BUA) startLine(c, held *call, l *leg, callee *callfloor.Extension, adm Admitted) {
	ctx, cancel := context.WithCancel(context.Background())
	b.mu.Lock()
	var evs []Event
	if held != nil {
		evs = b.holdLocked(held, held.side(l), true)
	}
	b.calls[c.id] = c
	c.join(0, l)
	c.pending, c.cancel = callee.ID, cancel
	c.remedia()
	b.mu.Unlock()
	for _, e := range evs {
		b.emit(e)
	}
	go func() {
		defer cancel()
		b.ringInto(ctx, c, l.number, callee, adm)
	}()
}

// ringInto rings callee as side 1 of c and connects it on answer; a
// failure ends c.
func (b *B2BUA) ringInto(ctx context.Context, c *call, from string, callee *callfloor.Extension, adm Admitted) {
	ringing := false
	nl, f := b.dialOut(ctx, outgoing{callID: c.id, accountID: c.base.AccountID, ext: callee, from: from,
		autoAnswer: adm.AutoAnswer}, func() {
		if !ringing {
			ringing = true
			e := c.base
			e.Kind = Ringing
			b.emit(e)
		}
	})
	if f != nil {
		c.end(nil, f.reason)
		return
	}
	if adm.AutoAnswer {
		nl.media.Play(tone.New(tone.Beep))
		time.Sleep(beepTime)
	}
	b.mu.Lock()
	if c.ended {
		b.mu.Unlock()
		nl.hangup()
		return
	}
	c.pending, c.cancel = 0, nil
	c.join(1, nl)
	nl.up, c.answered = true, true
	c.remedia()
	e := c.event(Answered)
	b.mu.Unlock()
	b.emit(e)
}

// clickToDial rings the agent's own phone, asking it to answer at once,
// then the callee.
func (b *B2BUA) clickToDial(c *call, ext, callee *callfloor.Extension, adm Admitted) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.mu.Lock()
	c.pending, c.cancel = ext.ID, cancel
	b.mu.Unlock()
	phone, f := b.dialOut(ctx, outgoing{callID: c.id, accountID: c.base.AccountID, ext: ext, from: callee.Number, autoAnswer: true}, func() {})
	if f != nil {
		c.end(nil, f.reason)
		return
	}
	phone.media.Play(tone.New(tone.Beep))
	time.Sleep(beepTime)
	b.mu.Lock()
	if c.ended {
		b.mu.Unlock()
		phone.hangup()
		return
	}
	c.pending, c.cancel = callee.ID, cancel
	c.join(0, phone)
	phone.up = true
	c.remedia()
	b.mu.Unlock()
	b.ringInto(ctx, c, ext.Number, callee, adm)
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

// Conference joins the extension's calls (two or more lines on the same
// phone) into one conference: every party hears the others.
func (b *B2BUA) Conference(_ context.Context, account, ext int64, callIDs []string) error {
	if len(callIDs) < 2 {
		return callfloor.FieldError(callfloor.ErrInvalidField, "call_ids", "a conference needs at least two calls")
	}
	b.mu.Lock()
	evs, err := b.conferenceLocked(account, ext, callIDs)
	b.mu.Unlock()
	for _, e := range evs {
		b.emit(e)
	}
	return err
}

// conferenceLocked joins the calls into the conference one of them is
// already in, or a new one, and returns the resumes to report.
// B2BUA.mu is held.
func (b *B2BUA) conferenceLocked(account, ext int64, callIDs []string) ([]Event, error) {
	var hub *leg
	var calls []*call
	var cf *conference
	for _, id := range callIDs {
		c, i, err := b.established(account, ext, id)
		if err != nil {
			return nil, err
		}
		if hub == nil {
			hub = c.legs[i]
		}
		if c.legs[i] != hub {
			return nil, callfloor.Errorf(callfloor.ErrCallState, "call %s is on another phone", id)
		}
		if c.conf != nil && (hub.active == nil || c.conf != hub.active.conf) {
			return nil, callfloor.Errorf(callfloor.ErrCallState, "call %s is in another conference", id)
		}
		if c.conf != nil {
			cf = c.conf
		}
		calls = append(calls, c)
	}
	if cf == nil {
		cf = &conference{mix: relay.NewConference(nil), hub: hub, calls: map[*call]*leg{}}
		if err := cf.mix.Add(hub.media); err != nil {
			return nil, callfloor.Errorf(callfloor.ErrInternal, "conference: %v", err)
		}
	}
	var evs []Event
	for _, c := range calls {
		if c.conf == cf {
			continue
		}
		i := c.side(hub)
		far := c.legs[1-i]
		if err := cf.mix.Add(far.media); err != nil {
			return evs, callfloor.Errorf(callfloor.ErrInternal, "conference: %v", err)
		}
		c.conf, cf.calls[c] = cf, far
		if c.held[i] { // taken off hold by joining
			e := c.event(Held)
			e.Ext = ext
			evs = append(evs, e)
		}
		c.held = [2]bool{}
	}
	hub.active = calls[0]
	return evs, nil
}

// newCallID makes an ID for a call the B2BUA places itself.
func newCallID() string {
	var r [12]byte
	_, _ = rand.Read(r[:])
	return "cf-" + hex.EncodeToString(r[:])
}

// OnCall reports whether the extension's phone is on an answered call
// (for the live status of extensions that are not agents).
func (b *B2BUA) OnCall(account, ext int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.legs {
		if l.extID() == ext && l.ext.AccountID == account && l.up && !l.gone && len(l.calls) > 0 {
			return true
		}
	}
	return false
}
