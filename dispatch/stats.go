package dispatch

import (
	"context"
	"slices"
	"time"

	"github.com/callfloor/callfloor"
)

// queueState is one queue's callers and figures in an account's ACD.
type queueState struct {
	id  int64
	def *callfloor.Queue // as last read from the floor
	// line is the callers waiting, in order of arrival in the queue.
	line []*waiter
	// calls counts the queue's calls each member answered today (the
	// fewest-calls strategy).
	calls map[int64]int
	// available is how many members could take a call, last round.
	available int

	// dayEnd is the midnight that ends the day the counters are of
	// (zero until the first round, which knows the time zone).
	dayEnd                                             time.Time
	nAnswered, nInSL, nAbandoned, overflowed, outbound int
	waitAnswered, waitAbandoned                        time.Duration
	// changed: the figures moved since they were last published, at
	// published.
	changed   bool
	published time.Time
}

// queue returns the account's state of a queue. d.mu is held.
func (a *account) queue(id int64) *queueState {
	q := a.queues[id]
	if q == nil {
		q = &queueState{id: id, calls: map[int64]int{}}
		a.queues[id] = q
	}
	return q
}

// rollDay starts the day's counters afresh after midnight in loc.
func (q *queueState) rollDay(now time.Time, loc *time.Location) {
	if !q.dayEnd.IsZero() && now.Before(q.dayEnd) && !now.Before(q.dayEnd.AddDate(0, 0, -1)) {
		return // still the same day
	}
	l := now.In(loc)
	end := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
	if !q.dayEnd.IsZero() && !end.Equal(q.dayEnd) {
		q.nAnswered, q.nInSL, q.nAbandoned, q.overflowed, q.outbound = 0, 0, 0, 0, 0
		q.waitAnswered, q.waitAbandoned = 0, 0
		clear(q.calls)
		q.changed = true
	}
	q.dayEnd = end
}

func (q *queueState) answered(wait time.Duration, slSeconds int) {
	q.nAnswered++
	q.waitAnswered += wait
	if wait <= time.Duration(slSeconds)*time.Second {
		q.nInSL++
	}
	q.changed = true
}

func (q *queueState) abandoned(wait time.Duration) {
	q.nAbandoned++
	q.waitAbandoned += wait
	q.changed = true
}

// stats are the queue's figures at now.
func (q *queueState) stats(now time.Time) callfloor.QueueStats {
	s := callfloor.QueueStats{QueueID: q.id, Waiting: len(q.line), Available: q.available,
		Answered: q.nAnswered, AnsweredInSL: q.nInSL, Abandoned: q.nAbandoned, Overflowed: q.overflowed, Outbound: q.outbound,
		ServiceLevel: 100, At: now}
	if q.def != nil {
		s.Number, s.Name = q.def.Number, q.def.Name
	}
	for _, w := range q.line {
		s.Ringing += len(w.offers)
		if wait := now.Sub(w.since).Seconds(); wait > s.LongestWaitSeconds {
			s.LongestWaitSeconds = wait
		}
	}
	if n := q.nAnswered + q.nAbandoned; n > 0 {
		s.ServiceLevel = 100 * float64(q.nInSL) / float64(n)
	}
	if q.nAnswered > 0 {
		s.ASASeconds = q.waitAnswered.Seconds() / float64(q.nAnswered)
	}
	if q.nAbandoned > 0 {
		s.AbandonWaitSeconds = q.waitAbandoned.Seconds() / float64(q.nAbandoned)
	}
	return s
}

// figures returns queue.stats events for the queues whose figures
// changed, or that have callers waiting and were not published for
// StatsEvery. d.mu is held.
func (d *Dispatcher) figures(a *account, now time.Time, all bool) []callfloor.Event {
	var evs []callfloor.Event
	for _, q := range a.queues {
		due := len(q.line) > 0 && now.Sub(q.published) >= d.cfg.StatsEvery
		if !all && !q.changed && !due {
			continue
		}
		q.changed, q.published = false, now
		s := q.stats(now)
		evs = append(evs, callfloor.Event{AccountID: a.id, At: now, Type: callfloor.EventQueueStats, QueueID: q.id, QueueStats: &s})
	}
	slices.SortFunc(evs, func(x, y callfloor.Event) int { return int(x.QueueID - y.QueueID) })
	return evs
}

// Stats returns the live figures of every queue of the account, in the
// order of their numbers.
func (d *Dispatcher) Stats(ctx context.Context, accountID int64) ([]callfloor.QueueStats, error) {
	d.mu.Lock()
	var restored chan struct{}
	if !d.closed {
		restored = d.account(accountID).restored
	}
	d.mu.Unlock()
	if restored != nil {
		select {
		case <-restored:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	snap, err := d.view(ctx, accountID, nil, false)
	if err != nil {
		return nil, err
	}
	now := d.cfg.Clock.Now()
	snap.now = now
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.accounts[accountID]
	if a == nil {
		a = &account{id: accountID, queues: map[int64]*queueState{}, ringing: map[int64]string{}, refused: map[int64]time.Time{}}
	}
	out := make([]callfloor.QueueStats, 0, len(snap.cfg.Queues))
	for id, sc := range snap.cfg.Queues {
		def := sc.Queue
		if def == nil {
			continue
		}
		q := a.queues[id]
		if q == nil {
			q = &queueState{id: id}
		}
		q.rollDay(now, snap.loc)
		q.def = def
		q.available = 0
		for _, m := range snap.members[id] {
			if d.free(a, snap, def, m) {
				q.available++
			}
		}
		out = append(out, q.stats(now))
	}
	slices.SortFunc(out, func(x, y callfloor.QueueStats) int { return compareNumbers(x.Number, y.Number) })
	return out, nil
}

// compareNumbers orders extension-style numbers: shorter first, then
// by digits.
func compareNumbers(x, y string) int {
	if len(x) != len(y) {
		return len(x) - len(y)
	}
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// restore takes up the day's figures from the queue steps journaled
// before the account's ACD started (a restart), so the boards do not
// start again from zero.
func (d *Dispatcher) restore(ctx context.Context, a *account) {
	if d.cfg.Journal == nil {
		return
	}
	snap, err := d.view(ctx, a.id, map[int64]bool{}, false)
	if err != nil {
		d.log.Warn("queue figures not restored", "account", a.id, "err", err)
		return
	}
	l := a.created.In(snap.loc)
	midnight := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, snap.loc)
	evs, err := d.cfg.Journal.ReadExtensionEvents(ctx, a.id, 0, midnight, a.created)
	if err != nil {
		d.log.Warn("queue figures not restored", "account", a.id, "err", err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	a.loc = snap.loc
	for _, ev := range evs {
		r := ev.Record
		if r == nil || r.QueueID == 0 {
			continue
		}
		q := a.queue(r.QueueID)
		q.rollDay(ev.At, a.loc)
		wait := time.Duration(r.WaitMillis) * time.Millisecond
		switch r.Step {
		case "queue_answered":
			sl := 0
			if def := snap.queue(r.QueueID); def != nil {
				sl = def.ServiceLevelSeconds
			}
			q.answered(wait, sl)
			q.calls[r.Ext]++
		case "abandoned":
			q.abandoned(wait)
		case "overflowed":
			q.overflowed++
		case "outbound":
			q.outbound++
		}
	}
}
