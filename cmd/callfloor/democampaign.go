package main

import (
	"fmt"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/webhook"
)

// demoCampaign seeds the demo's preview campaign: policy renewals for
// agents 1 to 3, open every hour of every day so that the demo always
// dials, with leads whose numbers the simulated carrier answers in every
// way it knows (by the last digit: most answer, one is busy, one rings
// out, one is an answering machine).
func (s *demoSeeder) demoCampaign(exts map[string]*callfloor.Extension, pool *callfloor.CallerIDPool) error {
	all, err := s.st.ListCampaigns(s.ctx)
	if err != nil {
		return err
	}
	for _, c := range all {
		if c.Name == demoCampaignName {
			return nil
		}
	}
	c := callfloor.NewCampaign(demoCampaignName, callfloor.CampaignPreview)
	c.CallingHours = callfloor.CallingHours{Start: "00:00", End: "23:59", Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}}
	c.CallerIDPoolID = &pool.ID
	c.PreviewSeconds, c.SkipAllowed, c.AllowEditLead, c.AllowAddLead = 15, true, true, true
	c.WebhookSecret = webhook.NewSecret()
	for _, n := range []string{"201", "202", "203"} {
		c.Members = append(c.Members, callfloor.CampaignMember{ExtensionID: exts[n].ID})
	}
	c.Fields = []callfloor.CustomField{
		{Name: "policy", Label: "Policy number", Required: true},
		{Name: "renewal_date", Label: "Renewal date", Type: callfloor.FieldDate},
		{Name: "premium", Label: "Yearly premium (£)", Type: callfloor.FieldNumber},
	}
	c.Script = "Hello, may I speak to {{name}}? This is {{agent}} from Callfloor Demo Insurance.\n" +
		"I'm calling about your home policy {{policy}}, which renews on {{renewal_date}}.\n" +
		"Next year's premium is £{{premium}}. Would you like to renew today?"
	c.Outcomes = []callfloor.CampaignOutcome{
		{Outcome: callfloor.Outcome{Category: callfloor.CategorySuccess, Name: "Renewed"}, Next: callfloor.NextDone},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryUnsure, Name: "Call back later"}, Next: callfloor.NextCallback, CallbackScope: callfloor.CallbackAgent},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryUnsure, Name: "Thinking it over"}, Next: callfloor.NextRetry, RetryMinutes: 24 * 60},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Wrong number"}, Next: callfloor.NextFailNumber},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Not interested"}, Next: callfloor.NextFailContact},
	}
	if err := s.st.CreateCampaign(s.ctx, c); err != nil {
		return fmt.Errorf("demo campaign: %w", err)
	}
	list := &callfloor.CampaignList{CampaignID: c.ID, Name: "Renewals due", Active: true}
	if err := s.st.CreateList(s.ctx, list); err != nil {
		return fmt.Errorf("demo list: %w", err)
	}
	names := []string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Tim Berners-Lee",
		"Margaret Hamilton", "Claude Shannon", "Hedy Lamarr", "Edsger Dijkstra", "Radia Perlman",
		"Donald Knuth", "Barbara Liskov"}
	// The last digit is the carrier's answer: 0-4 and 9 a person, 5 busy,
	// 6 no answer, 8 an answering machine.
	last := []int{1, 2, 3, 5, 4, 9, 6, 0, 8, 1, 2, 3}
	var leads []*callfloor.Lead
	for i, name := range names {
		l := &callfloor.Lead{Name: name, Priority: len(names) - i,
			Numbers: []callfloor.LeadNumber{{Number: fmt.Sprintf("+441632960%02d%d", 40+i, last[i])}},
			Fields: map[string]string{"policy": fmt.Sprintf("HP-%05d", 10421+i*37),
				"renewal_date": time.Date(2027, time.Month(1+i%12), 1+i*2, 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
				"premium":      fmt.Sprint(180 + i*23)}}
		if i == 3 {
			// A second number: after the busy one fails or is tried out.
			l.Numbers = append(l.Numbers, callfloor.LeadNumber{Number: "+447700900123"})
		}
		leads = append(leads, l)
	}
	return s.st.CreateLeads(s.ctx, list.ID, leads)
}

