package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var campaignTests = []test{
	{"Campaign/RoundTrip", testCampaignRoundTrip},
	{"Campaign/Rules", testCampaignRules},
	{"Campaign/MembersLeaving", testCampaignMembersLeaving},
	{"Campaign/Delete", testCampaignDelete},
	{"Campaign/Isolation", testCampaignIsolation},
}

// campaign returns an unsaved preview campaign with a field and outcomes.
func campaign(name string, members ...int64) *callfloor.Campaign {
	c := callfloor.NewCampaign(name, callfloor.CampaignPreview)
	c.Fields = []callfloor.CustomField{{Name: "policy", Label: "Policy", Required: true}, {Name: "renewal", Type: callfloor.FieldDate}}
	c.Outcomes = []callfloor.CampaignOutcome{
		{Outcome: callfloor.Outcome{Category: callfloor.CategorySuccess, Name: "Renewed"}, Next: callfloor.NextDone},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Wrong number"}, Next: callfloor.NextFailNumber},
	}
	for _, m := range members {
		c.Members = append(c.Members, callfloor.CampaignMember{ExtensionID: m})
	}
	return c
}

func mustCampaign(t *testing.T, st callfloor.Store, ctx context.Context, c *callfloor.Campaign) *callfloor.Campaign {
	t.Helper()
	ok(t, st.CreateCampaign(ctx, c))
	return c
}

func testCampaignRoundTrip(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 5)
	e1 := mustExt(t, st, ctx, "201", agentOn)
	e2 := mustExt(t, st, ctx, "202", agentOn)
	pool := mustPool(t, st, ctx, "Outbound", "+442079460600")
	c := campaign(" Renewals ", e2.ID, e1.ID)
	c.Type, c.Active, c.TimeZone, c.CountryCode = callfloor.CampaignPower, false, "America/New_York", "1"
	c.CallingHours = callfloor.CallingHours{Start: "08:30", End: "21:00", Days: []time.Weekday{time.Saturday, time.Monday}}
	c.CallerIDPoolID, c.RandomCallerID = ptr(pool.ID), true
	c.Script = "Hello {{name}},\nabout policy {{policy}}."
	c.AllowAddLead, c.AllowEditLead = true, true
	c.WebhookButtons = []callfloor.WebhookButton{{Label: "CRM", URL: "https://crm.example.com/h", Body: `{"id":"{{lead_id}}"}`}}
	c.PreviewSeconds, c.SkipAllowed, c.MaxRatio, c.AbandonTarget, c.MaxAttempts = 30, false, 2.5, 2, 7
	c.RetryBusyMinutes, c.RetryNoAnswerMinutes, c.RetryMachineMinutes = 5, 50, 500
	c.Members[0].OnHold = true
	c.WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	ok(t, st.CreateCampaign(ctx, c))
	if c.ID == 0 || c.AccountID != a.ID || c.Name != "Renewals" {
		t.Fatalf("created %s", show(c))
	}
	stamped(t, "campaign", c.CreatedAt, c.UpdatedAt)
	same(t, "members in order with numbers", c.Members, []callfloor.CampaignMember{
		{ExtensionID: e2.ID, Number: "202", OnHold: true}, {ExtensionID: e1.ID, Number: "201"}})
	if c.Outcomes[0].ID == 0 || c.Outcomes[1].ID == c.Outcomes[0].ID || c.WebhookButtons[0].ID == 0 {
		t.Fatalf("outcome and button IDs: %s", show(c))
	}
	if c.Outcomes[1].FailScope != callfloor.FailNumber {
		t.Fatalf("fail scope not derived: %s", show(c.Outcomes[1]))
	}
	got, err := st.FindCampaignByID(ctx, c.ID)
	ok(t, err)
	same(t, "found", got, c)
	other := mustCampaign(t, st, ctx, campaign("Acquisition"))
	list, err := st.ListCampaigns(ctx)
	ok(t, err)
	same(t, "list by name", list, []*callfloor.Campaign{other, c})

	upd, err := st.UpdateCampaign(ctx, c.ID, func(x *callfloor.Campaign) error {
		x.Name, x.Active, x.CallerIDPoolID = "Renewals 2027", true, nil
		x.Members = x.Members[1:]
		x.Outcomes = append(x.Outcomes, callfloor.CampaignOutcome{
			Outcome: callfloor.Outcome{Category: callfloor.CategoryUnsure, Name: "Later"}, Next: callfloor.NextCallback, CallbackScope: callfloor.CallbackAnyone})
		return nil
	})
	ok(t, err)
	if upd.Name != "Renewals 2027" || !upd.Active || upd.CallerIDPoolID != nil || len(upd.Members) != 1 || upd.Members[0].ExtensionID != e1.ID ||
		upd.WebhookSecret != c.WebhookSecret {
		t.Fatalf("updated %s", show(upd))
	}
	if upd.Outcomes[0].ID != c.Outcomes[0].ID || upd.Outcomes[2].ID <= c.Outcomes[1].ID {
		t.Fatalf("outcome IDs not kept, or the new one reuses one: %s", show(upd.Outcomes))
	}
	if !upd.UpdatedAt.After(c.UpdatedAt) && !upd.UpdatedAt.Equal(c.UpdatedAt) {
		t.Fatalf("updated_at went back")
	}
	_, err = st.UpdateCampaign(ctx, c.ID, func(*callfloor.Campaign) error { return errFn })
	if err != errFn {
		t.Fatalf("fn's error: %v", err)
	}
}

