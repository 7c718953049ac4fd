package b2bua

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	if err != nil {
		// A click to dial still ringing the agent's own phone has no
		// side of the agent yet: hanging it up cancels it.
		if p := b.calls[callID]; p != nil && !p.ended && p.base.AccountID == account && p.base.From == ext && p.legs[0] == nil {
			c, err = p, nil
		}
	}
	var cancel context.CancelFunc
	if c != nil {
		cancel = c.cancel
	}
	b.mu.Unlock()
	if err != nil {
		return err
	}
	if cancel != nil {
		cancel()
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

// Dial places a call from the extension's phone to an extension's number
// with the ID callID. When the phone is on a call, the call is added as
// a new line on it (the current line goes on hold); otherwise the server
// calls the phone first, asking it to answer at once (click to dial),
// then the number.
func (b *B2BUA) Dial(ctx context.Context, account int64, ext *callfloor.Extension, callID, number string) error {
	return b.DialAs(ctx, account, ext, callID, number, "")
}

// DialAs is Dial presenting callerID to an outside number (a campaign's
// caller-ID pool) instead of the route's; empty keeps the route's.
func (b *B2BUA) DialAs(_ context.Context, account int64, ext *callfloor.Extension, callID, number, callerID string) error {
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
	if b.queueNumber(account, number) != 0 {
		return callfloor.FieldError(callfloor.ErrInvalidField, "number",
			"%s is a queue: a queue is called from the phone, or a call handed to it with a blind transfer", number)
	}
	tg, err := b.dialTarget(KindConsult, callID, account, ext, number)
	if err != nil {
		return err
	}
	if tg.route != nil && callerID != "" {
		tg.route.CallerID = callerID
	}
	c := &call{b: b, id: callID, base: Event{CallID: callID, AccountID: account, From: ext.ID, To: tg.extID(), Number: number}}
	if phone != nil {
		b.startLine(c, phone.active, phone, tg)
		return nil
	}
	b.mu.Lock()
	b.calls[callID] = c
	b.mu.Unlock()
	go b.clickToDial(c, ext, tg)
	return nil
}

// startLine puts held on hold and rings the target on a new line c from
// the phone leg l.
func (b *B2BUA) startLine(c, held *call, l *leg, tg target) {
	ctx, cancel := context.WithCancel(context.Background())
	b.mu.Lock()
	var evs []Event
	if held != nil {
		evs = b.holdLocked(held, held.side(l), true)
	}
	b.calls[c.id] = c
	c.join(0, l)
	c.pending, c.cancel = tg.extID(), cancel
	c.remedia()
	b.mu.Unlock()
	for _, e := range evs {
		b.emit(e)
	}
	go func() {
		defer cancel()
		b.ringInto(ctx, c, l.number, tg)
	}()
}

// ringInto rings the target as side 1 of c and connects it on answer; a
// failure ends c. An outside number sees the route's caller ID, an
// extension from.
func (b *B2BUA) ringInto(ctx context.Context, c *call, from string, tg target) {
	if tg.route != nil {
		from = tg.route.CallerID
	}
	ringing := false
	nl, f := b.dialOut(ctx, outgoing{callID: c.id, accountID: c.base.AccountID, ext: tg.ext, route: tg.route, from: from,
		autoAnswer: tg.adm.AutoAnswer}, func() {
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
	if tg.adm.AutoAnswer {
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
// then the target.
func (b *B2BUA) clickToDial(c *call, ext *callfloor.Extension, tg target) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.mu.Lock()
	c.pending, c.cancel = ext.ID, cancel
	b.mu.Unlock()
	phone, f := b.dialOut(ctx, outgoing{callID: c.id, accountID: c.base.AccountID, ext: ext, from: c.base.Number, autoAnswer: true}, func() {})
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
	c.pending, c.cancel = tg.extID(), cancel
	c.join(0, phone)
	phone.up = true
	c.remedia()
	b.mu.Unlock()
	b.ringInto(ctx, c, ext.Number, tg)
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
