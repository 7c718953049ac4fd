package floor

import (
	"testing"

	"github.com/callfloor/callfloor"
)

func TestControlPermissions(t *testing.T) {
	onCall := func(ext int64) []Input {
		return []Input{Login{Ext: ext}, Offer{Ext: ext, Call: salesCall("c1")}, Answer{Ext: ext, CallID: "c1"}}
	}
	for _, tt := range []struct {
		name   string
		ext    int64
		setup  []Input
		in     Control
		wantOK bool
		code   string
	}{
		{"all permitted: hold", agentA, onCall(agentA), Control{Ext: agentA, CallID: "c1", Action: ControlHold}, true, ""},
		{"all permitted: transfer", agentA, onCall(agentA), Control{Ext: agentA, CallID: "c1", Action: ControlTransfer}, true, ""},
		{"no such call", agentA, onCall(agentA), Control{Ext: agentA, CallID: "zz", Action: ControlHangup}, false, callfloor.ErrUnknownCall},
		{"logged off has no call", agentA, nil, Control{Ext: agentA, CallID: "c1", Action: ControlMute}, false, callfloor.ErrUnknownCall},
		{"C may not hold", agentC, onCall(agentC), Control{Ext: agentC, CallID: "c1", Action: ControlHold}, false, callfloor.ErrNotPermitted},
		{"C may not transfer", agentC, onCall(agentC), Control{Ext: agentC, CallID: "c1", Action: ControlTransfer}, false, callfloor.ErrNotPermitted},
		{"C may not hang up", agentC, onCall(agentC), Control{Ext: agentC, CallID: "c1", Action: ControlHangup}, false, callfloor.ErrNotPermitted},
		{"C may not send DTMF", agentC, onCall(agentC), Control{Ext: agentC, CallID: "c1", Action: ControlDTMF}, false, callfloor.ErrNotPermitted},
		{"C may not conference", agentC, onCall(agentC), Control{Ext: agentC, CallID: "c1", Action: ControlConference}, false, callfloor.ErrNotPermitted},
		{"unknown action", agentA, onCall(agentA), Control{Ext: agentA, CallID: "c1", Action: "teleport"}, false, callfloor.ErrNotPermitted},
		{"a participant has no Agent tab", participant, nil, Control{Ext: participant, CallID: "any", Action: ControlTransfer}, true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFloor(t)
			f.do(tt.setup...)
			before := len(f.log)
			evs, err := Step(f.cfg, f.s, tt.in, f.now)
			if tt.wantOK && err != nil || !tt.wantOK && callfloor.ErrorCode(err) != tt.code {
				t.Fatalf("err %v, want code %q", err, tt.code)
			}
			if len(evs) != 0 || len(f.log) != before {
				t.Fatalf("a control check changed the floor: %v", types(evs))
			}
		})
	}
}

// TestTransferOut: handing a call to an outside number needs the
// transfer permission, the call, and an outbound queue; accepted, it is
// journaled as that queue's outbound step and changes no agent.
func TestTransferOut(t *testing.T) {
	onCall := func(ext int64) []Input {
		return []Input{Login{Ext: ext}, Offer{Ext: ext, Call: salesCall("c1")}, Answer{Ext: ext, CallID: "c1"}}
	}
	for _, tt := range []struct {
		name    string
		setup   []Input
		in      TransferOut
		noQueue bool
		code    string
	}{
		{"agent with an outbound queue", onCall(agentA), TransferOut{Ext: agentA, CallID: "c1", Number: "+441632960999"}, false, ""},
		{"no outbound queue", onCall(agentA), TransferOut{Ext: agentA, CallID: "c1", Number: "+441632960999"}, true, callfloor.ErrNoOutboundQueue},
		{"no transfer permission", onCall(agentC), TransferOut{Ext: agentC, CallID: "c1", Number: "+441632960999"}, false, callfloor.ErrNotPermitted},
		{"not on that call", onCall(agentA), TransferOut{Ext: agentA, CallID: "zz", Number: "+441632960999"}, false, callfloor.ErrUnknownCall},
		{"no number", onCall(agentA), TransferOut{Ext: agentA, CallID: "c1"}, false, callfloor.ErrFieldRequired},
		{"not an agent", nil, TransferOut{Ext: participant, CallID: "c1", Number: "+441632960999"}, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFloor(t)
			if tt.noQueue {
				ac := *f.cfg.Agents[agentA]
				ac.OutboundQueueID = 0
				f.cfg.Agents[agentA] = &ac
			}
			f.do(tt.setup...)
			before := f.s.Agent(tt.in.Ext).State
			evs, err := Step(f.cfg, f.s, tt.in, f.now)
			if callfloor.ErrorCode(err) != tt.code {
				t.Fatalf("err %v, want code %q", err, tt.code)
			}
			if after := f.s.Agent(tt.in.Ext).State; after != before {
				t.Errorf("the agent went from %s to %s", before, after)
			}
			switch {
			case tt.code != "" || tt.in.Ext == participant:
				if len(evs) != 0 {
					t.Errorf("events %v, want none", types(evs))
				}
			case len(evs) != 1 || evs[0].Type != callfloor.EventCallRecord || evs[0].Record == nil:
				t.Errorf("events %+v, want one call record", evs)
			default:
				if r := evs[0].Record; r.Step != "outbound" || r.Reason != OutboundTransfer || r.QueueID != 90 ||
					r.Ext != agentA || r.CallID != "c1" || r.Number != "+441632960999" {
					t.Errorf("record %+v, want the outbound step of queue 90 for the transfer", r)
				}
			}
		})
	}
}

