package dialer

import (
	"context"

	"github.com/callfloor/callfloor"
)

// The journal is the truth of how each campaign call went: the dialler
// folds it into the leads from a cursor kept in the store. Each lead
// keeps the sequence of the event that last changed it, so an event read
// twice (a crash between a lead's update and the cursor's) changes it
// once.

// foldPage is how many journal events one read takes.
const foldPage = 500

// fold applies the account's journal events after the cursor to the
// leads of its campaigns.
func (d *Dialer) fold(ctx context.Context, account int64, list []*callfloor.Campaign) error {
	campaigns := make(map[int64]*callfloor.Campaign, len(list))
	for _, c := range list {
		campaigns[c.ID] = c
	}
	cursor, err := d.cfg.Store.DialerCursor(ctx)
	if err != nil {
		return err
	}
	for {
		evs, err := d.cfg.Store.ReadEvents(ctx, account, cursor, foldPage)
		if err != nil || len(evs) == 0 {
			return err
		}
		for i := range evs {
			ev := &evs[i]
			if r := ev.Record; r != nil && r.Step == StepCampaignAttempt && r.LeadID != 0 {
				if c := campaigns[r.CampaignID]; c != nil {
					d.applyAttempt(ctx, c, ev)
				}
				continue
			}
			if ev.Call == nil || ev.Call.LeadID == 0 {
				continue
			}
			if c := campaigns[ev.Call.CampaignID]; c != nil {
				d.applyEvent(ctx, c, ev)
			}
		}
		cursor = evs[len(evs)-1].Seq
		if err := d.cfg.Store.SetDialerCursor(ctx, cursor); err != nil {
			return err
		}
		if len(evs) < foldPage {
			return nil
		}
	}
}

// applyEvent gives a lead its next step from one event of its call: the
// end of a call no person answered, or the agent's disposition.
func (d *Dialer) applyEvent(ctx context.Context, c *callfloor.Campaign, ev *callfloor.Event) {
	var change func(l *callfloor.Lead)
	switch ev.Type {
	case callfloor.EventCallEnded:
		r, ok := resultOf(ev.EndReason)
		if !ok {
			return // answered: its disposition decides
		}
		change = func(l *callfloor.Lead) { ApplyResult(l, c, ev.Call.To, r, ev.At) }
	case callfloor.EventDisposition, callfloor.EventDispositionLater:
		disp := ev.Disposition
		if disp == nil {
			return
		}
		if disp.Incomplete || disp.Category == "" {
			change = func(l *callfloor.Lead) { ApplyNoDisposition(l, c, ev.At) }
			break
		}
		o, ok := c.Outcome(disp.Category, disp.Outcome)
		if !ok {
			d.log.Warn("dialler: a disposition names no outcome of its campaign; the lead is retried", "campaign", c.ID, "outcome", disp.Outcome)
			change = func(l *callfloor.Lead) { ApplyNoDisposition(l, c, ev.At) }
			break
		}
		change = func(l *callfloor.Lead) { ApplyOutcome(l, c, ev.Call.To, o, ev.ExtensionID, disp.CallbackAt, ev.At) }
	default:
		return
	}
	d.changeLead(ctx, ev.Call.LeadID, ev.Seq, change)
}

// applyAttempt gives a lead its next step from how its power campaign's
// call went before an agent had it: a connected call waits for its
// disposition.
func (d *Dialer) applyAttempt(ctx context.Context, c *callfloor.Campaign, ev *callfloor.Event) {
	r := ev.Record
	res := Result(r.Reason)
	switch res {
	case ResultBusy, ResultNoAnswer, ResultUnreachable, ResultMachine, ResultAbandoned, ResultLost:
	default:
		return // connected
	}
	d.changeLead(ctx, r.LeadID, ev.Seq, func(l *callfloor.Lead) { ApplyResult(l, c, r.Number, res, ev.At) })
}

// changeLead applies change to a lead for the journal event seq, once.
func (d *Dialer) changeLead(ctx context.Context, lead, seq int64, change func(*callfloor.Lead)) {
	_, err := d.cfg.Store.UpdateLead(ctx, lead, func(l *callfloor.Lead) error {
		if l.Seq >= seq {
			return errApplied
		}
		change(l)
		l.Seq = seq
		return nil
	})
	if err != nil && err != errApplied && callfloor.ErrorCode(err) != callfloor.ErrNotFound {
		d.log.Warn("dialler: lead not updated from the journal", "lead", lead, "seq", seq, "err", err)
	}
}

// errApplied aborts an update for an event the lead has had.
var errApplied = callfloor.Errorf(callfloor.ErrCallState, "applied already")

// resultOf reads how a campaign call went from the reason its line ended
// with; ok is false for a party's hang-up after talking (its disposition
// decides). A reason that may end an answered call or a ringing one (the
// agent's hang-up, a lost phone) gives a result that the disposition, a
// later event, replaces when the call was answered.
func resultOf(reason string) (Result, bool) {
	switch reason {
	case "rejected":
		return ResultBusy, true
	case "unavailable", "no_answer", "hangup", "canceled":
		return ResultNoAnswer, true
	case "lost", "shutdown", "phone_lost", "media_timeout", "session_expired", "refused":
		return ResultLost, true
	case "not_found", "not_acceptable", "error":
		return ResultUnreachable, true
	case "machine":
		return ResultMachine, true
	case "abandoned":
		return ResultAbandoned, true
	}
	return "", false
}
