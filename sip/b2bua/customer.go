package b2bua

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/media/prompt"
)

// A power campaign calls the customer first: DialCustomer places the
// call through the account's trunk and returns once a person (or a
// machine) answers; the answered customer then waits, hearing silence,
// for Ring to connect a free agent (as for a queue caller), for Drop, or
// for Abandon to play the information message and hang up.

// AnsweredByHeader is the header of a carrier's 200 OK that says who
// answered, when the carrier detects answering machines: "machine" (or
// any value starting so) is a machine, anything else a person.
const AnsweredByHeader = "X-Answered-By"

// Customer is a campaign's call to a customer's number.
type Customer struct {
	CallID     string
	AccountID  int64
	CampaignID int64
	// Number is the number dialled; CallerID the number shown (empty:
	// the trunk's default).
	Number, CallerID string
	// RingTimeout is how long the number may ring before the call is
	// given up as not answered (0: Config.RingTimeout).
	RingTimeout time.Duration
}

// Reached is how a customer's number answered.
type Reached struct {
	// Machine: the carrier said an answering machine answered.
	Machine bool
}

// DialCustomer calls cu.Number through the account's trunks and blocks
// until it answers (nil error) or the call fails: a *RingFailure says
// how (ReasonRejected with the carrier's Status for busy or an error,
// ReasonNoAnswer when it rang out, ReasonUnavailable when the carrier
// never answered, ReasonCanceled when ctx was canceled); other errors
// are ours (no trunk, a duplicate call ID). An answered customer waits
// in call cu.CallID for Ring, Drop or Abandon.
func (b *B2BUA) DialCustomer(ctx context.Context, cu Customer) (Reached, error) {
	if b.cfg.Trunks == nil {
		return Reached{}, callfloor.Errorf(callfloor.ErrNotFound, "no trunk router")
	}
	b.mu.Lock()
	exists := b.calls[cu.CallID] != nil
	b.mu.Unlock()
	if exists {
		return Reached{}, callfloor.Errorf(callfloor.ErrCallState, "call %s exists", cu.CallID)
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	route, err := b.cfg.Trunks.Outbound(lctx, &callfloor.Extension{AccountID: cu.AccountID}, cu.Number)
	cancel()
	if err != nil {
		return Reached{}, err
	}
	if cu.CallerID != "" {
		route.CallerID = cu.CallerID
	}
	ringFor := cu.RingTimeout
	if ringFor <= 0 || ringFor > b.cfg.RingTimeout {
		ringFor = b.cfg.RingTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, ringFor)
	defer cancel()
	l, f := b.dialOut(rctx, outgoing{callID: cu.CallID, accountID: cu.AccountID, route: route, from: route.CallerID}, func() {})
	if f != nil {
		reason := f.reason
		switch {
		case errors.Is(rctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
			reason = ReasonNoAnswer
		case ctx.Err() != nil:
			reason = ReasonCanceled
		case f.status == sip.StatusRequestTimeout || f.status == sip.StatusTemporarilyUnavailable:
			reason = ReasonNoAnswer // the carrier's own "no answer"
		}
		return Reached{}, &RingFailure{Reason: reason, Status: f.status}
	}
	reached := Reached{}
	if h := l.out.InviteResponse.GetHeader(AnsweredByHeader); h != nil {
		reached.Machine = strings.HasPrefix(strings.ToLower(strings.TrimSpace(h.Value())), "machine")
	}
	c := &call{b: b, id: cu.CallID, campaign: cu.CampaignID, shown: route.CallerID,
		base: Event{CallID: cu.CallID, AccountID: cu.AccountID, Number: cu.Number}}
	b.mu.Lock()
	if b.calls[cu.CallID] != nil || b.closed {
		b.mu.Unlock()
		l.hangup()
		return Reached{}, callfloor.Errorf(callfloor.ErrCallState, "call %s exists", cu.CallID)
	}
	b.calls[c.id] = c
	c.join(0, l)
	l.up = true
	c.remedia()
	b.mu.Unlock()
	return reached, nil
}

// Abandon plays the information message to the customer of a campaign
// call no agent took, telling them the number they were called from to
// call back, then hangs up with ReasonAbandoned. It returns at once; the
// Ended event comes when the message is over, or sooner if the customer
// hangs up.
func (b *B2BUA) Abandon(account int64, callID string) error {
	b.mu.Lock()
	c, err := b.waiting(account, callID)
	if err != nil {
		b.mu.Unlock()
		return err
	}
	msg, d := prompt.NoAgent(c.shown)
	c.waitSound = msg
	c.remedia()
	b.mu.Unlock()
	time.AfterFunc(d, func() { c.end(nil, ReasonAbandoned) })
	return nil
}
