package dialer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/dialer"
	"github.com/callfloor/callfloor/floor"
)

// powerRig is the rig's campaign made a power campaign of n logged-in
// agents (the rig's agent first).
func powerRig(t *testing.T, n int) (*rig, []*callfloor.Extension) {
	t.Helper()
	r := newRig(t)
	agents := []*callfloor.Extension{r.agent}
	for i := 1; i < n; i++ {
		e := &callfloor.Extension{Number: fmt.Sprint(201 + i), Name: fmt.Sprint("Agent ", i+1), SIPUsername: callfloor.NewSIPUsername(fmt.Sprint(201 + i)),
			QueuesFeature: true, Agent: callfloor.DefaultAgentSettings()}
		e.Agent.Enabled = true
		e.SetSIPSecret(callfloor.DefaultSIPRealm, callfloor.NewSIPSecret())
		must(t, r.st.CreateExtension(r.ctx, e))
		agents = append(agents, e)
	}
	r.setCampaign(func(c *callfloor.Campaign) {
		c.Type, c.MaxRatio, c.AbandonTarget = callfloor.CampaignPower, 2, 3
		c.Members = nil
		for _, a := range agents {
			c.Members = append(c.Members, callfloor.CampaignMember{ExtensionID: a.ID})
		}
	})
	for _, a := range agents[1:] {
		r.do(floor.Login{Ext: a.ID})
	}
	return r, agents
}

