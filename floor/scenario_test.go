package floor

import (
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

func TestWrapupTimeoutRecordsNoAgentSubmission(t *testing.T) {
	f := newFloor(t)
	f.do(setups[callfloor.StateWrapup]...)
	if evs := f.advance(59 * time.Second); len(evs) != 0 {
		t.Fatalf("fired early: %s", types(evs))
	}
	f.now = f.now.Add(10 * time.Minute) // the server was down when it fell due
	evs := RunTimers(f.cfg, f.s, f.now)
	if types(evs) != "disposition.submitted" {
		t.Fatalf("events %s", types(evs))
	}
	d := evs[0].Disposition
	if d.Category != callfloor.CategoryUnsure || d.Outcome != callfloor.NoAgentSubmission || !d.Incomplete || d.By != 0 {
		t.Errorf("disposition %+v", d)
	}
	if !evs[0].At.Equal(t0.Add(time.Minute)) {
		t.Errorf("stamped %v, want the due time %v", evs[0].At, t0.Add(time.Minute))
	}
	if f.s.Agent(agentA).State != callfloor.StateIdle || f.s.Incomplete["c1"] == nil {
		t.Fatalf("state %s, incomplete %v", f.s.Agent(agentA).State, f.s.Incomplete)
	}
	// The agent completes it later from Most Recent Activity.
	evs = f.do(Dispose{Ext: agentA, By: 501, CallID: "c1", Category: callfloor.CategoryFail, Outcome: "Not interested", Notes: "rang back"})
	if types(evs) != "disposition.completed" || evs[0].Disposition.FailScope != callfloor.FailContact || evs[0].Disposition.By != 501 {
		t.Fatalf("completion %s %+v", types(evs), evs[0].Disposition)
	}
	if _, err := Step(f.cfg, f.s, Dispose{Ext: agentA, CallID: "c1", Category: callfloor.CategorySuccess, Outcome: "Sale"}, f.now); callfloor.ErrorCode(err) != callfloor.ErrNoWrapup {
		t.Fatalf("completing twice: %v", err)
	}
}

func TestPendingRequestsApplyAfterWrapup(t *testing.T) {
	f := newFloor(t)
	f.do(setups[callfloor.StateOnCall]...)
	f.do(Pause{Ext: agentA, ReasonID: lunch})
	a := f.s.Agent(agentA)
	if a.State != callfloor.StateOnCall || a.Pending.Pause == nil || a.Pending.Pause.Name != "Lunch" {
		t.Fatalf("pending pause not shown: %+v", a.Pending)
	}
	f.do(Hangup{Ext: agentA, CallID: "c1"})
	if a.State != callfloor.StateWrapup {
		t.Fatalf("state %s", a.State)
	}
	evs := f.do(Dispose{Ext: agentA, CallID: "c1", Category: callfloor.CategorySuccess, Outcome: "Sale", Tags: []string{"vip"}})
	if types(evs) != "disposition.submitted,agent.paused" || a.State != callfloor.StatePaused || a.Pause.Name != "Lunch" {
		t.Fatalf("events %s, state %s", types(evs), a.State)
	}
	if a.Pending.Pause != nil {
		t.Error("pending pause not cleared")
	}
}

func TestPendingLogoffWithoutDispositions(t *testing.T) {
	f := newFloor(t)
	f.do(Login{Ext: agentA}, Offer{Ext: agentA, Call: callfloor.CallRef{ID: "s1", Direction: callfloor.DirQueueIn, QueueID: supportQ}},
		Answer{Ext: agentA, CallID: "s1"}, Logoff{Ext: agentA})
	evs := f.do(Hangup{Ext: agentA, CallID: "s1"})
	if types(evs) != "call.ended,agent.logged_off" || evs[1].LogoffReason != callfloor.LogoffAgent {
		t.Fatalf("events %s", types(evs))
	}
}

func TestUnpauseCancelsPendingPause(t *testing.T) {
	f := newFloor(t)
	f.do(setups[callfloor.StateOnCall]...)
	f.do(Pause{Ext: agentA, ReasonID: lunch}, Unpause{Ext: agentA})
	f.do(Hangup{Ext: agentA, CallID: "c1"})
	evs := f.do(Dispose{Ext: agentA, CallID: "c1", Category: callfloor.CategorySuccess, Outcome: "Sale"})
	if types(evs) != "disposition.submitted" || f.s.Agent(agentA).State != callfloor.StateIdle {
		t.Fatalf("events %s, state %s", types(evs), f.s.Agent(agentA).State)
	}
}

func TestMidnightLogsEveryoneOff(t *testing.T) {
	f := newFloor(t)
	f.do(Login{Ext: agentA}, Login{Ext: agentB}, Login{Ext: agentC}, Pause{Ext: agentC, ReasonID: training})
	f.do(Offer{Ext: agentB, Call: salesCall("m1")}, Answer{Ext: agentB, CallID: "m1"})
	midnight := time.Date(2026, 11, 24, 0, 0, 0, 0, london)
	f.now = midnight.Add(7 * time.Minute) // late tick: events still say 00:00
	evs := RunTimers(f.cfg, f.s, f.now)
	if types(evs) != "agent.logged_off,agent.pending,agent.unpaused,agent.logged_off,floor.midnight" {
		t.Fatalf("events %s", types(evs))
	}
	for _, e := range evs {
		if !e.At.Equal(midnight) {
			t.Errorf("%s stamped %v, want %v", e.Type, e.At, midnight)
		}
	}
	if evs[0].LogoffReason != callfloor.LogoffMidnight || evs[2].Pause.Name != "Training" {
		t.Errorf("events %+v", evs)
	}
	if b := f.s.Agent(agentB); b.State != callfloor.StateOnCall || b.Pending.Logoff != callfloor.LogoffMidnight {
		t.Fatalf("agent on a call: %s %+v", b.State, b.Pending)
	}
	// The call ends; after its wrap-up the agent is logged off.
	f.do(Hangup{Ext: agentB, CallID: "m1"})
	evs = f.do(Dispose{Ext: agentB, CallID: "m1", Category: callfloor.CategorySuccess, Outcome: "Sale"})
	if types(evs) != "disposition.submitted,agent.logged_off" || evs[1].LogoffReason != callfloor.LogoffMidnight {
		t.Fatalf("events %s", types(evs))
	}
	if next := f.s.NextMidnight; !next.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, london)) {
		t.Errorf("next midnight %v", next)
	}
}

