package floor

import (
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
	dueMidnight = iota
	dueWrapup
	dueThreshold
)

// NextDue returns when the earliest timer of the floor is due: midnight,
// a wrap-up timeout or a pause threshold. The engine sleeps until then and
// sends Timer; after a restart, timers that fell due while the server was
// down fire at once, stamped with the time they were due.
func (s *State) NextDue() time.Time { return s.next().at }

func (s *State) next() due {
	best := due{at: s.NextMidnight, kind: dueMidnight}
	consider := func(c due) {
		if c.at.Before(best.at) || (c.at.Equal(best.at) && (c.kind < best.kind || (c.kind == best.kind && c.ext < best.ext))) {
			best = c
		}
	}
	for _, a := range s.Agents {
		if !a.LoggedIn {
			continue
		}
		if len(a.Lines) == 0 && len(a.Wrapups) > 0 && !a.Wrapups[0].DueAt.IsZero() {
			consider(due{at: a.Wrapups[0].DueAt, kind: dueWrapup, ext: a.ExtensionID})
		}
		if a.Pause != nil && a.Pause.ThresholdSeconds > 0 && !a.ThresholdSent {
			consider(due{at: a.PauseSince.Add(time.Duration(a.Pause.ThresholdSeconds) * time.Second), kind: dueThreshold, ext: a.ExtensionID})
		}
	}
	return best
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
	evs := []callfloor.Event{ev}
	if len(a.Wrapups) > 1 {
		timeout := time.Duration(callfloor.DefaultWrapupTimeout) * time.Second
		if ac := d.cfg.Agents[a.ExtensionID]; ac != nil {
			timeout = ac.WrapupTimeout
		}
		return append(evs, d.wrapup(a.ExtensionID, a.Wrapups[1].Call, d.now.Add(timeout)))
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
