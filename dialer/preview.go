package dialer

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
)

// activeGrace is how long a lead may be active with no preview or call
// on the floor (between its reservation and the floor hearing of it)
// before the dialler takes it for lost and puts it back.
const activeGrace = time.Minute

// candidates is how many callable leads one look asks for: a few, since
// a lead on the do-not-call list or taken meanwhile is passed over.
const candidates = 5

// startPreview reserves the next lead of campaign c for the idle agent
// ext and shows it to them (own: only a lead of their own, assigned to
// them or their callback); it reports whether a preview started.
func (d *Dialer) startPreview(ctx context.Context, account int64, c *callfloor.Campaign, ext int64, own bool, now time.Time) bool {
	zones := d.openZones(ctx, c, now)
	if len(zones) == 0 {
		return false
	}
	leads, err := d.cfg.Store.CallableLeads(ctx, callfloor.LeadQuery{CampaignID: c.ID, Ext: ext, OwnOnly: own, TimeZones: zones,
		Now: now, AbandonedBefore: now, Limit: candidates}) // an agent is there first: no 72-hour rest
	if err != nil {
		d.log.Warn("dialler: leads not read", "campaign", c.ID, "err", err)
		return false
	}
	for _, l := range leads {
		number, ok := d.numberToDial(ctx, c, l, now)
		if !ok {
			continue
		}
		got, err := d.cfg.Store.ReserveLead(ctx, l.ID, now)
		if err != nil {
			continue // another took it
		}
		if _, err := d.cfg.Floor.Do(ctx, account, floor.StartPreview{Ext: ext, LeadID: got.ID, CampaignID: c.ID}); err != nil {
			// The agent got busy meanwhile: the lead goes back.
			d.putBack(ctx, got, now)
			return false
		}
		d.mu.Lock()
		d.previews[agentKey{account, ext}] = &preview{lead: got, campaign: c, number: number,
			due: now.Add(time.Duration(c.PreviewSeconds) * time.Second)}
		d.mu.Unlock()
		d.log.Info("dialler: lead in preview", "account", account, "ext", ext, "campaign", c.ID, "lead", got.ID)
		return true
	}
	return false
}

// numberToDial is the lead's next number, unless it is on the
// do-not-call list (the number then fails, and the lead moves on) or
// there is none (the lead fails).
func (d *Dialer) numberToDial(ctx context.Context, c *callfloor.Campaign, l *callfloor.Lead, now time.Time) (string, bool) {
	for {
		i := l.NextNumber()
		if i < 0 {
			d.update(ctx, l.ID, func(x *callfloor.Lead) {
				x.Status, x.NextAt, x.LastResult = callfloor.LeadFailed, nil, "no number left"
			})
			return "", false
		}
		n := l.Numbers[i].Number
		dnc, err := d.cfg.Store.IsDNC(ctx, n)
		if err != nil {
			d.log.Warn("dialler: do-not-call list not read; nothing dialled", "err", err)
			return "", false
		}
		if !dnc {
			return n, true
		}
		updated := d.update(ctx, l.ID, func(x *callfloor.Lead) { ApplyResult(x, c, n, ResultDNC, now) })
		if updated == nil || !updated.Status.Open() {
			return "", false
		}
		l = updated
	}
}

// update changes a lead in the store, logging a failure; it returns the
// lead as stored, nil on failure.
func (d *Dialer) update(ctx context.Context, id int64, fn func(*callfloor.Lead)) *callfloor.Lead {
	l, err := d.cfg.Store.UpdateLead(ctx, id, func(x *callfloor.Lead) error { fn(x); return nil })
	if err != nil {
		d.log.Warn("dialler: lead not updated", "lead", id, "err", err)
		return nil
	}
	return l
}

// putBack returns a reserved lead that was not dialled, due at once.
func (d *Dialer) putBack(ctx context.Context, l *callfloor.Lead, now time.Time) {
	d.update(ctx, l.ID, func(x *callfloor.Lead) {
		if x.Status == callfloor.LeadActive {
			reopen(x, now)
		}
	})
}

// due lists the previews of an account whose countdown is over.
func (d *Dialer) due(account int64, now time.Time) []agentKey {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []agentKey
	for k, p := range d.previews {
		if k.account == account && !now.Before(p.due) {
			out = append(out, k)
		}
	}
	return out
}

