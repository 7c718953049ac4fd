package floor

import (
	"container/heap"
	"time"

	"github.com/callfloor/callfloor"
)

// due is one timer derived from the state.
type due struct {
	at   time.Time
	kind int // dueMidnight, dueWrapup, dueThreshold: the order of a tie
	ext  int64
}

const (
	dueNone = iota - 1
	dueMidnight
	dueWrapup
	dueThreshold
)

func (d due) before(o due) bool {
	if !d.at.Equal(o.at) {
		return d.at.Before(o.at)
	}
	if d.kind != o.kind {
		return d.kind < o.kind
	}
	return d.ext < o.ext
}

// dueOf is the agent's own earliest timer: the active wrap-up's timeout or
// its pause's threshold.
func (a *Agent) dueOf() due {
	best := due{kind: dueNone, ext: a.ExtensionID}
	if !a.LoggedIn {
		return best
	}
	if len(a.Lines) == 0 && len(a.Wrapups) > 0 && !a.Wrapups[0].DueAt.IsZero() {
		best = due{at: a.Wrapups[0].DueAt, kind: dueWrapup, ext: a.ExtensionID}
	}
	if a.Pause != nil && a.Pause.ThresholdSeconds > 0 && !a.ThresholdSent {
		t := due{at: a.PauseSince.Add(time.Duration(a.Pause.ThresholdSeconds) * time.Second), kind: dueThreshold, ext: a.ExtensionID}
		if best.kind == dueNone || t.before(best) {
			best = t
		}
	}
	return best
}

// dueHeap orders the agents' timers; an entry is stale once its agent's
// timer changed, and is dropped when it reaches the top.
type dueHeap []due

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].before(h[j]) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(due)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// schedule records the agent's current timer after a change.
func (s *State) schedule(a *Agent) {
	d := a.dueOf()
	if d == a.due {
		return
	}
	a.due = d
	if d.kind != dueNone {
		heap.Push(&s.timers, d)
	}
}

// NextDue returns when the earliest timer of the floor is due: midnight,
// a wrap-up timeout or a pause threshold. The engine sleeps until then and
// sends Timer; after a restart, timers that fell due while the server was
// down fire at once, stamped with the time they were due.
func (s *State) NextDue() time.Time { return s.next().at }

func (s *State) next() due {
	midnight := due{at: s.NextMidnight, kind: dueMidnight}
	for s.timers.Len() > 0 {
		top := s.timers[0]
		if a := s.Agents[top.ext]; a != nil && a.due == top {
			if top.before(midnight) {
				return top
			}
			return midnight
		}
		heap.Pop(&s.timers)
	}
	return midnight
}

// timer fires the earliest due timer, if it is due at d.now. Its events are
// stamped with the time it was due.
func (d *decider) timer() ([]callfloor.Event, error) {
	t := d.s.next()
	if t.at.After(d.now) {
		return nil, nil
	}
	d.now = t.at
	switch t.kind {
	case dueWrapup:
		return d.wrapupTimeout(d.s.Agents[t.ext]), nil
	case dueThreshold:
		a := d.s.Agents[t.ext]
		ev := d.event(callfloor.EventPauseThreshold, a.ExtensionID, 0)
		ev.Pause = a.Pause
		return []callfloor.Event{ev}, nil
	}
	return d.midnight(), nil
}

// wrapupTimeout records "Unsure - No agent submission" for the agent and
// moves on to the next wrap-up or to what the agent asked for meanwhile.
func (d *decider) wrapupTimeout(a *Agent) []callfloor.Event {
	w := a.Wrapups[0]
	ev := d.event(callfloor.EventDisposition, a.ExtensionID, 0)
	ev.Call = ref(w.Call)
	ev.Disposition = &callfloor.Disposition{CallID: w.Call.ID, Category: callfloor.CategoryUnsure,
		Outcome: callfloor.NoAgentSubmission, Incomplete: true}
	if w.Notes != nil {
		ev.Disposition.Notes, ev.Disposition.Tags = w.Notes.Notes, w.Notes.Tags
	}
	evs := []callfloor.Event{ev}
	if len(a.Wrapups) > 1 {
		timeout := time.Duration(callfloor.DefaultWrapupTimeout) * time.Second
		if ac := d.cfg.Agents[a.ExtensionID]; ac != nil {
			timeout = ac.WrapupTimeout
		}
		return append(evs, d.wrapup(a.ExtensionID, a.Wrapups[1].Call, d.now.Add(timeout), a.Wrapups[1].Notes))
	}
	return append(evs, d.afterCalls(a)...)
}

// midnight logs every agent off at 00:00 in the account's time zone. An
// agent on a call is logged off when the call and its wrap-up end.
func (d *decider) midnight() []callfloor.Event {
	var evs []callfloor.Event
	for _, a := range d.s.sortedAgents() {
		switch {
		case !a.LoggedIn:
		case len(a.Lines) > 0:
			evs = append(evs, d.setPending(a, 0, callfloor.Pending{Logoff: callfloor.LogoffMidnight})...)
		default:
			evs = append(evs, d.logoffNow(a, 0, callfloor.LogoffMidnight)...)
		}
	}
	ev := d.event(callfloor.EventMidnight, 0, 0)
	next := NextMidnight(d.now.Add(time.Second), d.cfg.Location)
	ev.DueAt = &next
	return append(evs, ev)
}
