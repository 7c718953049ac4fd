package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/dialer"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/internal/baresiptest"
	"github.com/callfloor/callfloor/internal/sipptest"
)

// TestDemoPowerCampaignConnectsAgents: the demo's power campaign, made
// the campaign of agents 3 and 4 (baresip softphones that answer at
// once), calls its leads through the simulated carrier; the people who
// answer are connected one to each agent, whose phones hear them; the
// journal has each call's attempt, and the lead of a call the agent
// disposes of gets its outcome.
func TestDemoPowerCampaignConnectsAgents(t *testing.T) {
	baresiptest.Path(t)
	addr := fmt.Sprintf("127.0.0.1:%d", sipptest.FreePort(t))
	m, d, _, err := runDemo(t, demoConfig(t, addr, 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	acc := d.Result.Account.ID
	sctx := callfloor.SystemContext(ctx, acc)
	setDemoCampaigns(t, m, "", false, 0)
	exts := demoExtensions(t, m)
	agents := []*callfloor.Extension{exts["203"], exts["204"]}
	var power *callfloor.Campaign
	list, err := m.Store.ListCampaigns(sctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.Type == callfloor.CampaignPower {
			power = c
		}
	}
	if power == nil || power.Name != demoPowerName {
		t.Fatalf("the demo has no power campaign: %+v", list)
	}
	if _, err := m.Store.UpdateCampaign(sctx, power.ID, func(c *callfloor.Campaign) error {
		c.Members = []callfloor.CampaignMember{{ExtensionID: agents[0].ID}, {ExtensionID: agents[1].ID}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var phones []*baresiptest.Phone
	for _, a := range agents {
		phones = append(phones, baresiptest.New(t, baresiptest.Options{User: a.SIPUsername, Password: "demo-pass-1",
			Registrar: m.SIPAddr(), AutoAnswer: true}))
	}
	for _, a := range agents {
		waitFor(t, 10*time.Second, func() (bool, string) {
			_, err := m.Floor.Do(ctx, acc, floor.Login{Ext: a.ID})
			return err == nil, fmt.Sprintf("login %s: %v", a.Number, err)
		})
	}
	setDemoCampaigns(t, m, callfloor.CampaignPower, true, 0)

	lines := map[int64]floor.Line{}
	waitFor(t, 30*time.Second, func() (bool, string) {
		_ = m.Floor.View(ctx, acc, func(s *floor.State, _ *floor.Config) {
			for _, a := range agents {
				if ag := s.Agent(a.ID); len(ag.Lines) == 1 && ag.Lines[0].Answered {
					lines[a.ID] = *ag.Lines[0]
				}
			}
		})
		return len(lines) == 2, fmt.Sprintf("agents on an answered call: %d of 2", len(lines))
	})
	for ext, l := range lines {
		if l.Call.Direction != callfloor.DirCampaign || l.Call.CampaignID != power.ID || l.Call.LeadID == 0 {
			t.Fatalf("agent %d's call %+v", ext, l.Call)
		}
	}
	if st := d.Carrier.Stats(); st.Active < 2 {
		t.Fatalf("the carrier has %d calls up, want the two connected customers", st.Active)
	}
	for i, p := range phones {
		waitFor(t, 10*time.Second, func() (bool, string) {
			a, err := p.Received()
			ok := err == nil && a.Duration() >= 2*time.Second && rms(a.Last(2*time.Second).Samples) > 300
			return ok, fmt.Sprintf("agent %d hears no voice: %v, %v received", i+3, err, a.Duration())
		})
	}

	// The agent of the first call hangs up and disposes of it: the lead
	// is done, and the journal has the attempt as connected.
	setDemoCampaigns(t, m, callfloor.CampaignPower, false, 0)
	first := lines[agents[0].ID]
	if err := m.calls.Hangup(ctx, acc, agents[0].ID, first.Call.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() (bool, string) {
		_, err := m.Floor.Do(ctx, acc, floor.Dispose{Ext: agents[0].ID, CallID: first.Call.ID,
			Category: callfloor.CategorySuccess, Outcome: "Came back"})
		return err == nil, fmt.Sprintf("dispose: %v", err)
	})
	waitFor(t, 10*time.Second, func() (bool, string) {
		l, err := m.Store.FindLeadByID(sctx, first.Call.LeadID)
		return err == nil && l.Status == callfloor.LeadDone && l.LastResult == "Came back", fmt.Sprintf("lead %+v, %v", l, err)
	})
	evs, err := m.Store.ReadExtensionEvents(ctx, acc, 0, time.Now().Add(-time.Hour), time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	connected := slices.IndexFunc(evs, func(ev callfloor.Event) bool {
		r := ev.Record
		return r != nil && r.Step == dialer.StepCampaignAttempt && r.CallID == first.Call.ID && r.Reason == dialer.ReasonConnected
	})
	if connected < 0 {
		t.Error("the journal has no connected attempt for the call")
	}
}
