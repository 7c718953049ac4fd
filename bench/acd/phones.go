package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/sip/b2bua"
)

// call is one caller of the bench.
type call struct {
	id    string
	queue *callfloor.Queue
	// enqueued is when the caller was given to the ACD; rung when the
	// first member was rung for it (zero until then).
	enqueued, rung time.Time
	// answered: a member took it (only one may).
	answered bool
}

// phones is the fake B2BUA holding the waiting callers: the dispatcher's
// dispatch.Phones. A member rung answers after b.answer; the caller hangs
// up b.talk later. Its call events go where the B2BUA's go in callfloor
// serve: the telephony link's inputs to the floor (with -link, the real
// telephony.Link; else the same inputs from the call's own goroutine),
// then the dispatcher's OnCallEvent.
type phones struct {
	b *bench

	mu    sync.Mutex
	calls map[string]*call

	rings, answered, ended    atomic.Int64
	announced, moved, dropped atomic.Int64
	late                      atomic.Int64 // rings for a call someone took already
	up                        sync.WaitGroup
	floorErrors               atomic.Int64
	firstFloorErr             atomic.Pointer[error]
}

// Ring is the member's phone ringing for a waiting call: the offer
// sent. It notes the time, answers after b.answer unless the ACD stops
// it first, and once connected reports Answered and returns; the talk
// and the caller's hang-up go on in the background.
func (p *phones) Ring(ctx context.Context, account int64, callID string, ext *callfloor.Extension, o b2bua.RingOptions) error {
	now := time.Now()
	p.rings.Add(1)
	p.mu.Lock()
	c := p.calls[callID]
	if c == nil {
		p.mu.Unlock()
		return callfloor.Errorf(callfloor.ErrUnknownCall, "no waiting call %s", callID)
	}
	if c.rung.IsZero() {
		c.rung = now
	}
	p.mu.Unlock()

	t := time.NewTimer(p.b.answer)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return &b2bua.RingFailure{Reason: b2bua.ReasonCanceled}
	case <-t.C:
	}
	p.mu.Lock()
	if c.answered {
		p.mu.Unlock()
		p.late.Add(1)
		return callfloor.Errorf(callfloor.ErrCallState, "call %s was answered", callID)
	}
	c.answered = true
	p.mu.Unlock()
	p.answered.Add(1)

	// A carrier's caller: the member is the only extension on the call.
	ev := b2bua.Event{CallID: callID, AccountID: account, To: ext.ID, Parties: []int64{ext.ID},
		Number: c.queue.Number, QueueID: c.queue.ID}
	p.up.Add(1)
	if p.b.link != nil {
		p.emit(ev, b2bua.Answered)
		time.AfterFunc(p.b.talk, func() {
			defer p.up.Done()
			ev.Reason = b2bua.ReasonCallerHangup
			p.emit(ev, b2bua.Ended)
			p.ended.Add(1)
		})
		return nil
	}
	p.b.d.OnCallEvent(event(ev, b2bua.Answered))
	go func() {
		defer p.up.Done()
		talk := time.NewTimer(p.b.talk)
		defer talk.Stop()
		p.do(account, floor.Record{Call: record(ev, b2bua.Answered)})
		p.do(account, floor.Answer{Ext: ext.ID, CallID: callID})
		<-talk.C
		ev.Reason = b2bua.ReasonCallerHangup
		p.do(account, floor.Record{Call: record(ev, b2bua.Ended)})
		p.do(account, floor.Hangup{Ext: ext.ID, CallID: callID, Reason: ev.Reason})
		p.b.d.OnCallEvent(event(ev, b2bua.Ended))
		p.ended.Add(1)
	}()
	return nil
}

// emit is the B2BUA's OnEvent in callfloor serve: the link, then the ACD.
func (p *phones) emit(ev b2bua.Event, kind b2bua.EventKind) {
	e := event(ev, kind)
	p.b.link.OnEvent(e)
	p.b.d.OnCallEvent(e)
}

