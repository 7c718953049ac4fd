package api

import (
	"context"
	"net/http"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/dialer"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/webhook"
)

func campaignRoutes() []route {
	const (
		ok      = http.StatusOK
		created = http.StatusCreated
		none    = http.StatusNoContent
	)
	return []route{
		{"GET", "/api/v1/campaigns", sup, ok, "listCampaigns", "campaigns", "List the account's campaigns", read((*Server).listCampaigns)},
		{"POST", "/api/v1/campaigns", admin, created, "createCampaign", "campaigns", "Create a campaign", write((*Server).createCampaign)},
		{"GET", "/api/v1/campaigns/stats", sup, ok, "campaignStats", "campaigns", "The campaigns' figures: leads by status and remaining, today's calls dialled, connected and abandoned (with the abandoned rate against its target), and the members by state", read((*Server).campaignStats)},
		{"GET", "/api/v1/campaigns/{id}", sup, ok, "getCampaign", "campaigns", "Get a campaign", read((*Server).getCampaign)},
		{"PATCH", "/api/v1/campaigns/{id}", admin, ok, "updateCampaign", "campaigns", "Change a campaign; the lists given (members, fields, outcomes, webhook buttons) are replaced whole", write((*Server).updateCampaign)},
		{"DELETE", "/api/v1/campaigns/{id}", admin, none, "deleteCampaign", "campaigns", "Delete a campaign with its lists and leads", read((*Server).deleteCampaign)},
		{"GET", "/api/v1/campaigns/{id}/webhook-secret", admin, ok, "getWebhookSecret", "campaigns", "The secret (whsec_...) that signs the campaign's webhook buttons' requests (Standard Webhooks), for the receiver to verify them", read((*Server).getWebhookSecret)},
		{"POST", "/api/v1/campaigns/{id}/webhook-secret", admin, ok, "rotateWebhookSecret", "campaigns", "Give the campaign a new signing secret; the old one stops signing at once", read((*Server).rotateWebhookSecret)},
		{"POST", "/api/v1/floor/campaigns/{id}/hold", sup, ok, "holdCampaignAgent", "campaigns", "Put a member agent on campaign hold, or take them off it: on hold they keep queue calls but get no calls of the campaign", write((*Server).holdCampaignAgent)},
	}
}

// campaignInput is the writable part of a campaign. A member's number is
// read-only; an outcome's or button's id says "this existing one".
type campaignInput struct {
	Name                 string                      `json:"name" api:"required"`
	Type                 callfloor.CampaignType      `json:"type" api:"required"`
	Active               bool                        `json:"active"`
	CallingHours         callfloor.CallingHours      `json:"calling_hours"`
	TimeZone             string                      `json:"time_zone"`
	CountryCode          string                      `json:"country_code"`
	CallerIDPoolID       *int64                      `json:"caller_id_pool_id"`
	RandomCallerID       bool                        `json:"random_caller_id"`
	Members              []campaignMemberInput       `json:"members"`
	Fields               []callfloor.CustomField     `json:"fields"`
	Script               string                      `json:"script"`
	Outcomes             []callfloor.CampaignOutcome `json:"outcomes"`
	AllowAddLead         bool                        `json:"allow_add_customer"`
	AllowEditLead        bool                        `json:"allow_edit_customer"`
	WebhookButtons       []callfloor.WebhookButton   `json:"webhook_buttons"`
	PreviewSeconds       int                         `json:"preview_seconds"`
	SkipAllowed          bool                        `json:"skip_allowed"`
	MaxRatio             float64                     `json:"max_ratio"`
	AbandonTarget        float64                     `json:"abandon_target"`
	MaxAttempts          int                         `json:"max_attempts"`
	RetryBusyMinutes     int                         `json:"retry_busy_minutes"`
	RetryNoAnswerMinutes int                         `json:"retry_no_answer_minutes"`
	RetryMachineMinutes  int                         `json:"retry_machine_minutes"`
}

type campaignMemberInput struct {
	ExtensionID int64 `json:"extension_id" api:"required"`
	OnHold      bool  `json:"on_hold"`
}

func (campaignInput) resource() any { return callfloor.Campaign{} }

