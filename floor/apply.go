package floor

import (
	"time"

	"github.com/callfloor/callfloor"
)

// Apply folds one event into the state and sets ev.State to the agent's
// resulting state. It never fails: events are facts already decided.
func (s *State) Apply(ev *callfloor.Event) {
	if ev.Seq > s.Seq {
		s.Seq = ev.Seq
	}
	switch ev.Type {
	case callfloor.EventMidnight:
		if ev.DueAt != nil {
			s.NextMidnight = *ev.DueAt
		}
		for _, a := range s.Agents {
			a.CallsToday = 0 // a new day
		}
		return
	case callfloor.EventParticipantPaused:
		q := s.Participants[ev.ExtensionID]
		if q == nil {
			q = map[int64]time.Time{}
			s.Participants[ev.ExtensionID] = q
		}
		q[ev.QueueID] = ev.At
		return
	case callfloor.EventParticipantResume:
		delete(s.Participants[ev.ExtensionID], ev.QueueID)
		return
	case callfloor.EventCallRecord:
		return
	case callfloor.EventDispositionLater:
		if ev.Disposition != nil {
			delete(s.Incomplete, ev.Disposition.CallID)
		}
		return
	}
	a := s.Agents[ev.ExtensionID]
	if a == nil {
		a = &Agent{ExtensionID: ev.ExtensionID, State: callfloor.StateLoggedOff, Since: ev.At, due: due{kind: dueNone}}
		s.Agents[ev.ExtensionID] = a
	}
	reasonChanged := false
	switch ev.Type {
	case callfloor.EventLoggedIn:
		a.LoggedIn, a.LoginAt = true, ev.At
	case callfloor.EventLoggedOff:
		a.LoggedIn = false
		a.Pause, a.Pending, a.Preview, a.Lines, a.Wrapups = nil, callfloor.Pending{}, nil, nil, nil
	case callfloor.EventPaused:
		a.Pause, a.PauseSince, a.ThresholdSent = ev.Pause, ev.At, false
		a.Pending.Pause = nil
		reasonChanged = true
	case callfloor.EventUnpaused:
		a.Pause = nil
	case callfloor.EventPending:
		a.Pending = callfloor.Pending{}
		if ev.Pending != nil {
			a.Pending = *ev.Pending
		}
	case callfloor.EventAutoAnswer:
		a.AutoAnswer = ev.AutoAnswer != nil && *ev.AutoAnswer
	case callfloor.EventPhone:
		a.PhoneRegistered = ev.PhoneRegistered != nil && *ev.PhoneRegistered
	case callfloor.EventPauseThreshold:
		a.ThresholdSent = true
	case callfloor.EventPreview:
		a.Preview = &Preview{LeadID: ev.LeadID, CampaignID: ev.CampaignID}
	case callfloor.EventPreviewEnded:
		a.Preview = nil
	case callfloor.EventCallOffered, callfloor.EventDialRequested:
		a.Preview = nil
		a.Lines = append(a.Lines, &Line{Call: *ev.Call, Outbound: ev.Type == callfloor.EventDialRequested, Since: ev.At})
		if ev.Type == callfloor.EventDialRequested {
			a.CallsToday++
		}
	case callfloor.EventCallAnswered:
		if l := a.line(ev.Call.ID); l != nil {
			if !l.Answered && !l.Outbound {
				a.CallsToday++
			}
			l.Answered, l.Since = true, ev.At
		}
	case callfloor.EventCallHeld, callfloor.EventCallResumed:
		if l := a.line(ev.Call.ID); l != nil {
			l.Held = ev.Type == callfloor.EventCallHeld
		}
	case callfloor.EventCallNotes:
		n := *ev.Notes
		if l := a.line(ev.Call.ID); l != nil {
			l.Notes = &n
		}
		for _, w := range a.Wrapups {
			if w.Call.ID == ev.Call.ID {
				w.Notes = &n
			}
		}
	case callfloor.EventCallMuted, callfloor.EventCallUnmuted:
		if l := a.line(ev.Call.ID); l != nil {
			l.Muted = ev.Type == callfloor.EventCallMuted
		}
	case callfloor.EventCallEnded:
		for i, l := range a.Lines {
			if l.Call.ID == ev.Call.ID {
				a.Lines = append(a.Lines[:i:i], a.Lines[i+1:]...)
				break
			}
		}
	case callfloor.EventWrapupStarted:
		s.startWrapup(a, ev)
	case callfloor.EventDisposition:
		s.dispose(a, ev)
	}
	if st := a.derive(); st != a.State || reasonChanged {
		a.State, a.Since = st, ev.At
	}
	ev.State = a.State
	s.schedule(a)
}

// startWrapup queues the call for a disposition, or, with DueAt, makes it
// the active wrap-up.
func (s *State) startWrapup(a *Agent, ev *callfloor.Event) {
	var due time.Time
	if ev.DueAt != nil {
		due = *ev.DueAt
	}
	for _, w := range a.Wrapups {
		if w.Call.ID == ev.Call.ID {
			w.DueAt = due
			return
		}
	}
	w := &Wrapup{Call: *ev.Call, Since: ev.At, DueAt: due}
	if ev.Notes != nil {
		n := *ev.Notes
		w.Notes = &n
	}
	a.Wrapups = append(a.Wrapups, w)
}

// dispose removes the call from the wrap-ups; an incomplete disposition is
// kept for the agent to complete later.
func (s *State) dispose(a *Agent, ev *callfloor.Event) {
	d := ev.Disposition
	for i, w := range a.Wrapups {
		if w.Call.ID != d.CallID {
			continue
		}
		if d.Incomplete {
			inc := &Incomplete{ExtensionID: a.ExtensionID, Call: w.Call, At: ev.At}
			if d.Category != "" {
				rec := *d
				inc.Recorded = &rec
			}
			s.Incomplete[d.CallID] = inc
		}
		a.Wrapups = append(a.Wrapups[:i:i], a.Wrapups[i+1:]...)
		return
	}
}