func TestMidnightCutsWrapupShort(t *testing.T) {
	f := newFloor(t)
	f.now = time.Date(2026, 11, 23, 23, 59, 30, 0, london)
	f.do(setups[callfloor.StateWrapup]...)
	evs := f.advance(time.Minute)
	if types(evs) != "disposition.submitted,agent.logged_off,floor.midnight" || !evs[0].Disposition.Incomplete || evs[0].Disposition.Category != "" {
		t.Fatalf("events %s %+v", types(evs), evs[0].Disposition)
	}
	if f.s.Incomplete["c1"] == nil || f.s.Incomplete["c1"].Recorded != nil {
		t.Fatal("cut-short disposition not kept as incomplete")
	}
}

func TestNextMidnightAcrossDaylightSaving(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		loc  *time.Location
		from time.Time
		want time.Time
		hrs  float64 // hours from the previous midnight
	}{
		// London springs forward on 29 March 2026: that day has 23 hours.
		{london, time.Date(2026, 3, 29, 12, 0, 0, 0, london), time.Date(2026, 3, 30, 0, 0, 0, 0, london), 23},
		// and falls back on 25 October 2026: 25 hours.
		{london, time.Date(2026, 10, 25, 12, 0, 0, 0, london), time.Date(2026, 10, 26, 0, 0, 0, 0, london), 25},
		{ny, time.Date(2026, 3, 8, 1, 0, 0, 0, ny), time.Date(2026, 3, 9, 0, 0, 0, 0, ny), 23},
		{time.UTC, time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 24},
	}
	for _, tc := range tests {
		got := NextMidnight(tc.from, tc.loc)
		if !got.Equal(tc.want) {
			t.Errorf("NextMidnight(%v) = %v, want %v", tc.from, got, tc.want)
		}
		prev := time.Date(tc.from.Year(), tc.from.Month(), tc.from.Day(), 0, 0, 0, 0, tc.loc)
		if h := got.Sub(prev).Hours(); h != tc.hrs {
			t.Errorf("day of %v has %v hours, want %v", tc.from, h, tc.hrs)
		}
	}
}

