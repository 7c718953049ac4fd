package dispatch

import (
	"context"
	"errors"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/sip/b2bua"
)

// floorTimeout bounds each input the dispatcher gives the floor.
const floorTimeout = 10 * time.Second

// ring rings a member for a waiting caller and settles what follows:
// connected, missed (rolls over to the next member, and may pause the
// agent) or stopped.
func (d *Dispatcher) ring(a *account, o offer) {
	defer o.cancel()
	ext := &callfloor.Extension{ID: o.m.Ext, AccountID: a.id, Number: o.m.number}
	err := d.cfg.Phones.Ring(o.ctx, a.id, o.callID, ext, b2bua.RingOptions{
		Timeout: time.Duration(o.q.RingTimeoutSeconds) * time.Second, AutoAnswer: o.m.autoAnswer})
	var rf *b2bua.RingFailure
	missed := errors.As(err, &rf) && rf.Reason != b2bua.ReasonCanceled
	if err != nil {
		reason := "canceled"
		if missed {
			reason = rf.Reason
		}
		d.hangupOffer(a.id, o.m, o.callID, reason)
	}
	now := d.cfg.Clock.Now()
	pause := false
	d.mu.Lock()
	d.settle(a, o)
	qs := a.queue(o.w.queue)
	switch {
	case err == nil:
		wait := now.Sub(o.w.since)
		if a.waiting[o.callID] == o.w {
			d.leave(a, o.w)
		}
		o.w.leaving = true
		qs.answered(wait, o.q.ServiceLevelSeconds)
		qs.calls[o.m.Ext]++
		a.missed[o.m.Ext] = 0
		d.record(a.id, o.w, callfloor.CallRecord{Step: "queue_answered", Ext: o.m.Ext}, now)
	case missed:
		o.w.tried[o.m.Ext] = true
		d.record(a.id, o.w, callfloor.CallRecord{Step: "missed", Ext: o.m.Ext, Reason: rf.Reason, Status: rf.Status}, now)
		if o.m.agent {
			a.missed[o.m.Ext]++
			if n := o.q.MissedOffersPause; n > 0 && a.missed[o.m.Ext] >= n {
				a.missed[o.m.Ext] = 0
				pause = true
			}
		}
	}
	d.mu.Unlock()
	if pause {
		fctx, fcancel := context.WithTimeout(context.Background(), floorTimeout)
		_, perr := d.cfg.Floor.Do(fctx, a.id, floor.SystemPause{Ext: o.m.Ext, Reason: MissedCallsReason})
		fcancel()
		if perr != nil {
			d.log.Warn("agent not paused after missed offers", "account", a.id, "ext", o.m.Ext, "err", perr)
		} else {
			d.log.Info("agent paused after missed offers", "account", a.id, "ext", o.m.Ext, "queue", o.q.ID)
		}
	}
	if err != nil {
		a.poke() // roll over to the next member (a connected call frees nobody)
	}
}

// hangupOffer tells the floor an offer ended unanswered.
func (d *Dispatcher) hangupOffer(account int64, m member, callID, reason string) {
	if !m.agent {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), floorTimeout)
	defer cancel()
	if _, err := d.cfg.Floor.Do(ctx, account, floor.Hangup{Ext: m.Ext, CallID: callID, Reason: reason}); err != nil {
		d.log.Warn("offer end not recorded on the floor", "account", account, "ext", m.Ext, "err", err)
	}
}

// limits applies the queues' limits: callers of a queue that no longer
// exists, beyond its maximum callers or past its maximum wait overflow;
// the others hear their position when it is due. It returns what to do
// once d.mu is released. d.mu is held.
func (d *Dispatcher) limits(a *account, snap *snapshot, now time.Time) []func() {
	var tasks []func()
	for _, w := range a.byArrival() {
		def := snap.queue(w.queue)
		switch {
		case def == nil:
			tasks = append(tasks, d.overflow(a, snap, w, &callfloor.Queue{ID: w.queue, OverflowAction: callfloor.OverflowHangup}, "queue_deleted", now))
		case def.MaxWaitSeconds > 0 && now.Sub(w.since) >= time.Duration(def.MaxWaitSeconds)*time.Second:
			tasks = append(tasks, d.overflow(a, snap, w, def, "max_wait", now))
		}
	}
	for id, q := range a.queues {
		def := snap.queue(id)
		if def == nil {
			continue
		}
		for def.MaxCallers > 0 && len(q.line) > def.MaxCallers {
			w := q.line[len(q.line)-1] // the last to come is turned away
			tasks = append(tasks, d.overflow(a, snap, w, def, "queue_full", now))
		}
		if !def.AnnouncePosition {
			continue
		}
		for i, w := range q.line {
			if w.leaving || (!w.announced.IsZero() && now.Sub(w.announced) < d.cfg.AnnounceEvery) {
				continue
			}
			w.announced = now
			pos, id, call := i+1, a.id, w.w.CallID
			tasks = append(tasks, func() {
				if err := d.cfg.Phones.Announce(id, call, pos); err != nil {
					d.log.Debug("position not announced", "call", call, "err", err)
				}
			})
		}
	}
	return tasks
}