// TestDialAskedTwice: the API asks the floor for a call out, then the
// telephony plane asks again as it places it; the second ask changes
// nothing, even for an agent who may not add a line.
func TestDialAskedTwice(t *testing.T) {
	f := newFloor(t)
	f.do(Login{Ext: agentC})
	first := f.do(Dial{Ext: agentC, CallID: "d1", Number: "201", Internal: true})
	if len(first) != 1 || first[0].Type != callfloor.EventDialRequested {
		t.Fatalf("first dial: %v", types(first))
	}
	evs, err := Step(f.cfg, f.s, Dial{Ext: agentC, CallID: "d1", Number: "201", Internal: true}, f.now)
	if err != nil || len(evs) != 0 {
		t.Fatalf("the same dial again: %v, %v; want nothing", types(evs), err)
	}
	// A different call is a second line, which agent C may not have.
	if _, err := Step(f.cfg, f.s, Dial{Ext: agentC, CallID: "d2", Number: "202", Internal: true}, f.now); callfloor.ErrorCode(err) != callfloor.ErrNotPermitted {
		t.Fatalf("a second line: %v, want not_permitted", err)
	}
}

func TestRecordJournalsACallStep(t *testing.T) {
	f := newFloor(t)
	if _, err := Step(f.cfg, f.s, Record{Call: callfloor.CallRecord{Step: "ended"}}, f.now); callfloor.ErrorCode(err) != callfloor.ErrFieldRequired {
		t.Fatalf("a record without a call ID: %v", err)
	}
	rec := callfloor.CallRecord{CallID: "c9", Step: "ended", From: agentA, Parties: []int64{agentA}, Reason: "caller_hangup"}
	evs := f.do(Record{Call: rec})
	if len(evs) != 1 || evs[0].Type != callfloor.EventCallRecord || evs[0].Record == nil || evs[0].Record.CallID != "c9" ||
		evs[0].Record.Reason != "caller_hangup" || evs[0].ExtensionID != 0 {
		t.Fatalf("events %+v", evs)
	}
	if len(f.s.Agents) != 0 {
		t.Fatalf("a call record made agents %v", f.s.Agents)
	}
}

func TestSystemPause(t *testing.T) {
	f := newFloor(t)
	f.do(Login{Ext: agentA})
	evs := f.do(SystemPause{Ext: agentA, Reason: "Missed calls"})
	if len(evs) != 1 || evs[0].Type != callfloor.EventPaused || evs[0].Pause == nil || !evs[0].Pause.System ||
		evs[0].Pause.Name != "Missed calls" || evs[0].Pause.Productive {
		t.Fatalf("events %+v, want an unproductive system pause", evs)
	}
	if a := f.s.Agent(agentA); a.State != callfloor.StatePaused {
		t.Fatalf("agent %s, want paused", a.State)
	}
	// Already paused: nothing more; the agent unpauses as from any pause.
	if evs := f.do(SystemPause{Ext: agentA, Reason: "Missed calls"}); len(evs) != 0 {
		t.Fatalf("a second system pause: %v", types(evs))
	}
	f.do(Unpause{Ext: agentA})
	if a := f.s.Agent(agentA); a.State != callfloor.StateIdle {
		t.Fatalf("agent %s after unpause, want idle", a.State)
	}
	// On a call the pause waits for the end of it.
	f.do(Offer{Ext: agentA, Call: salesCall("c1")}, Answer{Ext: agentA, CallID: "c1"})
	if evs := f.do(SystemPause{Ext: agentA, Reason: "Missed calls"}); len(evs) != 1 || evs[0].Type != callfloor.EventPending {
		t.Fatalf("system pause on a call: %v, want pending", types(evs))
	}
	// Logged off, or no reason: refused.
	if _, err := Step(f.cfg, f.s, SystemPause{Ext: agentB, Reason: "Missed calls"}, f.now); callfloor.ErrorCode(err) != callfloor.ErrAgentLoggedOff {
		t.Fatalf("logged-off agent: %v", err)
	}
	f.do(Login{Ext: agentB})
	if _, err := Step(f.cfg, f.s, SystemPause{Ext: agentB}, f.now); callfloor.ErrorCode(err) != callfloor.ErrFieldRequired {
		t.Fatalf("no reason: %v", err)
	}
}

// TestMuteShowsOnTheLine: a mute is a fact of the floor, kept on the line
// (so every page shows it after a reload) and gone with the call.
func TestMuteShowsOnTheLine(t *testing.T) {
	f := newFloor(t)
	f.do(Login{Ext: agentA}, Offer{Ext: agentA, Call: salesCall("c1")}, Answer{Ext: agentA, CallID: "c1"},
		Mute{Ext: agentA, CallID: "c1", Muted: true})
	if l := f.s.Agent(agentA).line("c1"); l == nil || !l.Muted {
		t.Fatalf("after mute the line is %+v", l)
	}
	f.do(Mute{Ext: agentA, CallID: "c1", Muted: false})
	if l := f.s.Agent(agentA).line("c1"); l == nil || l.Muted {
		t.Fatalf("after unmute the line is %+v", l)
	}
}