// settle waits (in real time) until ok, for the dialler's call
// goroutines.
func settle(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not in time", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// linesOf copies the agent's lines inside the floor's view: the engine
// changes the lines it holds.
func (r *rig) linesOf(ext int64) []floor.Line {
	var out []floor.Line
	must(r.t, r.f.View(context.Background(), r.acc, func(s *floor.State, _ *floor.Config) {
		for _, l := range s.Agent(ext).Lines {
			out = append(out, *l)
		}
	}))
	return out
}

// TestPowerDialsAheadAndConnects: two free agents at the starting ratio
// of 1 get two calls; while they ring nothing more is placed; the two
// people who answer are connected one to each agent, idle the longest
// first, as campaign calls of their leads, and journaled as connected;
// each agent's outcome closes their lead.
func TestPowerDialsAheadAndConnects(t *testing.T) {
	r, agents := powerRig(t, 2)
	r.phones.gate = make(chan struct{})
	var ls []*callfloor.Lead
	for i := range 4 {
		ls = append(ls, lead(fmt.Sprint("L", i), 9-i, fmt.Sprintf("+44207946060%d", i)))
	}
	r.leads(ls...)
	r.tick(time.Second)
	settle(t, "two calls placed", func() bool { c, _, _, _ := r.phones.snapshot(); return len(c) == 2 })
	customers, _, _, _ := r.phones.snapshot()
	if customers[0].Number != "+442079460600" && customers[1].Number != "+442079460600" {
		t.Fatalf("the best leads were not dialled first: %+v", customers)
	}
	for _, l := range ls[:2] {
		if got := r.lead(l.ID); got.Status != callfloor.LeadActive || got.Attempts != 1 {
			t.Fatalf("lead %s while dialled: %+v", l.Name, got)
		}
	}
	r.tick(time.Second)
	if c, _, _, _ := r.phones.snapshot(); len(c) != 2 {
		t.Fatalf("%d calls with two ringing for two agents at ratio 1", len(c))
	}
	if f := r.d.PowerFiguresOf(r.c.ID); f.Dialling != 2 || f.Ratio != 1 {
		t.Fatalf("figures %+v", f)
	}
	close(r.phones.gate)
	settle(t, "both agents on an answered call", func() bool {
		for _, a := range agents {
			if l := r.linesOf(a.ID); len(l) != 1 || !l[0].Answered {
				return false
			}
		}
		return true
	})
	_, rings, _, abandoned := r.phones.snapshot()
	if len(rings) != 2 || rings[0] == rings[1] || len(abandoned) != 0 {
		t.Fatalf("rings %v, abandoned %v", rings, abandoned)
	}
	for _, a := range agents {
		line := r.linesOf(a.ID)[0]
		if !line.Answered || line.Call.Direction != callfloor.DirCampaign || line.Call.CampaignID != r.c.ID || line.Call.LeadID == 0 {
			t.Fatalf("agent %s's line %+v", a.Number, line)
		}
	}
	settle(t, "both journaled", func() bool { return r.d.PowerFiguresOf(r.c.ID).Live == 2 })
	r.d.Wait()
	for _, a := range agents {
		line := r.linesOf(a.ID)[0]
		r.do(floor.Hangup{Ext: a.ID, CallID: line.Call.ID, Reason: "callee_hangup"})
		r.do(floor.Dispose{Ext: a.ID, CallID: line.Call.ID, Category: callfloor.CategorySuccess, Outcome: "Renewed"})
	}
	r.setCampaign(func(c *callfloor.Campaign) { c.Active = false }) // no more calls
	r.d.Tick(context.Background())                                  // folds the journal
	for _, l := range ls[:2] {
		if got := r.lead(l.ID); got.Status != callfloor.LeadDone || got.LastResult != "Renewed" {
			t.Errorf("lead %s after its outcome: %+v", l.Name, got)
		}
	}
	if f := r.d.PowerFiguresOf(r.c.ID); f.Live != 2 || f.Abandoned != 0 || f.Dialling != 0 {
		t.Errorf("figures after two connected calls %+v", f)
	}
}

// TestPowerAbandonsWhenNoAgentIsFree: the only agent takes a break while
// the customer's phone rings; the customer answers, no agent becomes
// free within two seconds, and the call is abandoned: the information
// message, the journal's record, the lead resting 72 hours from power
// dialling, the ratio at 1.
func TestPowerAbandonsWhenNoAgentIsFree(t *testing.T) {
	r, _ := powerRig(t, 1)
	l := lead("A", 1, "+442079460601")
	r.leads(l)
	r.phones.gate = make(chan struct{})
	r.tick(time.Second)
	settle(t, "the call placed", func() bool { c, _, _, _ := r.phones.snapshot(); return len(c) == 1 })
	r.do(floor.Pause{Ext: r.agent.ID, ReasonID: r.reason()})
	close(r.phones.gate)
	start := r.clock.Now()
	// The fake clock moves on while the call's goroutine works; the bound
	// is real time, so a slow machine only makes the fake wait longer.
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, _, _, ab := r.phones.snapshot()
		if len(ab) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not abandoned (fake clock %v after the answer)", r.clock.Now().Sub(start))
		}
		r.clock.Advance(100 * time.Millisecond)
		time.Sleep(2 * time.Millisecond)
	}
	if waited := r.clock.Now().Sub(start); waited < dialer.ConnectWait {
		t.Errorf("abandoned after %v, before the %v an agent has to become free", waited, dialer.ConnectWait)
	}
	r.d.Wait()
	if _, rings, _, _ := r.phones.snapshot(); len(rings) != 0 {
		t.Errorf("a paused agent was rung: %v", rings)
	}
	r.d.Tick(context.Background())
	got := r.lead(l.ID)
	if got.AbandonedAt == nil || got.LastResult != "abandoned" || got.Status != callfloor.LeadRetry {
		t.Fatalf("lead after abandon: %+v", got)
	}
	if f := r.d.PowerFiguresOf(r.c.ID); f.Live != 1 || f.Abandoned != 1 || f.AbandonedRate != 100 || f.Ratio != 1 {
		t.Errorf("figures %+v", f)
	}
	// A restarted dialler reads the day's abandoned call from the journal.
	fresh := r.newDialer()
	fresh.Tick(context.Background())
	if f := fresh.PowerFiguresOf(r.c.ID); f.Abandoned != 1 || f.Live != 1 {
		t.Errorf("after a restart the figures are %+v, want the abandoned call", f)
	}

	// Back from the break: the lead is not called again for 72 hours.
	r.phones.gate = nil
	r.do(floor.Unpause{Ext: r.agent.ID})
	r.tick(time.Hour)
	if c, _, _, _ := r.phones.snapshot(); len(c) != 1 {
		t.Fatalf("an abandoned lead dialled again within 72 hours: %+v", c)
	}
	r.clock.Advance(dialer.AbandonRest)
	r.do(floor.Login{Ext: r.agent.ID}) // logged off at midnight
	r.d.Tick(context.Background())
	settle(t, "the lead dialled after 72 hours", func() bool { c, _, _, _ := r.phones.snapshot(); return len(c) == 2 })
	r.d.Wait()
}

