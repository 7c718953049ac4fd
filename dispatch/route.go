package dispatch

import (
	"context"
	"slices"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/acd"
	"github.com/callfloor/callfloor/floor"
)

// refusedBackoff is how long a member the floor refused an offer to is
// left out of the picks, so a disagreement cannot spin the ACD.
const refusedBackoff = time.Second

// member is a queue member as the floor sees it now.
type member struct {
	acd.Candidate
	agent      bool
	autoAnswer bool
	number     string
	// free: could be offered a call now, as far as the floor knows.
	free bool
}

// snapshot is what one service round reads from the floor engine.
type snapshot struct {
	loc *time.Location
	// cfg is the floor's configuration, which the engine replaces whole
	// and never changes: it is read here without copying.
	cfg     *floor.Config
	members map[int64][]member // by queue, for the queues asked for
	now     time.Time
}

// queue returns the definition of a queue, nil when it does not exist.
func (s *snapshot) queue(id int64) *callfloor.Queue {
	if sc := s.cfg.Queues[id]; sc != nil {
		return sc.Queue
	}
	return nil
}

// view reads the queues and, for the queues in which (nil: every
// queue), their members' availability from the floor. It runs on the
// floor engine's goroutine, so it reads only the members of the queues
// that have callers. Routing peeks (it need not wait for the journal:
// the floor checks each offer again); the figures shown to people view.
func (d *Dispatcher) view(ctx context.Context, account int64, in map[int64]bool, peek bool) (*snapshot, error) {
	snap := &snapshot{members: map[int64][]member{}}
	read := d.cfg.Floor.View
	if peek {
		read = d.cfg.Floor.Peek
	}
	err := read(ctx, account, func(st *floor.State, cfg *floor.Config) {
		snap.loc, snap.cfg = cfg.Location, cfg
		ids := in
		if ids == nil {
			ids = make(map[int64]bool, len(cfg.Queues))
			for id := range cfg.Queues {
				ids[id] = true
			}
		}
		for id := range ids {
			sc := cfg.Queues[id]
			if sc == nil || sc.Queue == nil {
				continue
			}
			ms := make([]member, 0, len(sc.Queue.Members))
			for i, m := range sc.Queue.Members {
				c := member{Candidate: acd.Candidate{Ext: m.ExtensionID, Penalty: m.Penalty, Order: i}, number: m.Number}
				switch {
				case cfg.Agents[m.ExtensionID] != nil:
					ac, ag := cfg.Agents[m.ExtensionID], st.Agent(m.ExtensionID)
					c.agent, c.number = true, ac.Number
					c.free = ag.LoggedIn && ag.State == callfloor.StateIdle && (!cfg.RequirePhone || ag.PhoneRegistered)
					c.IdleSince = ag.Since
					c.autoAnswer = ac.AutoAnswer == callfloor.AutoAnswerOn ||
						(ac.AutoAnswer == callfloor.AutoAnswerOptional && ag.AutoAnswer)
				case cfg.Participants[m.ExtensionID] != nil:
					_, paused := st.Participants[m.ExtensionID][id]
					c.free = !paused
				default:
					continue // no queues feature: not a member that takes calls
				}
				ms = append(ms, c)
			}
			snap.members[id] = ms
		}
	})
	if snap.loc == nil {
		snap.loc = time.UTC
	}
	if snap.cfg == nil {
		snap.cfg = &floor.Config{}
	}
	return snap, err
}

// offer is an offer decided in a round, made once the lock is released.
// It is in its waiter's offers from the moment it is decided, so the
// next round does not offer the caller to someone else meanwhile;
// cancel withdraws it.
type offer struct {
	w      *waiter
	q      *callfloor.Queue
	m      member
	callID string
	ctx    context.Context
	cancel context.CancelFunc
}

// service runs one round of the account's ACD: limits and
// announcements, then offers for every caller who can have one, longest
// waiting first, then the queues' figures.
func (d *Dispatcher) service(ctx context.Context, a *account) {
	d.mu.Lock()
	busy := map[int64]bool{}
	for _, w := range a.waiting {
		busy[w.queue] = true
	}
	d.mu.Unlock()
	snap, err := d.view(ctx, a.id, busy, true)
	if err != nil {
		d.log.Warn("acd cannot read the floor", "account", a.id, "err", err)
		return
	}
	now := d.cfg.Clock.Now()
	snap.now = now
	var tasks []func()
	var offers []offer
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	a.loc = snap.loc
	for ext, until := range a.refused {
		if !until.After(now) {
			delete(a.refused, ext)
		}
	}
	for id, q := range a.queues {
		q.rollDay(now, a.loc)
		if def := snap.queue(id); def != nil {
			q.def = def
		}
	}
	tasks = append(tasks, d.limits(a, snap, now)...)
	taken := map[int64]bool{}
	for _, w := range a.byArrival() {
		offers = append(offers, d.pick(a, snap, w, taken, now)...)
	}
	for id, ms := range snap.members {
		q := a.queue(id)
		q.available = 0
		for _, m := range ms {
			if d.free(a, snap, snap.queue(id), m) {
				q.available++
			}
		}
	}
	evs := d.figures(a, now, false)
	d.mu.Unlock()

	for _, t := range tasks {
		t()
	}
	for _, o := range offers {
		d.spawn(func() { d.start(a, o) })
	}
	if len(evs) > 0 && d.cfg.Publish != nil {
		d.cfg.Publish(evs)
	}
}