func TestPauseThreshold(t *testing.T) {
	f := newFloor(t)
	f.do(Login{Ext: agentA}, Pause{Ext: agentA, ReasonID: lunch})
	if evs := f.advance(59 * time.Minute); len(evs) != 0 {
		t.Fatalf("early: %s", types(evs))
	}
	evs := f.advance(2 * time.Minute)
	if types(evs) != "agent.pause_threshold" || !evs[0].At.Equal(t0.Add(time.Hour)) || evs[0].Pause.Name != "Lunch" {
		t.Fatalf("events %s at %v", types(evs), evs)
	}
	if evs := f.advance(time.Hour); len(evs) != 0 {
		t.Fatalf("threshold fired twice: %s", types(evs))
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup []Input
		in    Input
		code  string
	}{
		{"not an agent", nil, Login{Ext: participant}, callfloor.ErrNotAgent},
		{"pause not permitted", []Input{Login{Ext: agentB}}, Pause{Ext: agentB, ReasonID: lunch}, callfloor.ErrNotPermitted},
		{"logoff not permitted", []Input{Login{Ext: agentB}}, Logoff{Ext: agentB}, callfloor.ErrNotPermitted},
		{"supervisor may force it", []Input{Login{Ext: agentB}}, Logoff{Ext: agentB, Force: true}, ""},
		{"dial not permitted", []Input{Login{Ext: agentB}}, Dial{Ext: agentB, CallID: "x", Number: "123"}, callfloor.ErrNotPermitted},
		{"no outbound queue", []Input{Login{Ext: agentC}}, Dial{Ext: agentC, CallID: "x", Number: "+441632960500"}, callfloor.ErrNoOutboundQueue},
		{"internal call needs none", []Input{Login{Ext: agentC}}, Dial{Ext: agentC, CallID: "x", Number: "202", Internal: true}, ""},
		{"unknown pause reason", []Input{Login{Ext: agentA}}, Pause{Ext: agentA, ReasonID: 77}, callfloor.ErrInvalidReference},
		{"system reason", []Input{Login{Ext: agentA}}, Pause{Ext: agentA, ReasonID: wrapupID}, callfloor.ErrSystemReason},
		{"auto answer fixed", nil, SetAutoAnswer{Ext: agentB, On: true}, callfloor.ErrAutoAnswerFixed},
		{"outcome of another category", setups[callfloor.StateWrapup],
			Dispose{Ext: agentA, CallID: "c1", Category: callfloor.CategoryFail, Outcome: "Sale"}, callfloor.ErrInvalidOutcome},
		{"system outcome", setups[callfloor.StateWrapup],
			Dispose{Ext: agentA, CallID: "c1", Category: callfloor.CategoryUnsure, Outcome: callfloor.NoAgentSubmission}, callfloor.ErrInvalidOutcome},
		{"bad category", setups[callfloor.StateWrapup], Dispose{Ext: agentA, CallID: "c1", Category: "meh"}, callfloor.ErrInvalidField},
		{"too many tags", setups[callfloor.StateWrapup], Dispose{Ext: agentA, CallID: "c1", Category: callfloor.CategorySuccess,
			Outcome: "Sale", Tags: make([]string, MaxTags+1)}, callfloor.ErrInvalidField},
		{"another agent's wrap-up", append(setups[callfloor.StateWrapup], Login{Ext: agentC}),
			Dispose{Ext: agentC, CallID: "c1", Category: callfloor.CategorySuccess, Outcome: "Sale"}, callfloor.ErrNoWrapup},
		{"participant in another queue", nil, ParticipantPause{Ext: participant, QueueID: supportQ, Paused: true}, callfloor.ErrNotQueueMember},
		{"participant pause", nil, ParticipantPause{Ext: participant, QueueID: salesQ, Paused: true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFloor(t)
			f.do(tc.setup...)
			_, err := Step(f.cfg, f.s, tc.in, f.now)
			if got := callfloor.ErrorCode(err); got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, err, tc.code)
			}
		})
	}
}

