package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/dialer"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/webhook"
)

// Previews is the dialler's side of an agent's preview.
type Previews interface {
	PreviewOf(account, ext int64) *dialer.Preview
	DialNow(ctx context.Context, account, ext int64) error
	Skip(ctx context.Context, account, ext int64) error
	// PowerFiguresOf is a power campaign's pacing now.
	PowerFiguresOf(campaign int64) dialer.PowerFigures
}

func myLeadRoutes() []route {
	const ok = http.StatusOK
	return []route{
		{"GET", "/api/v1/floor/me/lead", agent, ok, "getMyLead", "floor",
			"The campaign lead the caller's agent is previewing or calling: its fields, the campaign's script filled in, the number, and when a preview's countdown dials it; lead is null when there is none",
			read((*Server).getMyLead)},
		{"POST", "/api/v1/floor/me/preview/dial", agent, ok, "previewDial", "floor", "Dial the lead in preview now, before its countdown ends", read((*Server).previewDial)},
		{"POST", "/api/v1/floor/me/preview/skip", agent, ok, "previewSkip", "floor", "Skip the lead in preview (when the campaign allows it): it goes back behind the others, and the next is shown", read((*Server).previewSkip)},
	}
}

// CampaignBrief is what an agent sees of a campaign.
type CampaignBrief struct {
	ID             int64                       `json:"id"`
	Name           string                      `json:"name"`
	Type           callfloor.CampaignType      `json:"type"`
	Fields         []callfloor.CustomField     `json:"fields"`
	Outcomes       []callfloor.CampaignOutcome `json:"outcomes"`
	SkipAllowed    bool                        `json:"skip_allowed"`
	PreviewSeconds int                         `json:"preview_seconds"`
	AllowAddLead   bool                        `json:"allow_add_customer"`
	AllowEditLead  bool                        `json:"allow_edit_customer"`
	WebhookButtons []ButtonBrief               `json:"webhook_buttons"`
}

// ButtonBrief is an in-call webhook button as the agent sees it.
type ButtonBrief struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
}

// MyLead is the caller's current campaign lead.
type MyLead struct {
	Lead     *callfloor.Lead `json:"lead"`
	Campaign *CampaignBrief  `json:"campaign"`
	// Number is the number dialled, or to be dialled.
	Number string `json:"number"`
	// Script is the campaign's script with the lead's fields filled in.
	Script string `json:"script"`
	// DialAt is when a preview's countdown ends; null during a call.
	DialAt *time.Time `json:"dial_at"`
	// CallID is the campaign call, when it is placed.
	CallID string `json:"call_id"`
}

func brief(c *callfloor.Campaign) *CampaignBrief {
	b := &CampaignBrief{ID: c.ID, Name: c.Name, Type: c.Type, Fields: c.Fields, Outcomes: c.Outcomes, SkipAllowed: c.SkipAllowed,
		PreviewSeconds: c.PreviewSeconds, AllowAddLead: c.AllowAddLead, AllowEditLead: c.AllowEditLead, WebhookButtons: []ButtonBrief{}}
	for _, w := range c.WebhookButtons {
		b.WebhookButtons = append(b.WebhookButtons, ButtonBrief{ID: w.ID, Label: w.Label})
	}
	return b
}

// campaignCall is the agent's campaign call: on a line, else in their
// wrap-up; nil for none.
func campaignCall(ag *floor.Agent) *callfloor.CallRef {
	var call *callfloor.CallRef
	for _, l := range ag.Lines {
		if l.Call.LeadID != 0 {
			c := l.Call
			call = &c
		}
	}
	if call == nil && len(ag.Wrapups) > 0 && ag.Wrapups[0].Call.LeadID != 0 {
		c := ag.Wrapups[0].Call
		call = &c
	}
	return call
}