// TestPowerNotAPerson: busy, no answer and unreachable numbers and a
// machine reach no agent; each lead gets the campaign's rule (a machine
// is hung up on and retried after the machine delay; an unreachable
// number fails).
func TestPowerNotAPerson(t *testing.T) {
	r, _ := powerRig(t, 1)
	r.setCampaign(func(c *callfloor.Campaign) { c.MaxRatio = 4 })
	busy, noAnswer, unreachable, machine := lead("Busy", 4, "+442079460605"), lead("NoAnswer", 3, "+442079460606"),
		lead("Unreachable", 2, "+442079460607"), lead("Machine", 1, "+442079460608")
	r.leads(busy, noAnswer, unreachable, machine)
	for range 8 {
		r.tick(time.Second)
		r.d.Wait()
	}
	r.d.Tick(context.Background())
	_, rings, dropped, abandoned := r.phones.snapshot()
	if len(rings) != 0 || len(abandoned) != 0 || len(dropped) != 1 {
		t.Fatalf("rings %v, dropped %v, abandoned %v", rings, dropped, abandoned)
	}
	for _, tc := range []struct {
		l      *callfloor.Lead
		result string
		status callfloor.LeadStatus
		retry  int
	}{
		{busy, "busy", callfloor.LeadRetry, r.c.RetryBusyMinutes},
		{noAnswer, "no_answer", callfloor.LeadRetry, r.c.RetryNoAnswerMinutes},
		{unreachable, "unreachable", callfloor.LeadFailed, 0},
		{machine, "machine", callfloor.LeadRetry, r.c.RetryMachineMinutes},
	} {
		got := r.lead(tc.l.ID)
		if got.LastResult != tc.result || got.Status != tc.status || got.Attempts != 1 {
			t.Errorf("%s: %+v", tc.l.Name, got)
			continue
		}
		if tc.retry > 0 && (got.NextAt == nil || got.NextAt.Sub(*got.LastTriedAt) != time.Duration(tc.retry)*time.Minute) {
			t.Errorf("%s: next at %v, tried %v, want %d minutes later", tc.l.Name, got.NextAt, got.LastTriedAt, tc.retry)
		}
	}
	if f := r.d.PowerFiguresOf(r.c.ID); f.Live != 0 {
		t.Errorf("calls no person answered count as live: %+v", f)
	}
}

// TestPowerOwnLeadsArePreviewed: a lead assigned to an agent of a power
// campaign is shown to them as a preview (they are there first), not
// dialled for whoever is free; the pool waits meanwhile.
func TestPowerOwnLeadsArePreviewed(t *testing.T) {
	r, _ := powerRig(t, 1)
	mine := lead("Mine", 1, "+442079460601")
	mine.AssignedExtID = &r.agent.ID
	r.leads(mine, lead("Pool", 9, "+442079460602"))
	r.tick(time.Second)
	a := r.agentNow()
	if a.Preview == nil || a.Preview.LeadID != mine.ID {
		t.Fatalf("agent %+v, want the preview of their own lead", a)
	}
	r.d.Wait()
	if c, _, _, _ := r.phones.snapshot(); len(c) != 0 {
		t.Errorf("the pool was dialled for an agent in a preview: %+v", c)
	}
}

// TestPowerCampaignHold: an agent on campaign hold is not counted, and
// not rung.
func TestPowerCampaignHold(t *testing.T) {
	r, _ := powerRig(t, 1)
	r.setCampaign(func(c *callfloor.Campaign) { c.Members[0].OnHold = true })
	r.leads(lead("A", 1, "+442079460601"))
	r.tick(time.Second)
	r.d.Wait()
	if c, _, _, _ := r.phones.snapshot(); len(c) != 0 {
		t.Errorf("dialled for an agent on campaign hold: %+v", c)
	}
}