// take removes and returns an agent's preview.
func (d *Dialer) take(k agentKey) *preview {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.previews[k]
	delete(d.previews, k)
	return p
}

// dial places the call of an agent's preview: the attempt is counted,
// the floor gets the campaign line, and the phones place the call.
func (d *Dialer) dial(ctx context.Context, k agentKey, why string) error {
	p := d.take(k)
	if p == nil {
		return callfloor.Errorf(callfloor.ErrCallState, "no lead in preview")
	}
	now := d.cfg.Clock.Now()
	ext, err := d.cfg.Store.FindExtensionByID(ctx, k.ext)
	if err != nil {
		d.putBack(ctx, p.lead, now)
		return err
	}
	// The lead as it is now: the agent may have edited it in preview.
	number := p.number
	l := d.update(ctx, p.lead.ID, func(x *callfloor.Lead) {
		x.Attempts++
		x.LastTriedAt = &now
		if i := x.NextNumber(); i >= 0 {
			number = x.Numbers[i].Number
		}
	})
	if l == nil {
		d.putBack(ctx, p.lead, now)
		_, _ = d.cfg.Floor.Do(ctx, k.account, floor.EndPreview{Ext: k.ext})
		return callfloor.Errorf(callfloor.ErrInternal, "the lead could not be updated")
	}
	dnc, err := d.cfg.Store.IsDNC(ctx, number)
	if err != nil {
		d.update(ctx, l.ID, func(x *callfloor.Lead) { x.Attempts--; reopen(x, now) })
		_, _ = d.cfg.Floor.Do(ctx, k.account, floor.EndPreview{Ext: k.ext})
		return err
	}
	if dnc {
		// A number the agent added in preview may be one not to call.
		d.update(ctx, l.ID, func(x *callfloor.Lead) { x.Attempts--; ApplyResult(x, p.campaign, number, ResultDNC, now) })
		_, _ = d.cfg.Floor.Do(ctx, k.account, floor.EndPreview{Ext: k.ext})
		return callfloor.FieldError(callfloor.ErrInvalidField, "number", "%s is on the do-not-call list", number)
	}
	p.number = number
	callID := newCallID()
	in := floor.Dial{Ext: k.ext, CallID: callID, Number: p.number, CampaignID: p.campaign.ID, LeadID: p.lead.ID}
	if _, err := d.cfg.Floor.Do(ctx, k.account, in); err != nil {
		d.putBack(ctx, p.lead, now)
		_, _ = d.cfg.Floor.Do(ctx, k.account, floor.EndPreview{Ext: k.ext})
		return err
	}
	d.log.Info("dialler: dialling", "account", k.account, "ext", k.ext, "lead", p.lead.ID, "call", callID, "why", why)
	if d.cfg.Phones == nil {
		return nil // the simulated telephony plane reports the call
	}
	if err := d.cfg.Phones.DialAs(ctx, k.account, ext, callID, p.number, d.callerID(ctx, p.campaign)); err != nil {
		// Never placed: the line ends, and the fold gives the lead its
		// result from that end.
		_, _ = d.cfg.Floor.Do(ctx, k.account, floor.Hangup{Ext: k.ext, CallID: callID, Reason: "error"})
		return err
	}
	return nil
}

// DialNow dials the agent's preview at once, before its countdown ends.
func (d *Dialer) DialNow(ctx context.Context, account, ext int64) error {
	return d.dial(callfloor.SystemContext(ctx, account), agentKey{account, ext}, "agent")
}

// Skip takes the agent's preview back, when the campaign allows it: the
// lead returns behind the others, with no attempt counted, and the agent
// is idle (and shown the next lead at the next round).
func (d *Dialer) Skip(ctx context.Context, account, ext int64) error {
	ctx = callfloor.SystemContext(ctx, account)
	k := agentKey{account, ext}
	d.mu.Lock()
	p := d.previews[k]
	d.mu.Unlock()
	if p == nil {
		return callfloor.Errorf(callfloor.ErrCallState, "no lead in preview")
	}
	if !p.campaign.SkipAllowed {
		return callfloor.Errorf(callfloor.ErrNotPermitted, "the campaign does not allow skipping a lead")
	}
	if d.take(k) == nil {
		return callfloor.Errorf(callfloor.ErrCallState, "no lead in preview")
	}
	if _, err := d.cfg.Floor.Do(ctx, account, floor.EndPreview{Ext: ext}); err != nil {
		return err
	}
	now := d.cfg.Clock.Now()
	d.update(ctx, p.lead.ID, func(x *callfloor.Lead) {
		if x.Status == callfloor.LeadActive {
			ApplyResult(x, p.campaign, p.number, ResultSkipped, now)
		}
	})
	return nil
}

