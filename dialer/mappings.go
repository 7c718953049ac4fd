package dialer

import (
	"context"
	"fmt"
	"time"

	"github.com/callfloor/callfloor"
)

// Reason says why an agent is given no leads (or calls) now: a stable
// code, and a sentence for people.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Campaign mapping reasons.
const (
	ReasonCampaignOnHold = "campaign_on_hold"
	ReasonAgentOnHold    = "agent_on_campaign_hold"
	ReasonNoActiveLists  = "no_active_lists"
	ReasonOutsideHours   = "outside_calling_hours"
	ReasonWaitingRetry   = "waiting_for_retry"
	ReasonNoLeads        = "no_leads"
	ReasonNoTrunk        = "no_trunk"
	ReasonNoCallerID     = "no_caller_id"
)

// CampaignMapping is one campaign an agent is a member of, and what it
// holds for them now.
type CampaignMapping struct {
	CampaignID int64                  `json:"campaign_id"`
	Name       string                 `json:"name"`
	Type       callfloor.CampaignType `json:"type"`
	Lists      int                    `json:"lists"`
	// ActiveLists counts the lists whose leads are dialled.
	ActiveLists int                  `json:"active_lists"`
	Counts      callfloor.LeadCounts `json:"leads"`
	// Reasons are why no lead of this campaign is given to the agent now;
	// empty when one is.
	Reasons []Reason `json:"reasons"`
}

// Mappings lists the campaigns agent ext is a member of, with the leads
// each holds for them now and, when none, why.
func (d *Dialer) Mappings(ctx context.Context, account, ext int64) ([]CampaignMapping, error) {
	ctx = callfloor.SystemContext(ctx, account)
	campaigns, err := d.cfg.Store.ListCampaigns(ctx)
	if err != nil {
		return nil, err
	}
	now := d.cfg.Clock.Now()
	out := []CampaignMapping{}
	var line *outsideLine
	for _, c := range campaigns {
		m, ok := c.Member(ext)
		if !ok {
			continue
		}
		if line == nil {
			if line, err = d.outside(ctx); err != nil {
				return nil, err
			}
		}
		lists, err := d.cfg.Store.ListLists(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		cm := CampaignMapping{CampaignID: c.ID, Name: c.Name, Type: c.Type, Lists: len(lists), Reasons: []Reason{}}
		for _, l := range lists {
			if l.Active {
				cm.ActiveLists++
			}
		}
		zones := d.openZones(ctx, c, now)
		rest := now // an agent there first: no rest after an abandoned call
		if c.Type == callfloor.CampaignPower {
			rest = now.Add(-AbandonRest)
		}
		cm.Counts, err = d.cfg.Store.CountLeads(ctx, callfloor.LeadQuery{CampaignID: c.ID, Ext: ext, TimeZones: zones,
			Now: now, AbandonedBefore: rest})
		if err != nil {
			return nil, err
		}
		cm.Reasons = campaignReasons(c, m, cm, zones)
		if r, ok := d.lineReason(ctx, c, line); ok {
			cm.Reasons = append(cm.Reasons, r)
		}
		out = append(out, cm)
	}
	return out, nil
}

// campaignReasons says why campaign c gives member m no lead now.
func campaignReasons(c *callfloor.Campaign, m callfloor.CampaignMember, cm CampaignMapping, zones []string) []Reason {
	var rs []Reason
	add := func(code, format string, args ...any) {
		rs = append(rs, Reason{Code: code, Message: fmt.Sprintf(format, args...)})
	}
	if !c.Active {
		add(ReasonCampaignOnHold, "The campaign is on hold.")
	}
	if m.OnHold {
		add(ReasonAgentOnHold, "A supervisor put you on hold for this campaign: you still take queue calls.")
	}
	switch {
	case cm.ActiveLists == 0:
		add(ReasonNoActiveLists, "None of the campaign's %d lists is active.", cm.Lists)
	case cm.Counts.Open == 0:
		add(ReasonNoLeads, "No lead is left to call: every lead is done or failed.")
	case cm.Counts.Own+cm.Counts.Pool == 0 && len(zones) == 0:
		add(ReasonOutsideHours, "Outside the calling hours (%s to %s) in every lead's time zone.", c.CallingHours.Start, c.CallingHours.End)
	case cm.Counts.Own+cm.Counts.Pool == 0 && cm.Counts.Waiting > 0:
		when := ""
		if cm.Counts.NextDue != nil {
			when = " The next is due at " + cm.Counts.NextDue.UTC().Format(time.RFC3339) + "."
		}
		add(ReasonWaitingRetry, "Every open lead waits for its retry or callback time.%s", when)
	case cm.Counts.Own+cm.Counts.Pool == 0:
		add(ReasonOutsideHours, "The open leads are outside the calling hours (%s to %s) in their time zones.", c.CallingHours.Start, c.CallingHours.End)
	}
	if rs == nil {
		rs = []Reason{}
	}
	return rs
}

// outsideLine is what an account has to call out with: an enabled
// trunk, and whether one has a default caller ID.
type outsideLine struct{ trunk, defaultCallerID bool }

func (d *Dialer) outside(ctx context.Context) (*outsideLine, error) {
	trunks, err := d.cfg.Store.ListTrunks(ctx)
	if err != nil {
		return nil, err
	}
	out := &outsideLine{}
	for _, t := range trunks {
		if t.Enabled {
			out.trunk = true
			out.defaultCallerID = out.defaultCallerID || t.DefaultCallerID != ""
		}
	}
	return out, nil
}

// lineReason says when campaign c cannot place a call at all: no trunk
// is enabled, or no number to show (no caller-ID pool with numbers, and
// no trunk default).
func (d *Dialer) lineReason(ctx context.Context, c *callfloor.Campaign, line *outsideLine) (Reason, bool) {
	if !line.trunk {
		return Reason{Code: ReasonNoTrunk, Message: "No trunk is enabled: the account cannot call out."}, true
	}
	if line.defaultCallerID {
		return Reason{}, false
	}
	if c.CallerIDPoolID != nil {
		if pool, err := d.cfg.Store.FindCallerIDPoolByID(ctx, *c.CallerIDPoolID); err == nil && len(pool.Numbers) > 0 {
			return Reason{}, false
		}
	}
	return Reason{Code: ReasonNoCallerID, Message: "The campaign has no caller ID: give it a caller-ID pool with numbers, or the trunk a default caller ID."}, true
}