// demoCampaignName names the demo's preview campaign.
const demoCampaignName = "Home insurance renewals"

// demoPowerName names the demo's power campaign.
const demoPowerName = "Broadband win-back"

// demoPowerCampaign seeds the demo's power campaign: former broadband
// customers called for agents 1 and 2 (the page phones), every hour of
// every day, customer first: most answer (the carrier connects them to
// a free agent, whose page answers at once), a few are busy, ring out or
// reach an answering machine.
func (s *demoSeeder) demoPowerCampaign(exts map[string]*callfloor.Extension, pool *callfloor.CallerIDPool) error {
	all, err := s.st.ListCampaigns(s.ctx)
	if err != nil {
		return err
	}
	for _, c := range all {
		if c.Name == demoPowerName {
			return nil
		}
	}
	c := callfloor.NewCampaign(demoPowerName, callfloor.CampaignPower)
	c.CallingHours = callfloor.CallingHours{Start: "00:00", End: "23:59", Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}}
	c.CallerIDPoolID, c.RandomCallerID = &pool.ID, true
	c.MaxRatio, c.AbandonTarget = 1.5, 3
	c.AllowEditLead = true
	for _, n := range []string{"201", "202"} {
		c.Members = append(c.Members, callfloor.CampaignMember{ExtensionID: exts[n].ID})
	}
	c.Fields = []callfloor.CustomField{
		{Name: "account", Label: "Account number", Required: true},
		{Name: "left_on", Label: "Left on", Type: callfloor.FieldDate},
		{Name: "plan", Label: "Last plan"},
	}
	c.Script = "Hello {{name}}, this is {{agent}} from Callfloor Demo Broadband.\n" +
		"You left our {{plan}} plan on {{left_on}}. We would love to have you back:\n" +
		"six months at half price, and no setup fee. Shall I set that up for you?"
	c.Outcomes = []callfloor.CampaignOutcome{
		{Outcome: callfloor.Outcome{Category: callfloor.CategorySuccess, Name: "Came back"}, Next: callfloor.NextDone},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryUnsure, Name: "Call back later"}, Next: callfloor.NextCallback, CallbackScope: callfloor.CallbackAnyone},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Wrong number"}, Next: callfloor.NextFailNumber},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Not interested"}, Next: callfloor.NextFailContact},
	}
	if err := s.st.CreateCampaign(s.ctx, c); err != nil {
		return fmt.Errorf("demo power campaign: %w", err)
	}
	list := &callfloor.CampaignList{CampaignID: c.ID, Name: "Left this year", Active: true}
	if err := s.st.CreateList(s.ctx, list); err != nil {
		return fmt.Errorf("demo power list: %w", err)
	}
	first := []string{"Olivia", "Noah", "Amelia", "Oliver", "Isla", "George", "Ava", "Arthur", "Mia", "Leo",
		"Ivy", "Harry", "Freya", "Oscar", "Lily", "Jack", "Grace", "Theo", "Rosie", "Finley"}
	surname := []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright"}
	plans := []string{"Fibre 100", "Fibre 500", "Full Fibre 900"}
	// The last digit is the carrier's answer: most a person (0-4, 9); one
	// in five busy (5), ringing out (6) or a machine (8), none first.
	last := []int{1, 2, 3, 4, 9, 0, 5, 1, 2, 8, 3, 4, 9, 6, 0, 1, 2, 3, 4, 9}
	var leads []*callfloor.Lead
	for i := range 40 {
		l := &callfloor.Lead{Name: first[i%len(first)] + " " + surname[(i*3)%len(surname)], Priority: 40 - i,
			Numbers: []callfloor.LeadNumber{{Number: fmt.Sprintf("+441632960%02d%d", 60+i/2, last[i%len(last)])}},
			Fields: map[string]string{"account": fmt.Sprintf("BB-%06d", 304117+i*53),
				"left_on": time.Date(2026, time.Month(1+i%11), 3+i%25, 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
				"plan":    plans[i%len(plans)]}}
		leads = append(leads, l)
	}
	return s.st.CreateLeads(s.ctx, list.ID, leads)
}
