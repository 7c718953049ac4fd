package floor

import (
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

const renewals = 70

func withCampaign(f *floorIn) {
	f.cfg.AddCampaigns([]*callfloor.Campaign{{ID: renewals, Outcomes: []callfloor.CampaignOutcome{
		{Outcome: callfloor.Outcome{ID: 1, Category: callfloor.CategorySuccess, Name: "Renewed"}, Next: callfloor.NextDone},
		{Outcome: callfloor.Outcome{ID: 2, Category: callfloor.CategoryFail, Name: "Wrong number", FailScope: callfloor.FailNumber}, Next: callfloor.NextFailNumber},
	}}})
}

// TestCampaignDialFromPreview: the dialler dials the lead an agent is
// previewing: a campaign line with the lead, needing no manual-dial
// permission or outbound queue; the call's wrap-up offers the campaign's
// outcomes, and the disposition carries the lead.
func TestCampaignDialFromPreview(t *testing.T) {
	f := newFloor(t)
	withCampaign(f)
	// Agent B may not dial manually and has no outbound queue.
	f.do(Login{Ext: agentB}, StartPreview{Ext: agentB, LeadID: 9, CampaignID: renewals})
	if _, err := Step(f.cfg, f.s, Dial{Ext: agentB, CallID: "k1", Number: "+442079460601", CampaignID: renewals, LeadID: 8}, f.now); callfloor.ErrorCode(err) != callfloor.ErrAgentBusy {
		t.Fatalf("dialling another lead than the previewed one: %v", err)
	}
	evs := f.do(Dial{Ext: agentB, CallID: "k1", Number: "+442079460601", CampaignID: renewals, LeadID: 9})
	if types(evs) != "call.dial_requested" {
		t.Fatalf("dial: %s", types(evs))
	}
	c := evs[0].Call
	if c.Direction != callfloor.DirCampaign || c.CampaignID != renewals || c.LeadID != 9 || c.To != "+442079460601" {
		t.Fatalf("the line's call %+v", c)
	}
	if a := f.s.Agent(agentB); a.Preview != nil || a.State != callfloor.StateOnCall {
		t.Fatalf("agent after the dial: %+v", a)
	}
	f.do(Answer{Ext: agentB, CallID: "k1"})
	evs = f.do(Hangup{Ext: agentB, CallID: "k1", Reason: "remote"})
	if types(evs) != "call.ended,wrapup.started" {
		t.Fatalf("hang-up: %s", types(evs))
	}
	if _, err := Step(f.cfg, f.s, Dispose{Ext: agentB, CallID: "k1", Category: callfloor.CategorySuccess, Outcome: "Sale"}, f.now); callfloor.ErrorCode(err) == "" {
		t.Fatal("a queue's outcome was taken for a campaign call")
	}
	past, later := f.now.Add(-time.Minute), f.now.Add(24*time.Hour)
	if _, err := Step(f.cfg, f.s, Dispose{Ext: agentB, CallID: "k1", Category: callfloor.CategoryFail, Outcome: "Wrong number", CallbackAt: &past}, f.now); callfloor.ErrorField(err) != "callback_at" {
		t.Fatalf("a callback in the past: %v", err)
	}
	evs = f.do(Dispose{Ext: agentB, CallID: "k1", Category: callfloor.CategoryFail, Outcome: "Wrong number", CallbackAt: &later})
	var d *callfloor.Event
	for i := range evs {
		if evs[i].Type == callfloor.EventDisposition {
			d = &evs[i]
		}
	}
	if d == nil || d.Call == nil || d.Call.LeadID != 9 || d.Disposition.FailScope != callfloor.FailNumber || !d.Disposition.CallbackAt.Equal(later) {
		t.Fatalf("disposition %s: %+v", types(evs), d)
	}
}

// TestCampaignDialWhenFree: a campaign call may be placed for a free
// agent with no preview (a callback), never for one on a call.
func TestCampaignDialWhenFree(t *testing.T) {
	f := newFloor(t)
	withCampaign(f)
	f.do(Login{Ext: agentB})
	f.do(Dial{Ext: agentB, CallID: "k1", Number: "+442079460601", CampaignID: renewals, LeadID: 9})
	if _, err := Step(f.cfg, f.s, Dial{Ext: agentB, CallID: "k2", Number: "+442079460602", CampaignID: renewals, LeadID: 10}, f.now); callfloor.ErrorCode(err) != callfloor.ErrAgentBusy {
		t.Fatalf("a second campaign call: %v", err)
	}
}