func (in *campaignInput) from(c *callfloor.Campaign) {
	*in = campaignInput{
		Name: c.Name, Type: c.Type, Active: c.Active, CallingHours: c.CallingHours, TimeZone: c.TimeZone,
		CountryCode: c.CountryCode, CallerIDPoolID: c.CallerIDPoolID, RandomCallerID: c.RandomCallerID,
		Fields: c.Fields, Script: c.Script, Outcomes: c.Outcomes, AllowAddLead: c.AllowAddLead,
		AllowEditLead: c.AllowEditLead, WebhookButtons: c.WebhookButtons, PreviewSeconds: c.PreviewSeconds,
		SkipAllowed: c.SkipAllowed, MaxRatio: c.MaxRatio, AbandonTarget: c.AbandonTarget, MaxAttempts: c.MaxAttempts,
		RetryBusyMinutes: c.RetryBusyMinutes, RetryNoAnswerMinutes: c.RetryNoAnswerMinutes,
		RetryMachineMinutes: c.RetryMachineMinutes, Members: make([]campaignMemberInput, len(c.Members)),
	}
	for i, m := range c.Members {
		in.Members[i] = campaignMemberInput{ExtensionID: m.ExtensionID, OnHold: m.OnHold}
	}
}

func (in *campaignInput) to(c *callfloor.Campaign) {
	c.Name, c.Type, c.Active, c.CallingHours, c.TimeZone = in.Name, in.Type, in.Active, in.CallingHours, in.TimeZone
	c.CountryCode, c.CallerIDPoolID, c.RandomCallerID = in.CountryCode, in.CallerIDPoolID, in.RandomCallerID
	c.Fields, c.Script, c.Outcomes = in.Fields, in.Script, in.Outcomes
	c.AllowAddLead, c.AllowEditLead, c.WebhookButtons = in.AllowAddLead, in.AllowEditLead, in.WebhookButtons
	c.PreviewSeconds, c.SkipAllowed, c.MaxRatio, c.AbandonTarget = in.PreviewSeconds, in.SkipAllowed, in.MaxRatio, in.AbandonTarget
	c.MaxAttempts, c.RetryBusyMinutes, c.RetryNoAnswerMinutes = in.MaxAttempts, in.RetryBusyMinutes, in.RetryNoAnswerMinutes
	c.RetryMachineMinutes = in.RetryMachineMinutes
	c.Members = make([]callfloor.CampaignMember, len(in.Members))
	for i, m := range in.Members {
		c.Members[i] = callfloor.CampaignMember{ExtensionID: m.ExtensionID, OnHold: m.OnHold}
	}
}

func (s *Server) listCampaigns(_ http.ResponseWriter, r *http.Request) (list[*callfloor.Campaign], error) {
	return listOf(s.store.ListCampaigns(r.Context()))
}

func (s *Server) getCampaign(_ http.ResponseWriter, r *http.Request) (*callfloor.Campaign, error) {
	id, err := pathID(r, "campaign")
	if err != nil {
		return nil, err
	}
	return s.store.FindCampaignByID(r.Context(), id)
}

func (s *Server) createCampaign(_ http.ResponseWriter, r *http.Request, dec decoder[campaignInput]) (*callfloor.Campaign, error) {
	c := callfloor.NewCampaign("", callfloor.CampaignPreview)
	var in campaignInput
	in.from(c)
	if err := dec(&in); err != nil {
		return nil, err
	}
	in.to(c)
	c.WebhookSecret = webhook.NewSecret()
	if err := s.store.CreateCampaign(r.Context(), c); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Server) updateCampaign(_ http.ResponseWriter, r *http.Request, dec decoder[campaignInput]) (*callfloor.Campaign, error) {
	id, err := pathID(r, "campaign")
	if err != nil {
		return nil, err
	}
	return s.store.UpdateCampaign(r.Context(), id, func(c *callfloor.Campaign) error {
		var in campaignInput
		in.from(c)
		if err := dec(&in); err != nil {
			return err
		}
		in.to(c)
		return nil
	})
}

func (s *Server) deleteCampaign(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "campaign")
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.store.DeleteCampaign(r.Context(), id)
}