// getMyLead answers with the lead of the caller's preview, or of their
// campaign line or wrap-up.
func (s *Server) getMyLead(_ http.ResponseWriter, r *http.Request) (*MyLead, error) {
	ctx, a := r.Context(), actorOf(r)
	ext, err := s.myAgent(ctx)
	if err != nil {
		return nil, err
	}
	out := &MyLead{}
	var call *callfloor.CallRef
	var inPreview *floor.Preview
	var agentName string
	err = s.floor.View(ctx, a.AccountID, func(st *floor.State, cfg *floor.Config) {
		ag := st.Agent(ext)
		agentName = cfg.Agents[ext].Name
		if ag.Preview != nil {
			p := *ag.Preview
			inPreview = &p
		}
		call = campaignCall(ag)
	})
	if err != nil {
		return nil, err
	}
	// The script says who calls by the user's name, not the extension's.
	if u, err := s.store.FindUserByID(ctx, a.UserID); err == nil && u.Name != "" {
		agentName = u.Name
	}
	switch {
	case call != nil:
		l, err := s.store.FindLeadByID(ctx, call.LeadID)
		if err != nil {
			return out, ignoreNotFound(err)
		}
		c, err := s.store.FindCampaignByID(ctx, call.CampaignID)
		if err != nil {
			return out, ignoreNotFound(err)
		}
		out.Lead, out.Campaign, out.Number, out.CallID = l, brief(c), call.To, call.ID
		out.Script = dialer.Script(c, l, call.To, agentName)
	case inPreview != nil && s.previews != nil:
		p := s.previews.PreviewOf(a.AccountID, ext)
		if p == nil || p.Lead.ID != inPreview.LeadID {
			return out, nil // a restarted dialler shows it again within a second
		}
		// The lead as stored now (an edit during the preview shows).
		l, err := s.store.FindLeadByID(ctx, p.Lead.ID)
		if err != nil {
			return out, ignoreNotFound(err)
		}
		dialAt := p.DialAt
		number := p.Number
		if i := l.NextNumber(); i >= 0 {
			number = l.Numbers[i].Number // what the dial will use
		}
		out.Lead, out.Campaign, out.Number, out.DialAt = l, brief(p.Campaign), number, &dialAt
		out.Script = dialer.Script(p.Campaign, l, number, agentName)
	}
	return out, nil
}

func ignoreNotFound(err error) error {
	if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
		return nil
	}
	return err
}

func (s *Server) previewAction(r *http.Request, act func(ctx context.Context, account, ext int64) error) (*AgentView, error) {
	ctx, a := r.Context(), actorOf(r)
	ext, err := s.myAgent(ctx)
	if err != nil {
		return nil, err
	}
	if s.previews == nil {
		return nil, errorf(callfloor.ErrTelephonyOff, "the server runs without its dialler")
	}
	if err := act(ctx, a.AccountID, ext); err != nil {
		return nil, err
	}
	return s.oneAgent(ctx, a.AccountID, ext)
}

func (s *Server) previewDial(_ http.ResponseWriter, r *http.Request) (*AgentView, error) {
	return s.previewAction(r, func(ctx context.Context, account, ext int64) error { return s.previews.DialNow(ctx, account, ext) })
}

func (s *Server) previewSkip(_ http.ResponseWriter, r *http.Request) (*AgentView, error) {
	return s.previewAction(r, func(ctx context.Context, account, ext int64) error { return s.previews.Skip(ctx, account, ext) })
}

func customerRoutes() []route {
	const (
		ok      = http.StatusOK
		created = http.StatusCreated
	)
	return []route{
		{"PATCH", "/api/v1/floor/me/lead", agent, ok, "editMyLead", "floor",
			"Edit the customer of the caller's current campaign lead, when the campaign allows it: name, fields, time zone, and numbers (a new number goes right after the one in use, so it is dialled next)",
			write((*Server).editMyLead)},
		{"POST", "/api/v1/floor/me/leads", agent, created, "addCustomer", "floor",
			"Add a new customer to the list of the caller's current campaign lead, when the campaign allows it; in a preview campaign it is shown to the caller next",
			write((*Server).addCustomer)},
	}
}