func testCampaignRules(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	agent := mustExt(t, st, ctx, "201", agentOn)
	part := mustExt(t, st, ctx, "202", queuesOn)
	mustCampaign(t, st, ctx, campaign("Renewals"))
	wantErr(t, st.CreateCampaign(ctx, campaign("RENEWALS")), callfloor.ErrNameTaken, "name")
	wantErr(t, st.CreateCampaign(ctx, campaign("B", part.ID)), callfloor.ErrInvalidField, "members[0].extension_id")
	wantErr(t, st.CreateCampaign(ctx, campaign("C", agent.ID, 9999)), callfloor.ErrInvalidReference, "members[1].extension_id")
	bad := campaign("D")
	bad.CallerIDPoolID = ptr(int64(9999))
	wantErr(t, st.CreateCampaign(ctx, bad), callfloor.ErrInvalidReference, "caller_id_pool_id")
	bad = campaign("E")
	bad.Type = "predictive"
	wantErr(t, st.CreateCampaign(ctx, bad), callfloor.ErrInvalidField, "type")
	wantErr(t, st.DeleteCampaign(ctx, 9999), callfloor.ErrNotFound, "")
	_, err := st.FindCampaignByID(ctx, 9999)
	wantErr(t, err, callfloor.ErrNotFound, "")

	// A pool or an agent in use by a campaign stays.
	pool := mustPool(t, st, ctx, "Out", "+442079460600")
	mustCampaign(t, st, ctx, func() *callfloor.Campaign {
		c := campaign("F", agent.ID)
		c.CallerIDPoolID = ptr(pool.ID)
		return c
	}())
	wantErr(t, st.DeleteCallerIDPool(ctx, pool.ID), callfloor.ErrInUse, "")
	_, err = st.UpdateExtension(ctx, agent.ID, func(e *callfloor.Extension) error { e.Agent.Enabled = false; return nil })
	wantErr(t, err, callfloor.ErrInUse, "agent.enabled")
}

