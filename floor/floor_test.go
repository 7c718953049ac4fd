package floor

import (
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var london, _ = time.LoadLocation("Europe/London")

// t0 is a Monday afternoon in London.
var t0 = time.Date(2026, 11, 23, 14, 0, 0, 0, london)

const (
	agentA      = 1  // every permission, outbound queue, auto answer optional
	agentB      = 2  // no permission at all
	agentC      = 3  // may dial but has no outbound queue
	participant = 10 // member of queue salesQ
	salesQ      = 50 // dispositions enabled
	supportQ    = 51 // no dispositions
	lunch       = 1
	training    = 2
	wrapupID    = 100
)

func testConfig() *Config {
	return &Config{
		Location: london,
		Agents: map[int64]*AgentConfig{
			agentA: {ExtensionID: agentA, UserID: 501, WrapupTimeout: time.Minute, AutoAnswer: callfloor.AutoAnswerOptional,
				OutboundQueueID: 90, Permissions: callfloor.AllPermissions()},
			agentB: {ExtensionID: agentB, UserID: 502, WrapupTimeout: time.Minute, AutoAnswer: callfloor.AutoAnswerOff},
			agentC: {ExtensionID: agentC, UserID: 503, WrapupTimeout: time.Minute, AutoAnswer: callfloor.AutoAnswerOn,
				Permissions: callfloor.Permissions{ManualDial: true, Pause: true, Logoff: true}},
		},
		Participants: map[int64]*ParticipantConfig{participant: {ExtensionID: participant, Queues: map[int64]bool{salesQ: true}}},
		PauseReasons: map[int64]*callfloor.PauseReason{
			lunch:    {ID: lunch, Name: "Lunch", Code: 1, ThresholdSeconds: 3600},
			training: {ID: training, Name: "Training", Code: 2, Productive: true},
			wrapupID: {ID: wrapupID, Name: "Wrapup", Productive: true, System: true},
		},
		Queues: map[int64]*SourceConfig{
			salesQ: {DispositionsEnabled: true, Outcomes: []callfloor.Outcome{
				{Category: callfloor.CategorySuccess, Name: "Sale"},
				{Category: callfloor.CategoryFail, Name: "Not interested", FailScope: callfloor.FailContact},
			}},
			supportQ: {},
		},
	}
}

func salesCall(id string) callfloor.CallRef {
	return callfloor.CallRef{ID: id, Direction: callfloor.DirQueueIn, QueueID: salesQ, From: "+441632960999"}
}

// floorIn drives a state through inputs, failing the test on any error.
type floorIn struct {
	t   *testing.T
	cfg *Config
	s   *State
	now time.Time
	log []callfloor.Event
}

func newFloor(t *testing.T) *floorIn {
	return &floorIn{t: t, cfg: testConfig(), s: NewState(t0, london), now: t0}
}

func (f *floorIn) do(ins ...Input) []callfloor.Event {
	f.t.Helper()
	var out []callfloor.Event
	for _, in := range ins {
		evs, err := Step(f.cfg, f.s, in, f.now)
		if err != nil {
			f.t.Fatalf("%T%+v: %v", in, in, err)
		}
		out = append(out, evs...)
	}
	f.log = append(f.log, out...)
	return out
}

func (f *floorIn) advance(d time.Duration) []callfloor.Event {
	f.now = f.now.Add(d)
	evs := RunTimers(f.cfg, f.s, f.now)
	f.log = append(f.log, evs...)
	return evs
}

func types(evs []callfloor.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, string(e.Type))
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// setups put agent A in each state.
var setups = map[callfloor.AgentState][]Input{
	callfloor.StateLoggedOff: nil,
	callfloor.StateIdle:      {Login{Ext: agentA}},
	callfloor.StateRinging:   {Login{Ext: agentA}, Offer{Ext: agentA, Call: salesCall("c1")}},
	callfloor.StateOnCall:    {Login{Ext: agentA}, Offer{Ext: agentA, Call: salesCall("c1")}, Answer{Ext: agentA, CallID: "c1"}},
	callfloor.StateWrapup: {Login{Ext: agentA}, Offer{Ext: agentA, Call: salesCall("c1")}, Answer{Ext: agentA, CallID: "c1"},
		Hangup{Ext: agentA, CallID: "c1", Reason: "remote"}},
	callfloor.StatePaused:  {Login{Ext: agentA}, Pause{Ext: agentA, ReasonID: lunch}},
	callfloor.StatePreview: {Login{Ext: agentA}, StartPreview{Ext: agentA, LeadID: 7, CampaignID: 3}},
}

type want struct {
	err    string               // refused with this code
	events string               // else these event types
	state  callfloor.AgentState // and the agent ends in this state
}

// TestEveryStateEveryInput is the transition table: every state of an
// agent against every input.
func TestEveryStateEveryInput(t *testing.T) {
	const (
		LO = callfloor.StateLoggedOff
		ID = callfloor.StateIdle
		RI = callfloor.StateRinging
		OC = callfloor.StateOnCall
		WR = callfloor.StateWrapup
		PA = callfloor.StatePaused
		PR = callfloor.StatePreview
	)
	none := func(s callfloor.AgentState) want { return want{events: "-", state: s} }
	refused := func(code string, s callfloor.AgentState) want { return want{err: code, state: s} }
	ev := func(evs string, s callfloor.AgentState) want { return want{events: evs, state: s} }
	rows := []struct {
		name  string
		in    Input
		cells map[callfloor.AgentState]want
	}{
		{"login", Login{Ext: agentA, By: 501}, map[callfloor.AgentState]want{
			LO: ev("agent.logged_in", ID), ID: none(ID), RI: none(RI), OC: none(OC), WR: none(WR), PA: none(PA), PR: none(PR)}},
		{"logoff", Logoff{Ext: agentA, By: 501}, map[callfloor.AgentState]want{
			LO: none(LO), ID: ev("agent.logged_off", LO), RI: ev("agent.pending", RI), OC: ev("agent.pending", OC),
			WR: ev("agent.pending", WR), PA: ev("agent.unpaused,agent.logged_off", LO), PR: ev("agent.preview_ended,agent.logged_off", LO)}},
		{"force logoff", Logoff{Ext: agentA, By: 9, Force: true}, map[callfloor.AgentState]want{
			LO: none(LO), ID: ev("agent.logged_off", LO), RI: ev("agent.pending", RI), OC: ev("agent.pending", OC),
			WR: ev("disposition.submitted,agent.logged_off", LO), PA: ev("agent.unpaused,agent.logged_off", LO),
			PR: ev("agent.preview_ended,agent.logged_off", LO)}},
		{"pause", Pause{Ext: agentA, ReasonID: training}, map[callfloor.AgentState]want{
			LO: refused(callfloor.ErrAgentLoggedOff, LO), ID: ev("agent.paused", PA), RI: ev("agent.pending", RI),
			OC: ev("agent.pending", OC), WR: ev("agent.pending", WR), PA: ev("agent.unpaused,agent.paused", PA),
			PR: ev("agent.preview_ended,agent.paused", PA)}},
		{"unpause", Unpause{Ext: agentA}, map[callfloor.AgentState]want{
			LO: refused(callfloor.ErrAgentLoggedOff, LO), ID: none(ID), RI: none(RI), OC: none(OC), WR: none(WR),
			PA: ev("agent.unpaused", ID), PR: none(PR)}},
		{"auto answer", SetAutoAnswer{Ext: agentA, On: true}, map[callfloor.AgentState]want{
			LO: ev("agent.auto_answer", LO), ID: ev("agent.auto_answer", ID), RI: ev("agent.auto_answer", RI), OC: ev("agent.auto_answer", OC),
			WR: ev("agent.auto_answer", WR), PA: ev("agent.auto_answer", PA), PR: ev("agent.auto_answer", PR)}},
		{"dispose", Dispose{Ext: agentA, CallID: "c1", Category: callfloor.CategorySuccess, Outcome: "Sale"}, map[callfloor.AgentState]want{
			LO: refused(callfloor.ErrNoWrapup, LO), ID: refused(callfloor.ErrNoWrapup, ID), RI: refused(callfloor.ErrNoWrapup, RI),
			OC: refused(callfloor.ErrNoWrapup, OC), WR: ev("disposition.submitted", ID), PA: refused(callfloor.ErrNoWrapup, PA),
			PR: refused(callfloor.ErrNoWrapup, PR)}},
		{"dial out", Dial{Ext: agentA, CallID: "d1", Number: "+441632960500"}, map[callfloor.AgentState]want{
			LO: refused(callfloor.ErrAgentLoggedOff, LO), ID: ev("call.dial_requested", OC), RI: refused(callfloor.ErrAgentBusy, RI),
			OC: ev("call.dial_requested", OC), WR: refused(callfloor.ErrInWrapup, WR), PA: refused(callfloor.ErrAgentPaused, PA),
			PR: refused(callfloor.ErrAgentBusy, PR)}},
		{"offer", Offer{Ext: agentA, Call: salesCall("c9")}, map[callfloor.AgentState]want{
			LO: refused(callfloor.ErrAgentLoggedOff, LO), ID: ev("call.offered", RI), RI: refused(callfloor.ErrAgentBusy, RI),
			OC: refused(callfloor.ErrAgentBusy, OC), WR: refused(callfloor.ErrInWrapup, WR), PA: refused(callfloor.ErrAgentPaused, PA),
			PR: refused(callfloor.ErrAgentBusy, PR)}},
		{"answer", Answer{Ext: agentA, CallID: "c1"}, map[callfloor.AgentState]want{
			LO: refused(callfloor.ErrUnknownCall, LO), ID: refused(callfloor.ErrUnknownCall, ID), RI: ev("call.answered", OC),
			OC: none(OC), WR: refused(callfloor.ErrUnknownCall, WR), PA: refused(callfloor.ErrUnknownCall, PA),
			PR: refused(callfloor.ErrUnknownCall, PR)}},
		{"hold", Hold{Ext: agentA, CallID: "c1", Held: true}, map[callfloor.AgentState]want{
			LO: refused(callfloor.ErrUnknownCall, LO), ID: refused(callfloor.ErrUnknownCall, ID), RI: refused(callfloor.ErrUnknownCall, RI),
			OC: ev("call.held", OC), WR: refused(callfloor.ErrUnknownCall, WR), PA: refused(callfloor.ErrUnknownCall, PA),
			PR: refused(callfloor.ErrUnknownCall, PR)}},
		{"mute", Mute{Ext: agentA, CallID: "c1", Muted: true}, map[callfloor.AgentState]want{
			LO: refused(callfloor.ErrUnknownCall, LO), ID: refused(callfloor.ErrUnknownCall, ID), RI: refused(callfloor.ErrUnknownCall, RI),
			OC: ev("call.muted", OC), WR: refused(callfloor.ErrUnknownCall, WR), PA: refused(callfloor.ErrUnknownCall, PA),
			PR: refused(callfloor.ErrUnknownCall, PR)}},
		{"unmute, not muted", Mute{Ext: agentA, CallID: "c1", Muted: false}, map[callfloor.AgentState]want{
			LO: refused(callfloor.ErrUnknownCall, LO), ID: refused(callfloor.ErrUnknownCall, ID), RI: refused(callfloor.ErrUnknownCall, RI),
			OC: none(OC), WR: refused(callfloor.ErrUnknownCall, WR), PA: refused(callfloor.ErrUnknownCall, PA),
			PR: refused(callfloor.ErrUnknownCall, PR)}},
		{"hangup", Hangup{Ext: agentA, CallID: "c1", Reason: "remote"}, map[callfloor.AgentState]want{
			LO: none(LO), ID: none(ID), RI: ev("call.ended", ID), OC: ev("call.ended,wrapup.started", WR), WR: none(WR),
			PA: none(PA), PR: none(PR)}},
		{"start preview", StartPreview{Ext: agentA, LeadID: 8, CampaignID: 3}, map[callfloor.AgentState]want{
			LO: refused(callfloor.ErrAgentLoggedOff, LO), ID: ev("agent.preview", PR), RI: refused(callfloor.ErrAgentBusy, RI),
			OC: refused(callfloor.ErrAgentBusy, OC), WR: refused(callfloor.ErrInWrapup, WR), PA: refused(callfloor.ErrAgentPaused, PA),
			PR: refused(callfloor.ErrAgentBusy, PR)}},
		{"end preview", EndPreview{Ext: agentA}, map[callfloor.AgentState]want{
			LO: none(LO), ID: none(ID), RI: none(RI), OC: none(OC), WR: none(WR), PA: none(PA), PR: ev("agent.preview_ended", ID)}},
		{"phone registers", Phone{Ext: agentA, Softphone: true}, map[callfloor.AgentState]want{
			LO: ev("agent.phone", LO), ID: ev("agent.phone", ID), RI: ev("agent.phone", RI), OC: ev("agent.phone", OC),
			WR: ev("agent.phone", WR), PA: ev("agent.phone", PA), PR: ev("agent.phone", PR)}},
		{"phone already gone", Phone{Ext: agentA}, map[callfloor.AgentState]want{
			LO: none(LO), ID: none(ID), RI: none(RI), OC: none(OC), WR: none(WR), PA: none(PA), PR: none(PR)}},
		{"timer, nothing due", Timer{}, map[callfloor.AgentState]want{
			LO: none(LO), ID: none(ID), RI: none(RI), OC: none(OC), WR: none(WR), PA: none(PA), PR: none(PR)}},
		{"participant pause by an agent", ParticipantPause{Ext: agentA, QueueID: salesQ, Paused: true}, map[callfloor.AgentState]want{
			LO: refused(callfloor.ErrNotParticipant, LO), ID: refused(callfloor.ErrNotParticipant, ID), RI: refused(callfloor.ErrNotParticipant, RI),
			OC: refused(callfloor.ErrNotParticipant, OC), WR: refused(callfloor.ErrNotParticipant, WR), PA: refused(callfloor.ErrNotParticipant, PA),
			PR: refused(callfloor.ErrNotParticipant, PR)}},
	}
	for _, row := range rows {
		for _, st := range callfloor.AgentStates {
			cell, ok := row.cells[st]
			if !ok {
				t.Errorf("%s: no expectation for state %s", row.name, st)
				continue
			}
			t.Run(row.name+"/"+string(st), func(t *testing.T) {
				f := newFloor(t)
				f.do(setups[st]...)
				if got := f.s.Agent(agentA).State; got != st {
					t.Fatalf("setup reached %s, want %s", got, st)
				}
				f.now = f.now.Add(time.Second)
				before := f.s.Agent(agentA).State
				evs, err := Step(f.cfg, f.s, row.in, f.now)
				if got := callfloor.ErrorCode(err); got != cell.err {
					t.Fatalf("error %q (%v), want %q", got, err, cell.err)
				}
				if err == nil && types(evs) != cell.events {
					t.Fatalf("events %s, want %s", types(evs), cell.events)
				}
				if err != nil && f.s.Agent(agentA).State != before {
					t.Fatal("a refused input changed the state")
				}
				if got := f.s.Agent(agentA).State; got != cell.state {
					t.Fatalf("state %s, want %s", got, cell.state)
				}
				if n := len(evs); n > 0 && evs[n-1].ExtensionID == agentA && evs[n-1].State != cell.state {
					t.Fatalf("last event says state %s, want %s", evs[n-1].State, cell.state)
				}
			})
		}
	}
}
