package floor

import (
	"time"

	"github.com/callfloor/callfloor"
)

// State is the live state of one account's floor. Only the account's
// engine goroutine touches it.
type State struct {
	Agents map[int64]*Agent // by extension ID; absent means logged off
	// Participants: extension ID → queue ID → paused since.
	Participants map[int64]map[int64]time.Time
	// Incomplete dispositions by call ID, until the agent completes them.
	Incomplete map[string]*Incomplete
	// NextMidnight is the next 00:00 in the account's time zone.
	NextMidnight time.Time
	// Seq is the sequence number of the last applied event.
	Seq int64

	// timers orders the agents' due times (see schedule); rebuilt, not
	// saved in snapshots.
	timers dueHeap
}

// Agent is one agent's live state.
type Agent struct {
	ExtensionID int64
	State       callfloor.AgentState
	// Since is when State (or the pause reason) last changed.
	Since    time.Time
	LoggedIn bool
	LoginAt  time.Time

	Pause         *callfloor.PauseRef
	PauseSince    time.Time
	ThresholdSent bool
	Pending       callfloor.Pending
	AutoAnswer    bool
	// PhoneRegistered: the agent's phone is registered, so calls can
	// reach it.
	PhoneRegistered bool

	// CallsToday counts the calls the agent placed and the calls they
	// answered since the account's last midnight, as the performance
	// toolbar counts them.
	CallsToday int

	Lines []*Line
	// Wrapups are the answered calls waiting for a disposition, oldest
	// first; the first is in wrap-up once no line is left.
	Wrapups []*Wrapup
	Preview *Preview

	// due is the agent's timer as last scheduled in State.timers.
	due due
}

// Line is one call of an agent.
type Line struct {
	Call     callfloor.CallRef
	Outbound bool
	Answered bool
	Held     bool
	// Muted: the agent's phone is muted on this call.
	Muted bool
	Since time.Time
	// Notes are what the agent typed about the call so far.
	Notes *callfloor.CallNotes
}

// Wrapup is a call waiting for its disposition.
type Wrapup struct {
	Call  callfloor.CallRef
	Since time.Time
	// DueAt is set when the wrap-up starts (when no line is left).
	DueAt time.Time
	// Notes are what the agent typed about the call, during it or since.
	Notes *callfloor.CallNotes
}

// Preview is the campaign lead an agent is looking at.
type Preview struct {
	LeadID, CampaignID int64
}

// Incomplete is a disposition nobody chose yet.
type Incomplete struct {
	ExtensionID int64
	Call        callfloor.CallRef
	// Recorded is what the system recorded meanwhile (Unsure - No agent
	// submission after a timeout), or nil when cut short.
	Recorded *callfloor.Disposition
	At       time.Time
}

// NewState returns an empty floor for an account in loc.
func NewState(now time.Time, loc *time.Location) *State {
	return &State{
		Agents:       map[int64]*Agent{},
		Participants: map[int64]map[int64]time.Time{},
		Incomplete:   map[string]*Incomplete{},
		NextMidnight: NextMidnight(now, loc),
	}
}

// init makes a decoded state usable: its maps, and its timers, which
// snapshots do not keep.
func (s *State) init() {
	defer func() {
		s.timers = nil
		for _, a := range s.Agents {
			a.due = due{kind: dueNone}
			s.schedule(a)
		}
	}()
	if s.Agents == nil {
		s.Agents = map[int64]*Agent{}
	}
	if s.Participants == nil {
		s.Participants = map[int64]map[int64]time.Time{}
	}
	if s.Incomplete == nil {
		s.Incomplete = map[string]*Incomplete{}
	}
}

// NextMidnight returns the first 00:00 after t in loc, correct across
// daylight-saving changes (a day may be 23 or 25 hours long).
func NextMidnight(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
}

// Agent returns the agent's state, logged off if unknown.
func (s *State) Agent(ext int64) *Agent {
	if a := s.Agents[ext]; a != nil {
		return a
	}
	return &Agent{ExtensionID: ext, State: callfloor.StateLoggedOff}
}

// line returns the agent's line for a call.
func (a *Agent) line(callID string) *Line {
	for _, l := range a.Lines {
		if l.Call.ID == callID {
			return l
		}
	}
	return nil
}

// derive computes the state from the agent's facts.
func (a *Agent) derive() callfloor.AgentState {
	if !a.LoggedIn {
		return callfloor.StateLoggedOff
	}
	ringing := false
	for _, l := range a.Lines {
		if l.Answered || l.Outbound {
			return callfloor.StateOnCall
		}
		ringing = true
	}
	switch {
	case ringing:
		return callfloor.StateRinging
	case len(a.Wrapups) > 0:
		return callfloor.StateWrapup
	case a.Preview != nil:
		return callfloor.StatePreview
	case a.Pause != nil:
		return callfloor.StatePaused
	}
	return callfloor.StateIdle
}

// clone copies the state, so that a snapshot can be encoded off the
// engine goroutine: what Apply changes in place (agents, their lines and
// wrap-ups, the participants' pauses, incomplete dispositions) is
// copied; what it only ever replaces (pause references, previews) is
// shared.
func (s *State) clone() *State {
	c := &State{NextMidnight: s.NextMidnight, Seq: s.Seq,
		Agents:       make(map[int64]*Agent, len(s.Agents)),
		Participants: make(map[int64]map[int64]time.Time, len(s.Participants)),
		Incomplete:   make(map[string]*Incomplete, len(s.Incomplete))}
	for id, a := range s.Agents {
		ac := *a
		ac.Lines, ac.Wrapups = cloneAll(a.Lines), cloneAll(a.Wrapups)
		c.Agents[id] = &ac
	}
	for ext, queues := range s.Participants {
		m := make(map[int64]time.Time, len(queues))
		for q, t := range queues {
			m[q] = t
		}
		c.Participants[ext] = m
	}
	for id, inc := range s.Incomplete {
		ic := *inc
		c.Incomplete[id] = &ic
	}
	return c
}

// cloneAll copies a slice of pointers and what they point to.
func cloneAll[T any](xs []*T) []*T {
	if xs == nil {
		return nil
	}
	out := make([]*T, len(xs))
	for i, x := range xs {
		v := *x
		out[i] = &v
	}
	return out
}