// customerInput is what an agent may change of a lead.
type customerInput struct {
	Name     string            `json:"name"`
	Numbers  []string          `json:"numbers"`
	Fields   map[string]string `json:"fields"`
	TimeZone string            `json:"time_zone"`
}

func (customerInput) resource() any { return callfloor.Lead{} }

// currentLead is the caller's current campaign lead (in preview, on a
// line or in wrap-up) with its campaign.
func (s *Server) currentLead(r *http.Request) (int64, *callfloor.Lead, *callfloor.Campaign, error) {
	ctx, a := r.Context(), actorOf(r)
	ext, err := s.myAgent(ctx)
	if err != nil {
		return 0, nil, nil, err
	}
	var leadID int64
	err = s.floor.View(ctx, a.AccountID, func(st *floor.State, _ *floor.Config) {
		ag := st.Agent(ext)
		if call := campaignCall(ag); call != nil {
			leadID = call.LeadID
		} else if ag.Preview != nil {
			leadID = ag.Preview.LeadID
		}
	})
	if err != nil {
		return 0, nil, nil, err
	}
	if leadID == 0 {
		return 0, nil, nil, errorf(callfloor.ErrCallState, "no campaign lead now: the customer is edited during a preview, a campaign call or its wrap-up")
	}
	l, err := s.store.FindLeadByID(ctx, leadID)
	if err != nil {
		return 0, nil, nil, err
	}
	c, err := s.store.FindCampaignByID(ctx, l.CampaignID)
	if err != nil {
		return 0, nil, nil, err
	}
	return ext, l, c, nil
}