func testCampaignMembersLeaving(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	e1 := mustExt(t, st, ctx, "201", agentOn)
	e2 := mustExt(t, st, ctx, "202", agentOn)
	c := mustCampaign(t, st, ctx, campaign("Renewals", e1.ID, e2.ID))
	list := mustList(t, st, ctx, c.ID, "January")
	leads := []*callfloor.Lead{lead("A", "+442079460601"), lead("B", "+442079460602")}
	leads[0].AssignedExtID = ptr(e1.ID)
	leads[1].Status, leads[1].CallbackExtID, leads[1].NextAt = callfloor.LeadCallback, ptr(e2.ID), ptr(t0())
	ok(t, st.CreateLeads(ctx, list.ID, leads))

	// e1 leaves the campaign: its lead returns to the pool.
	_, err := st.UpdateCampaign(ctx, c.ID, func(x *callfloor.Campaign) error {
		x.Members = []callfloor.CampaignMember{{ExtensionID: e2.ID}}
		return nil
	})
	ok(t, err)
	got, err := st.FindLeadByID(ctx, leads[0].ID)
	ok(t, err)
	if got.AssignedExtID != nil {
		t.Fatalf("a lead still assigned to an agent no longer a member: %s", show(got))
	}
	// e2 is deleted: its callback goes to anyone, its membership goes.
	ok(t, st.DeleteExtension(ctx, e2.ID))
	got, err = st.FindLeadByID(ctx, leads[1].ID)
	ok(t, err)
	if got.CallbackExtID != nil {
		t.Fatalf("a callback still kept for a deleted extension: %s", show(got))
	}
	cp, err := st.FindCampaignByID(ctx, c.ID)
	ok(t, err)
	same(t, "members", cp.Members, []callfloor.CampaignMember{})
}

func testCampaignDelete(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	c := mustCampaign(t, st, ctx, campaign("Renewals"))
	list := mustList(t, st, ctx, c.ID, "January")
	l := lead("A", "+442079460601")
	ok(t, st.CreateLeads(ctx, list.ID, []*callfloor.Lead{l}))
	ok(t, st.DeleteCampaign(ctx, c.ID))
	_, err := st.FindListByID(ctx, list.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, err = st.FindLeadByID(ctx, l.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	// The name is free again.
	mustCampaign(t, st, ctx, campaign("Renewals"))
}

func testCampaignIsolation(t *testing.T, st callfloor.Store) {
	_, ctxA := agentAccount(t, st, "Acme", 5)
	_, ctxB := agentAccount(t, st, "Globex", 5)
	c := mustCampaign(t, st, ctxA, campaign("Renewals"))
	list := mustList(t, st, ctxA, c.ID, "January")
	l := lead("A", "+442079460601")
	ok(t, st.CreateLeads(ctxA, list.ID, []*callfloor.Lead{l}))
	ok(t, st.AddDNC(ctxA, &callfloor.DNCEntry{Number: "+442079460601"}))

	_, err := st.FindCampaignByID(ctxB, c.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, err = st.UpdateCampaign(ctxB, c.ID, func(*callfloor.Campaign) error { return nil })
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteCampaign(ctxB, c.ID), callfloor.ErrNotFound, "")
	_, err = st.ListLists(ctxB, c.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.CreateList(ctxB, &callfloor.CampaignList{CampaignID: c.ID, Name: "Mine"}), callfloor.ErrInvalidReference, "campaign_id")
	wantErr(t, st.CreateLeads(ctxB, list.ID, []*callfloor.Lead{lead("B", "+442079460602")}), callfloor.ErrNotFound, "")
	_, err = st.FindLeadByID(ctxB, l.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, err = st.ReserveLead(ctxB, l.ID, t0())
	wantErr(t, err, callfloor.ErrNotFound, "")
	leads, err := st.ListLeads(ctxB, callfloor.LeadFilter{Number: "+442079460601"})
	ok(t, err)
	same(t, "another account's leads", leads, []*callfloor.Lead{})
	on, err := st.IsDNC(ctxB, "+442079460601")
	ok(t, err)
	if on {
		t.Fatal("another account's do-not-call list applies")
	}
	list2, err := st.ListCampaigns(ctxB)
	ok(t, err)
	same(t, "another account's campaigns", list2, []*callfloor.Campaign{})
}