func event(ev b2bua.Event, kind b2bua.EventKind) b2bua.Event {
	ev.Kind, ev.At = kind, time.Now()
	return ev
}

// record is the telephony link's journal record of a call event.
func record(ev b2bua.Event, kind b2bua.EventKind) callfloor.CallRecord {
	return callfloor.CallRecord{CallID: ev.CallID, Step: kind.String(), From: ev.From, To: ev.To, Number: ev.Number,
		Parties: ev.Parties, Reason: ev.Reason, QueueID: ev.QueueID}
}

// do gives the floor an input as the link does, counting refusals.
func (p *phones) do(account int64, in floor.Input) {
	if _, err := p.b.f.Do(context.Background(), account, in); err != nil {
		if p.floorErrors.Add(1) == 1 {
			err = fmt.Errorf("%T: %w", in, err)
			p.firstFloorErr.Store(&err)
		}
	}
}

// Announce, MoveQueue and Drop only count: no queue here announces,
// overflows or limits its callers.
func (p *phones) Announce(int64, string, int) error {
	p.announced.Add(1)
	return nil
}

func (p *phones) MoveQueue(int64, string, int64) error {
	p.moved.Add(1)
	return nil
}

func (p *phones) Drop(context.Context, int64, string, string) error {
	p.dropped.Add(1)
	return nil
}

// OnCall is for participants; every member here is an agent.
func (p *phones) OnCall(int64, int64) bool { return false }

// run has callers enter the queues at rate for d (open loop: a slow ACD
// does not slow the callers), each queue in turn, then waits for every
// call to be rung and to end.
func (b *bench) run(ctx context.Context, rate int, d time.Duration) *results {
	p := b.phones
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	all := make([]*call, n)
	b.probe.measure(true)
	start := time.Now()
	var last time.Time
	for i := range n {
		c := &call{id: fmt.Sprintf("acd-bench-%07d", i), queue: b.queues[i%len(b.queues)]}
		all[i] = c
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		// As the B2BUA: the caller is answered with music (Queued, for
		// the link's journal record), then handed to the ACD.
		ev := b2bua.Event{CallID: c.id, AccountID: b.acc, Number: c.queue.Number, QueueID: c.queue.ID}
		if b.link != nil {
			b.link.OnEvent(event(ev, b2bua.Queued))
		} else {
			go p.do(b.acc, floor.Record{Call: record(ev, b2bua.Queued)})
		}
		b.d.OnCallEvent(event(ev, b2bua.Queued))
		now := time.Now()
		p.mu.Lock()
		c.enqueued = now
		p.calls[c.id] = c
		p.mu.Unlock()
		b.d.Enqueue(b2bua.Waiting{CallID: c.id, AccountID: b.acc, QueueID: c.queue.ID,
			From: fmt.Sprintf("+1555%07d", i), Number: c.queue.Number, At: now})
		last = now
	}
	r := &results{offered: n, elapsed: last.Sub(start), calls: all}

	// Every call rung within a grace, then ended within its talk.
	deadline := time.Now().Add(5*time.Second + b.answer)
	for {
		p.mu.Lock()
		pending := 0
		for _, c := range all {
			if c.rung.IsZero() {
				pending++
			}
		}
		p.mu.Unlock()
		if pending == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { p.up.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(b.talk + 5*time.Second):
	}

	b.probe.measure(false)
	r.probed = time.Since(start)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range all {
		if c.rung.IsZero() {
			r.unrouted = append(r.unrouted, c.id)
			continue
		}
		r.routing = append(r.routing, c.rung.Sub(c.enqueued))
	}
	r.rings, r.answered, r.ended = p.rings.Load(), p.answered.Load(), p.ended.Load()
	r.announced, r.moved, r.dropped = p.announced.Load(), p.moved.Load(), p.dropped.Load()
	r.unfinished = int(r.answered - r.ended)
	r.late = p.late.Load()
	r.floorErrors = p.floorErrors.Load()
	if e := p.firstFloorErr.Load(); e != nil {
		r.firstFloorErr = *e
	}
	return r
}