// e164s normalises numbers as people write them, in the campaign's
// country.
func e164s(numbers []string, country string) ([]string, error) {
	out := make([]string, 0, len(numbers))
	for i, n := range numbers {
		v, ok := callfloor.NormalizeNumber(n, country)
		if !ok {
			return nil, callfloor.FieldError(callfloor.ErrInvalidField, fmt.Sprintf("numbers[%d]", i), "%q is not a phone number", n)
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) editMyLead(_ http.ResponseWriter, r *http.Request, dec decoder[customerInput]) (*callfloor.Lead, error) {
	_, cur, c, err := s.currentLead(r)
	if err != nil {
		return nil, err
	}
	if !c.AllowEditLead {
		return nil, errorf(callfloor.ErrNotPermitted, "the campaign does not let agents edit its customers")
	}
	return s.store.UpdateLead(r.Context(), cur.ID, func(l *callfloor.Lead) error {
		in := customerInput{Name: l.Name, Fields: l.Fields, TimeZone: l.TimeZone}
		for _, n := range l.Numbers {
			in.Numbers = append(in.Numbers, n.Number)
		}
		if err := dec(&in); err != nil {
			return err
		}
		numbers, err := e164s(in.Numbers, c.CountryCode)
		if err != nil {
			return err
		}
		l.Name, l.Fields, l.TimeZone = in.Name, in.Fields, in.TimeZone
		l.Numbers = mergeNumbers(l.Numbers, numbers)
		return nil
	})
}

// mergeNumbers gives a lead the numbers an agent sent: those it had keep
// their failed mark and the sent order; new ones go right after the
// number in use (the first not failed), so that they are dialled next.
func mergeNumbers(old []callfloor.LeadNumber, sent []string) []callfloor.LeadNumber {
	failed := map[string]bool{}
	had := map[string]bool{}
	for _, n := range old {
		had[n.Number] = true
		failed[n.Number] = n.Failed
	}
	var kept, added []callfloor.LeadNumber
	for _, n := range sent {
		if had[n] {
			kept = append(kept, callfloor.LeadNumber{Number: n, Failed: failed[n]})
		} else {
			added = append(added, callfloor.LeadNumber{Number: n})
		}
	}
	at := len(kept)
	for i, n := range kept {
		if !n.Failed {
			at = i + 1
			break
		}
	}
	out := append([]callfloor.LeadNumber{}, kept[:at]...)
	out = append(out, added...)
	return append(out, kept[at:]...)
}

func (s *Server) addCustomer(_ http.ResponseWriter, r *http.Request, dec decoder[customerInput]) (*callfloor.Lead, error) {
	ext, cur, c, err := s.currentLead(r)
	if err != nil {
		return nil, err
	}
	if !c.AllowAddLead {
		return nil, errorf(callfloor.ErrNotPermitted, "the campaign does not let agents add customers")
	}
	var in customerInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	numbers, err := e164s(in.Numbers, c.CountryCode)
	if err != nil {
		return nil, err
	}
	l := &callfloor.Lead{Name: in.Name, Fields: in.Fields, TimeZone: in.TimeZone, LastResult: "added by an agent"}
	for _, n := range numbers {
		l.Numbers = append(l.Numbers, callfloor.LeadNumber{Number: n})
	}
	if c.Type == callfloor.CampaignPreview {
		// Shown to this agent next: a callback for them, due now.
		now := s.clock.Now()
		e := ext
		l.Status, l.NextAt, l.CallbackExtID = callfloor.LeadCallback, &now, &e
	}
	if err := s.store.CreateLeads(r.Context(), cur.ListID, []*callfloor.Lead{l}); err != nil {
		return nil, unprefix(err)
	}
	return l, nil
}

func webhookButtonRoutes() []route {
	return []route{
		{"POST", "/api/v1/floor/me/lead/webhook", agent, http.StatusOK, "pressWebhookButton", "floor",
			"Press one of the campaign's webhook buttons for the caller's current lead: the server posts the button's body, filled with the call's and the lead's fields and signed (Standard Webhooks), to its URL, and answers how it went",
			write((*Server).pressWebhookButton)},
	}
}

type buttonInput struct {
	ButtonID int64 `json:"button_id" api:"required"`
}

// ButtonResult is how a webhook button's request went.
type ButtonResult struct {
	Label string `json:"label"`
	webhook.Result
	// Error says why no answer came (the address, a timeout); empty when
	// one did.
	Error string `json:"error,omitempty"`
}

func (s *Server) pressWebhookButton(_ http.ResponseWriter, r *http.Request, dec decoder[buttonInput]) (*ButtonResult, error) {
	var in buttonInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	ext, l, c, err := s.currentLead(r)
	if err != nil {
		return nil, err
	}
	var b *callfloor.WebhookButton
	for i := range c.WebhookButtons {
		if c.WebhookButtons[i].ID == in.ButtonID {
			b = &c.WebhookButtons[i]
		}
	}
	if b == nil {
		return nil, callfloor.FieldError(callfloor.ErrInvalidReference, "button_id", "the campaign has no webhook button %d", in.ButtonID)
	}
	ctx, a := r.Context(), actorOf(r)
	values := map[string]string{"lead_id": strconv.FormatInt(l.ID, 10), "campaign_id": strconv.FormatInt(c.ID, 10),
		"agent_extension_id": strconv.FormatInt(ext, 10), "call_id": ""}
	err = s.floor.View(ctx, a.AccountID, func(st *floor.State, cfg *floor.Config) {
		ag := st.Agent(ext)
		values["agent"] = cfg.Agents[ext].Name
		values["agent_number"] = cfg.Agents[ext].Number
		if call := campaignCall(ag); call != nil && call.LeadID == l.ID {
			values["call_id"], values["number"] = call.ID, call.To
		}
	})
	if err != nil {
		return nil, err
	}
	body := dialer.FillJSON(b.Body, c, l, values)
	secret, err := s.campaignSecret(ctx, c)
	if err != nil {
		return nil, err
	}
	res, err := s.webhooks.Send(ctx, b.URL, secret, []byte(body), s.clock.Now())
	out := &ButtonResult{Label: b.Label, Result: res}
	if err != nil {
		out.Error = err.Error()
		s.log.Info("webhook button not answered", "campaign", c.ID, "button", b.ID, "err", err)
	}
	return out, nil
}