// overflow takes w out of its queue for why (max_wait, queue_full) and
// sends it where the queue's overflow says: another queue, an extension,
// or a hang-up. It returns the telephony work to do once d.mu is
// released. d.mu is held.
func (d *Dispatcher) overflow(a *account, snap *snapshot, w *waiter, def *callfloor.Queue, why string, now time.Time) func() {
	d.leave(a, w)
	a.queue(w.queue).overflowed++
	d.record(a.id, w, callfloor.CallRecord{Step: "overflowed", Reason: why}, now)
	id, call := a.id, w.w.CallID
	var target int64
	if def.OverflowTargetID != nil {
		target = *def.OverflowTargetID
	}
	switch {
	case def.OverflowAction == callfloor.OverflowQueue && snap.queue(target) != nil && w.hops < maxOverflowHops && target != w.queue:
		w.hops++
		w.queue, w.since, w.announced = target, now, time.Time{}
		clear(w.tried)
		a.waiting[call] = w
		q := a.queue(target)
		q.line = append(q.line, w)
		q.changed = true
		d.record(a.id, w, callfloor.CallRecord{Step: "queued", Reason: "overflow"}, now)
		return func() {
			if err := d.cfg.Phones.MoveQueue(id, call, target); err != nil {
				d.log.Debug("overflow to a queue", "call", call, "err", err)
			}
			a.poke()
		}
	case def.OverflowAction == callfloor.OverflowExtension && target != 0:
		w.leaving = true
		return func() { d.spawn(func() { d.toExtension(id, w, target) }) }
	}
	w.leaving = true
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), floorTimeout)
		defer cancel()
		if err := d.cfg.Phones.Drop(ctx, id, call, "queue_"+why); err != nil {
			d.log.Debug("overflow hang-up", "call", call, "err", err)
		}
	}
}

// toExtension rings the overflow extension for a caller; if it cannot
// take the call, the caller is hung up.
func (d *Dispatcher) toExtension(account int64, w *waiter, extID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), floorTimeout)
	defer cancel()
	fail := func(why string, err error) {
		d.log.Info("overflow extension did not take the call", "call", w.w.CallID, "ext", extID, "why", why, "err", err)
		if err := d.cfg.Phones.Drop(ctx, account, w.w.CallID, "overflow_"+why); err != nil {
			d.log.Debug("overflow hang-up", "call", w.w.CallID, "err", err)
		}
	}
	if d.cfg.Extension == nil {
		fail("unknown", errors.New("no extension lookup"))
		return
	}
	ext, err := d.cfg.Extension(ctx, account, extID)
	if err != nil {
		fail("unknown", err)
		return
	}
	call := callfloor.CallRef{ID: w.w.CallID, Direction: callfloor.DirQueueIn, QueueID: w.queue, From: w.w.From, To: ext.Number}
	_, err = d.cfg.Floor.Do(ctx, account, floor.Offer{Ext: ext.ID, Call: call})
	agent := err == nil
	if err != nil && callfloor.ErrorCode(err) != callfloor.ErrNotAgent {
		fail("refused", err)
		return
	}
	err = d.cfg.Phones.Ring(d.ctx, account, w.w.CallID, ext, b2bua.RingOptions{})
	if err != nil {
		if agent {
			m := member{agent: true}
			m.Ext = ext.ID
			d.hangupOffer(account, m, w.w.CallID, "no_answer")
		}
		fail("no_answer", err)
	}
}