// Preview is an agent's lead in preview, for the workspace.
type Preview struct {
	Lead     *callfloor.Lead
	Campaign *callfloor.Campaign
	Number   string
	// DialAt is when the countdown ends and the call is placed.
	DialAt time.Time
}

// PreviewOf returns the agent's preview, nil for none.
func (d *Dialer) PreviewOf(account, ext int64) *Preview {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.previews[agentKey{account, ext}]
	if p == nil {
		return nil
	}
	return &Preview{Lead: p.lead, Campaign: p.campaign, Number: p.number, DialAt: p.due}
}

// recover makes the dialler's memory agree with the floor after a
// restart or a change: a preview the floor has and the dialler lost
// starts its countdown again; one the dialler has and the floor ended
// (the agent logged off) goes back; and leads left active by no preview
// and no call of any agent are put back.
func (d *Dialer) recover(ctx context.Context, account int64, st agentsNow, campaigns []*callfloor.Campaign, now time.Time) {
	byID := map[int64]*callfloor.Campaign{}
	for _, c := range campaigns {
		byID[c.ID] = c
	}
	inUse := map[int64]bool{}
	for ext, a := range st {
		k := agentKey{account, ext}
		d.mu.Lock()
		p := d.previews[k]
		d.mu.Unlock()
		switch {
		case a.preview != nil && (p == nil || p.lead.ID != a.preview.LeadID):
			c := byID[a.preview.CampaignID]
			l, err := d.cfg.Store.FindLeadByID(ctx, a.preview.LeadID)
			if c == nil || err != nil || l.NextNumber() < 0 {
				_, _ = d.cfg.Floor.Do(ctx, account, floor.EndPreview{Ext: ext})
				continue
			}
			d.mu.Lock()
			d.previews[k] = &preview{lead: l, campaign: c, number: l.Numbers[l.NextNumber()].Number,
				due: now.Add(time.Duration(c.PreviewSeconds) * time.Second)}
			d.mu.Unlock()
			inUse[l.ID] = true
		case a.preview == nil && p != nil:
			d.take(k)
			d.putBack(ctx, p.lead, now)
		case p != nil:
			inUse[p.lead.ID] = true
		}
	}
	for _, a := range st {
		for id := range a.leads {
			inUse[id] = true
		}
	}
	d.mu.Lock()
	for id := range d.inFlight {
		inUse[id] = true
	}
	d.mu.Unlock()
	active, err := d.cfg.Store.ListLeads(ctx, callfloor.LeadFilter{Status: callfloor.LeadActive, Limit: 1000})
	if err != nil {
		return
	}
	for _, l := range active {
		c := byID[l.CampaignID]
		if inUse[l.ID] || c == nil || l.LastTriedAt == nil || now.Sub(*l.LastTriedAt) < activeGrace {
			continue
		}
		d.log.Info("dialler: a lead left active is put back", "lead", l.ID)
		d.update(ctx, l.ID, func(x *callfloor.Lead) {
			if x.Status == callfloor.LeadActive {
				ApplyResult(x, c, "", ResultLost, now)
			}
		})
	}
}

// callerID is the number a campaign call shows: one of the campaign's
// caller-ID pool (at random, or in turn), or "" for the route's own.
func (d *Dialer) callerID(ctx context.Context, c *callfloor.Campaign) string {
	if c.CallerIDPoolID == nil {
		return ""
	}
	pool, err := d.cfg.Store.FindCallerIDPoolByID(ctx, *c.CallerIDPoolID)
	if err != nil || len(pool.Numbers) == 0 {
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if c.RandomCallerID {
		return pool.Numbers[rand.IntN(len(pool.Numbers))]
	}
	n := pool.Numbers[d.turn[c.ID]%len(pool.Numbers)]
	d.turn[c.ID]++
	return n
}