// byArrival returns the account's waiting callers who may get an offer,
// longest waiting first. d.mu is held.
func (a *account) byArrival() []*waiter {
	ws := make([]*waiter, 0, len(a.waiting))
	for _, w := range a.waiting {
		if !w.leaving {
			ws = append(ws, w)
		}
	}
	slices.SortFunc(ws, func(x, y *waiter) int { return x.w.At.Compare(y.w.At) })
	return ws
}

// free reports whether a member could be offered a call now: the floor
// says so, nobody rings them, the floor did not just refuse them, and a
// participant has a registered phone and no call (unless the queue
// allows a second one). d.mu is held.
func (d *Dispatcher) free(a *account, snap *snapshot, q *callfloor.Queue, m member) bool {
	if !m.free || a.ringing[m.Ext] != "" || a.refused[m.Ext].After(snap.now) {
		return false
	}
	if m.agent {
		return true
	}
	if d.cfg.Registered != nil && !d.cfg.Registered(a.id, m.Ext) {
		return false
	}
	return (q != nil && q.ParticipantCallWaiting) || !d.cfg.Phones.OnCall(a.id, m.Ext)
}

// pick chooses whom to offer w to. d.mu is held.
func (d *Dispatcher) pick(a *account, snap *snapshot, w *waiter, taken map[int64]bool, now time.Time) []offer {
	q := snap.queue(w.queue)
	if q == nil {
		return nil
	}
	if len(w.offers) > 0 && q.Strategy != callfloor.StrategyRingAll {
		return nil // still ringing someone
	}
	var cands, untried []acd.Candidate
	byExt := map[int64]member{}
	for _, m := range snap.members[w.queue] {
		if taken[m.Ext] || w.offers[m.Ext] != nil || !d.free(a, snap, q, m) {
			continue
		}
		qs := a.queue(w.queue)
		m.Calls = qs.calls[m.Ext]
		if m.IdleSince.IsZero() || !m.agent {
			m.IdleSince = a.freeSince[m.Ext]
		}
		byExt[m.Ext] = m
		cands = append(cands, m.Candidate)
		if !w.tried[m.Ext] {
			untried = append(untried, m.Candidate)
		}
	}
	// No answer moves on: members who missed this caller are offered it
	// again only when nobody else can take it.
	if len(untried) > 0 {
		cands = untried
	} else if len(cands) > 0 {
		clear(w.tried)
	}
	var out []offer
	for _, ext := range a.picker.Pick(w.queue, q.Strategy, cands) {
		taken[ext] = true
		a.ringing[ext] = w.w.CallID
		ctx, cancel := context.WithCancel(context.Background())
		w.offers[ext] = cancel
		out = append(out, offer{w: w, q: q, m: byExt[ext], callID: w.w.CallID, ctx: ctx, cancel: cancel})
	}
	return out
}

// start offers the call to the member on the floor and, once the floor
// admits it, rings the member. Each offer starts on its own, so one
// offer's journal write does not hold up the next round; the ring does
// not wait for it either, and is withdrawn if the write fails.
func (d *Dispatcher) start(a *account, o offer) {
	call := callfloor.CallRef{ID: o.callID, Direction: callfloor.DirQueueIn, QueueID: o.q.ID, From: o.w.w.From, To: o.q.Number}
	decided := make(chan error, 1)
	journaled := make(chan error, 1)
	d.spawn(func() {
		ctx, cancel := context.WithTimeout(context.Background(), floorTimeout)
		defer cancel()
		_, err := d.cfg.Floor.DoDecided(ctx, a.id, floor.Offer{Ext: o.m.Ext, Call: call}, func(err error) { decided <- err })
		journaled <- err
	})
	if err := <-decided; err != nil && callfloor.ErrorCode(err) != callfloor.ErrNotAgent {
		d.log.Debug("acd offer refused by the floor", "account", a.id, "ext", o.m.Ext, "err", err)
		o.cancel()
		d.mu.Lock()
		d.settle(a, o)
		a.refused[o.m.Ext] = d.cfg.Clock.Now().Add(refusedBackoff)
		d.mu.Unlock()
		a.poke()
		return
	}
	d.spawn(func() {
		if err := <-journaled; err != nil && callfloor.ErrorCode(err) != callfloor.ErrNotAgent {
			d.log.Warn("acd offer not journaled; ring withdrawn", "account", a.id, "ext", o.m.Ext, "err", err)
			o.cancel()
		}
	})
	d.mu.Lock()
	if o.ctx.Err() != nil || a.waiting[o.callID] != o.w || o.w.leaving || d.closed {
		o.cancel()
		d.settle(a, o)
		d.mu.Unlock()
		d.hangupOffer(a.id, o.m, o.callID, "canceled")
		a.poke()
		return
	}
	d.record(a.id, o.w, callfloor.CallRecord{Step: "offered", Ext: o.m.Ext}, d.cfg.Clock.Now())
	d.mu.Unlock()
	d.ring(a, o)
}

// settle forgets an offer that is over. d.mu is held.
func (d *Dispatcher) settle(a *account, o offer) {
	delete(o.w.offers, o.m.Ext)
	if a.ringing[o.m.Ext] == o.callID {
		delete(a.ringing, o.m.Ext)
	}
}
