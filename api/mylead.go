package api

import (
	"context"
	"net/http"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/dialer"
	"github.com/callfloor/callfloor/floor"
)

// Previews is the dialler's side of an agent's preview.
type Previews interface {
	PreviewOf(account, ext int64) *dialer.Preview
	DialNow(ctx context.Context, account, ext int64) error
	Skip(ctx context.Context, account, ext int64) error
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
		out.Lead, out.Campaign, out.Number, out.DialAt = l, brief(p.Campaign), p.Number, &dialAt
		out.Script = dialer.Script(p.Campaign, l, p.Number, agentName)
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