type campaignHoldInput struct {
	ExtensionID int64 `json:"extension_id" api:"required"`
	OnHold      bool  `json:"on_hold"`
}

// holdCampaignAgent is the supervisor's campaign hold of one agent.
func (s *Server) holdCampaignAgent(_ http.ResponseWriter, r *http.Request, dec decoder[campaignHoldInput]) (*callfloor.Campaign, error) {
	id, err := pathID(r, "campaign")
	if err != nil {
		return nil, err
	}
	var in campaignHoldInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	return s.store.UpdateCampaign(r.Context(), id, func(c *callfloor.Campaign) error {
		for i := range c.Members {
			if c.Members[i].ExtensionID == in.ExtensionID {
				c.Members[i].OnHold = in.OnHold
				return nil
			}
		}
		return callfloor.FieldError(callfloor.ErrNotCampaignMember, "extension_id", "extension %d is not a member of the campaign", in.ExtensionID)
	})
}

// CampaignStats are a campaign's figures for the boards: its leads by
// status and how many are left, its calls since midnight (in the
// account's time zone), and its members by state.
type CampaignStats struct {
	CampaignID int64                        `json:"campaign_id"`
	Name       string                       `json:"name"`
	Type       callfloor.CampaignType       `json:"type"`
	Active     bool                         `json:"active"`
	Leads      map[callfloor.LeadStatus]int `json:"leads"`
	// Remaining counts the open leads: new, retry and callback.
	Remaining int `json:"remaining"`
	// Dialled, Connected and Abandoned count today's calls: placed,
	// answered by a person, and answered with no agent free.
	Dialled   int `json:"dialled"`
	Connected int `json:"connected"`
	Abandoned int `json:"abandoned"`
	// AbandonedRate is Abandoned over Connected plus Abandoned, in %.
	AbandonedRate float64 `json:"abandoned_rate"`
	// AbandonTarget is the campaign's limit on it.
	AbandonTarget float64 `json:"abandon_target"`
	// Agents counts the members by state.
	Agents map[callfloor.AgentState]int `json:"agents"`
	// Pacing is a power campaign's dialling now: its ratio, the calls
	// ringing and the customers waiting for an agent, and the abandoned
	// rate over the last 24 hours that the ratio answers to; null for a
	// preview campaign.
	Pacing *dialer.PowerFigures `json:"pacing"`
}

func (s *Server) campaignStats(_ http.ResponseWriter, r *http.Request) (list[CampaignStats], error) {
	ctx, account := r.Context(), actorOf(r).AccountID
	campaigns, err := s.store.ListCampaigns(ctx)
	if err != nil {
		return list[CampaignStats]{}, err
	}
	acc, err := s.store.FindAccountByID(ctx, account)
	if err != nil {
		return list[CampaignStats]{}, err
	}
	if err := s.history.CatchUp(ctx, account); err != nil {
		return list[CampaignStats]{}, err
	}
	midnight := localMidnight(s.clock.Now(), acc.Location(), 0)
	// Today's calls: a preview campaign's from the call history, a power
	// campaign's from the dialler's journal records of how each went
	// before (or as) an agent took it.
	previews, err := s.previewCalls(ctx, account, midnight)
	if err != nil {
		return list[CampaignStats]{}, err
	}
	records, err := s.store.ReadExtensionEvents(ctx, account, 0, midnight, s.clock.Now().Add(time.Second))
	if err != nil {
		return list[CampaignStats]{}, err
	}
	powers := powerCalls(records)
	states := map[int64]callfloor.AgentState{}
	if err := s.floor.View(ctx, account, func(st *floor.State, cfg *floor.Config) {
		for ext := range cfg.Agents {
			states[ext] = st.Agent(ext).State
		}
	}); err != nil {
		return list[CampaignStats]{}, err
	}
	out := make([]CampaignStats, 0, len(campaigns))
	for _, c := range campaigns {
		cs := CampaignStats{CampaignID: c.ID, Name: c.Name, Type: c.Type, Active: c.Active, AbandonTarget: c.AbandonTarget,
			Agents: map[callfloor.AgentState]int{}}
		if cs.Leads, err = s.store.LeadStatusCounts(ctx, c.ID); err != nil {
			return list[CampaignStats]{}, err
		}
		cs.Remaining = cs.Leads[callfloor.LeadNew] + cs.Leads[callfloor.LeadRetry] + cs.Leads[callfloor.LeadCallback]
		calls := previews[c.ID]
		if c.Type == callfloor.CampaignPower {
			calls = powers[c.ID]
			if s.previews != nil {
				f := s.previews.PowerFiguresOf(c.ID)
				cs.Pacing = &f
			}
		}
		cs.Dialled, cs.Connected, cs.Abandoned = calls.dialled, calls.connected, calls.abandoned
		if n := cs.Connected + cs.Abandoned; n > 0 {
			cs.AbandonedRate = 100 * float64(cs.Abandoned) / float64(n)
		}
		for _, m := range c.Members {
			if st, ok := states[m.ExtensionID]; ok {
				cs.Agents[st]++
			}
		}
		out = append(out, cs)
	}
	return listOf(out, nil)
}