func TestPhoneMustBeRegistered(t *testing.T) {
	f := newFloor(t)
	f.cfg.RequirePhone = true
	f.do(Login{Ext: agentA})
	for _, in := range []Input{Offer{Ext: agentA, Call: salesCall("p1")}, Dial{Ext: agentA, CallID: "p2", Number: "+441632960500"},
		StartPreview{Ext: agentA, LeadID: 1, CampaignID: 3}} {
		if _, err := Step(f.cfg, f.s, in, f.now); callfloor.ErrorCode(err) != callfloor.ErrPhoneOffline {
			t.Fatalf("%T without a phone: %v", in, err)
		}
	}
	f.do(Phone{Ext: agentA, Softphone: true}, Offer{Ext: agentA, Call: salesCall("p1")})
	if st := f.s.Agent(agentA).State; st != callfloor.StateRinging {
		t.Fatalf("with a phone: %s", st)
	}
}

func TestTwoLinesWrapUpInOrder(t *testing.T) {
	f := newFloor(t)
	f.do(setups[callfloor.StateOnCall]...)
	f.do(Hold{Ext: agentA, CallID: "c1", Held: true}, Dial{Ext: agentA, CallID: "c2", Number: "+441632960777"}, Answer{Ext: agentA, CallID: "c2"})
	evs := f.do(Hangup{Ext: agentA, CallID: "c1"})
	if types(evs) != "call.ended,wrapup.started" || evs[1].DueAt != nil || f.s.Agent(agentA).State != callfloor.StateOnCall {
		t.Fatalf("first line ended: %s, state %s", types(evs), f.s.Agent(agentA).State)
	}
	evs = f.do(Hangup{Ext: agentA, CallID: "c2"})
	if types(evs) != "call.ended,wrapup.started" || evs[1].Call.ID != "c1" || evs[1].DueAt == nil {
		t.Fatalf("last line ended: %s", types(evs))
	}
	if f.s.Agent(agentA).State != callfloor.StateWrapup {
		t.Fatalf("state %s", f.s.Agent(agentA).State)
	}
}

// TestCallsToday counts what the toolbar counts: calls placed, and calls
// answered (not those that only rang), back to 0 at midnight.
func TestCallsToday(t *testing.T) {
	f := newFloor(t)
	f.do(Login{Ext: agentB})
	f.do(Offer{Ext: agentB, Call: salesCall("a1")}, Answer{Ext: agentB, CallID: "a1"})
	f.do(Hangup{Ext: agentB, CallID: "a1"}, Dispose{Ext: agentB, CallID: "a1", Category: callfloor.CategorySuccess, Outcome: "Sale"})
	f.do(Offer{Ext: agentB, Call: salesCall("a2")}, Hangup{Ext: agentB, CallID: "a2", Reason: "no_answer"})
	if n := f.s.Agent(agentB).CallsToday; n != 1 {
		t.Fatalf("one answered, one that rang: %d calls", n)
	}
	f.do(Dial{Ext: agentB, CallID: "d1", Number: "+442079460601", CampaignID: renewals, LeadID: 9})
	f.do(Answer{Ext: agentB, CallID: "d1"}) // the number answers: still one call
	if n := f.s.Agent(agentB).CallsToday; n != 2 {
		t.Fatalf("and one placed: %d calls", n)
	}
	f.now = time.Date(2026, 11, 24, 0, 1, 0, 0, london)
	RunTimers(f.cfg, f.s, f.now)
	if n := f.s.Agent(agentB).CallsToday; n != 0 {
		t.Fatalf("after midnight: %d calls", n)
	}
}