// dayCalls are a campaign's calls of the day: placed, answered by a
// person, and answered with no agent free.
type dayCalls struct{ dialled, connected, abandoned int }

// previewCalls counts the campaigns' calls since from in the call
// history, each call once however many agents it had.
func (s *Server) previewCalls(ctx context.Context, account int64, from time.Time) (map[int64]dayCalls, error) {
	out := map[int64]dayCalls{}
	seen := map[string]bool{}
	err := s.eachCallRow(ctx, account, callfloor.CallFilter{From: from, Direction: callfloor.DirCampaign}, func(row *callfloor.CallRow) {
		if seen[row.CallID] {
			return
		}
		seen[row.CallID] = true
		d := out[row.CampaignID]
		d.dialled++
		if row.AnsweredAt != nil {
			d.connected++
		}
		out[row.CampaignID] = d
	})
	return out, err
}

// powerCalls counts the power campaigns' calls from the dialler's
// journal records: each call placed has one.
func powerCalls(records []callfloor.Event) map[int64]dayCalls {
	out := map[int64]dayCalls{}
	for _, ev := range records {
		r := ev.Record
		if r == nil || r.Step != dialer.StepCampaignAttempt {
			continue
		}
		d := out[r.CampaignID]
		d.dialled++
		switch r.Reason {
		case dialer.ReasonConnected:
			d.connected++
		case string(dialer.ResultAbandoned):
			d.abandoned++
		}
		out[r.CampaignID] = d
	}
	return out
}

// WebhookSecret is a campaign's signing secret for its webhook buttons.
type WebhookSecret struct {
	Secret string `json:"secret"`
}

func (s *Server) getWebhookSecret(_ http.ResponseWriter, r *http.Request) (*WebhookSecret, error) {
	c, err := s.getCampaign(nil, r)
	if err != nil {
		return nil, err
	}
	secret, err := s.campaignSecret(r.Context(), c)
	if err != nil {
		return nil, err
	}
	return &WebhookSecret{Secret: secret}, nil
}

// campaignSecret is the campaign's signing secret, made on first use for
// a campaign that has none (one made before secrets, or by the store
// directly).
func (s *Server) campaignSecret(ctx context.Context, c *callfloor.Campaign) (string, error) {
	if c.WebhookSecret != "" {
		return c.WebhookSecret, nil
	}
	up, err := s.store.UpdateCampaign(ctx, c.ID, func(x *callfloor.Campaign) error {
		if x.WebhookSecret == "" {
			x.WebhookSecret = webhook.NewSecret()
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return up.WebhookSecret, nil
}

// rotateWebhookSecret gives the campaign a new secret; the old one stops
// signing at once.
func (s *Server) rotateWebhookSecret(_ http.ResponseWriter, r *http.Request) (*WebhookSecret, error) {
	id, err := pathID(r, "campaign")
	if err != nil {
		return nil, err
	}
	c, err := s.store.UpdateCampaign(r.Context(), id, func(c *callfloor.Campaign) error {
		c.WebhookSecret = webhook.NewSecret()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &WebhookSecret{Secret: c.WebhookSecret}, nil
}
