package dialer

import (
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/sip/b2bua"
)

// A power campaign calls customers first and connects those who answer
// to free members. Each round it places calls for its free members times
// its pacing ratio, less the calls in progress. A customer who answers
// is connected to a free member within ConnectWait; with none free, the
// call is abandoned: the customer hears the information message, and the
// lead rests for AbandonRest.
//
// The ratio is how many calls it takes to reach one person: the inverse
// of the share of recent calls a person answered (counting the calls
// still ringing as answered, to err on the safe side), times a margin
// below 1 so that fewer people answer than there are agents for them. Each
// abandoned call narrows the margin at once; connected calls widen it
// slowly while the abandoned rate over the last 24 hours is under half
// its target. Near the target the ratio is held at 1: one call per free
// agent.

// ConnectWait is how long an answered customer waits for a free member
// before the call is abandoned (Ofcom: two seconds).
const ConnectWait = 2 * time.Second

// StepCampaignAttempt is the journal's call record of how a power
// campaign's call went before any agent had it; its Reason is a Result,
// or ReasonConnected.
const StepCampaignAttempt = "campaign_attempt"

// ReasonConnected is the reason of a campaign attempt an agent took.
const ReasonConnected = "connected"

// Pacing.
const (
	// recentCalls is how many of the latest calls give the answer rate;
	// under minSample of them the ratio stays 1.
	recentCalls = 200
	minSample   = 50
	// The margin starts at marginStart, loses marginCut of itself with
	// each abandoned call (down to marginMin), and gains marginStep
	// with each connected call under half the target (up to 1).
	marginStart = 0.85
	marginCut   = 0.2
	marginMin   = 0.5
	marginStep  = 0.005
	// nearTarget: at this share of the target the ratio is held at 1.
	nearTarget = 0.8
	// minShare bounds the answer rate used (no one answered lately).
	minShare = 0.05
)

// customerRing is how long a power campaign lets a number ring.
const customerRing = 30 * time.Second

// agentRing is how long a member's phone may take to answer a connected
// customer (asked to answer at once) before the next member is tried.
const agentRing = 10 * time.Second

// maxDialsPerRound bounds the calls one round of a campaign places.
const maxDialsPerRound = 50

// ownCheckEvery is how often a free member of a power campaign is looked
// at for leads of their own (assigned to them, or their callbacks),
// which are shown to them as a preview: an agent is there first.
const ownCheckEvery = 15 * time.Second

// power is what the dialler knows of a power campaign.
type power struct {
	// ratio is the calls placed per free member now; margin its safety
	// factor; recent whether a person answered each of the latest calls.
	ratio  float64
	margin float64
	recent []bool
	// dialling are the calls placed and not answered or failed yet;
	// answered the customers waiting for a member.
	dialling map[string]*powerCall
	answered int
	// live are the calls a person answered over the last 24 hours:
	// connected to an agent or abandoned.
	live []liveCall
}

func newPower() *power {
	return &power{ratio: 1, margin: marginStart, dialling: map[string]*powerCall{}}
}

type powerCall struct {
	id       string
	account  int64
	campaign *callfloor.Campaign
	lead     *callfloor.Lead
	number   string
	callerID string
}

type liveCall struct {
	at        time.Time
	abandoned bool
}

// rate is the abandoned share of the live calls since now-24h (0 to 1),
// and how many there were.
func (p *power) rate(now time.Time) (float64, int) {
	cut := now.Add(-24 * time.Hour)
	i := 0
	for i < len(p.live) && p.live[i].at.Before(cut) {
		i++
	}
	p.live = p.live[i:]
	n, ab := len(p.live), 0
	for _, l := range p.live {
		if l.abandoned {
			ab++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return float64(ab) / float64(n), n
}

// pace sets the ratio before a round: the margin over the share of
// recent calls a person answered, between 1 and the campaign's
// MaxRatio; 1 while the abandoned rate is near its target.
func (p *power) pace(now time.Time, c *callfloor.Campaign) {
	p.ratio = 1
	if rate, _ := p.rate(now); rate >= nearTarget*c.AbandonTarget/100 || len(p.recent) < minSample {
		return
	}
	// The calls still ringing count as answered by a person: the calls
	// that end first are the quick failures (busy, unreachable), so the
	// share of the calls ended so far is too low while many still ring.
	persons := len(p.dialling)
	for _, r := range p.recent {
		if r {
			persons++
		}
	}
	share := max(float64(persons)/float64(len(p.recent)+len(p.dialling)), minShare)
	p.ratio = min(max(p.margin/share, 1), c.MaxRatio)
}

// called notes whether a person answered a call placed.
func (p *power) called(person bool) {
	p.recent = append(p.recent, person)
	if len(p.recent) > recentCalls {
		p.recent = p.recent[len(p.recent)-recentCalls:]
	}
}

// settle counts a call a person answered, connected or abandoned, and
// moves the margin: down at once for an abandoned call, up a step for a
// connected one while the rate is under half the target.
func (p *power) settle(now time.Time, abandoned bool, c *callfloor.Campaign) {
	p.live = append(p.live, liveCall{at: now, abandoned: abandoned})
	rate, _ := p.rate(now)
	switch {
	case abandoned:
		p.margin = max(marginMin, p.margin*(1-marginCut))
	case rate < c.AbandonTarget/200:
		p.margin = min(1, p.margin+marginStep)
	}
}

// PowerFigures are a power campaign's pacing figures.
type PowerFigures struct {
	Ratio float64 `json:"ratio"`
	// Dialling are the calls ringing; Waiting the answered customers
	// looking for an agent.
	Dialling int `json:"dialling"`
	Waiting  int `json:"waiting"`
	// Live, Abandoned and AbandonedRate (in %) are over the last 24 hours.
	Live          int     `json:"live"`
	Abandoned     int     `json:"abandoned"`
	AbandonedRate float64 `json:"abandoned_rate"`
}

// PowerFiguresOf returns a power campaign's figures (zero before its
// first round).
func (d *Dialer) PowerFiguresOf(campaign int64) PowerFigures {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.power[campaign]
	if p == nil {
		return PowerFigures{Ratio: 1}
	}
	r, n := p.rate(d.cfg.Clock.Now())
	f := PowerFigures{Ratio: p.ratio, Dialling: len(p.dialling), Waiting: p.answered, Live: n, AbandonedRate: 100 * r}
	for _, l := range p.live {
		if l.abandoned {
			f.Abandoned++
		}
	}
	return f
}

// powerOf returns a campaign's state, made on first use. d.mu is held.
func (d *Dialer) powerOf(campaign int64) *power {
	p := d.power[campaign]
	if p == nil {
		p = newPower()
		d.power[campaign] = p
	}
	return p
}

// loadLive reads the account's campaign attempts of the last 24 hours
// from the journal, once, so that a restart keeps the abandoned rate.
func (d *Dialer) loadLive(ctx context.Context, account int64, now time.Time) {
	d.mu.Lock()
	done := d.liveLoaded[account]
	d.mu.Unlock()
	if done || d.cfg.Journal == nil {
		return
	}
	evs, err := d.cfg.Journal.ReadExtensionEvents(ctx, account, 0, now.Add(-24*time.Hour), now.Add(time.Second))
	if err != nil {
		d.log.Warn("dialler: the day's campaign calls not read; the abandoned rate starts afresh", "account", account, "err", err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.liveLoaded[account] = true
	for _, ev := range evs {
		r := ev.Record
		if ev.Type != callfloor.EventCallRecord || r == nil || r.Step != StepCampaignAttempt || r.CampaignID == 0 {
			continue
		}
		if r.Reason == ReasonConnected || r.Reason == string(ResultAbandoned) {
			p := d.powerOf(r.CampaignID)
			p.live = append(p.live, liveCall{at: ev.At, abandoned: r.Reason == string(ResultAbandoned)})
		}
	}
}

// powerRound paces campaign c: it shows free members their own leads as
// previews, then places calls for the others. claimed are the agents
// spoken for this round (by a preview or another power campaign); the
// members this campaign counts on are added to it.
func (d *Dialer) powerRound(ctx context.Context, account int64, c *callfloor.Campaign, st agentsNow, claimed map[int64]bool, now time.Time) {
	var free []int64
	for _, m := range c.Members {
		a, ok := st[m.ExtensionID]
		if !ok || m.OnHold || !a.free || claimed[m.ExtensionID] || d.connectingTo(account, m.ExtensionID) {
			continue
		}
		free = append(free, m.ExtensionID)
	}
	zones := d.openZones(ctx, c, now)
	if len(zones) == 0 {
		return
	}
	// An agent's own leads (assigned, or their callbacks) go to them as
	// a preview, never to whoever is free.
	free = slices.DeleteFunc(free, func(ext int64) bool {
		if !d.ownDue(account, ext, now) {
			return false
		}
		if d.startPreview(ctx, account, c, ext, true, now) {
			claimed[ext] = true
			return true
		}
		return false
	})
	// The members free now and the calls in progress, counted at one
	// instant (the floor and the dialler both still): a customer being
	// connected is counted in answered until their agent is on the call.
	var p *power
	var busy, need int
	err := d.cfg.Floor.View(ctx, account, func(s *floor.State, cfg *floor.Config) {
		d.mu.Lock()
		defer d.mu.Unlock()
		free = slices.DeleteFunc(free, func(ext int64) bool {
			a := s.Agent(ext)
			return d.connecting[agentKey{account, ext}] || !a.LoggedIn || a.State != callfloor.StateIdle ||
				(cfg.RequirePhone && !a.PhoneRegistered)
		})
		p = d.powerOf(c.ID)
		p.pace(now, c)
		busy = len(p.dialling) + p.answered
		need = int(math.Floor(float64(len(free))*p.ratio+1e-9)) - busy
	})
	if err != nil {
		d.log.Warn("dialler: the floor not read", "account", account, "err", err)
		return
	}
	if busy > 0 || need > 0 {
		for _, ext := range free {
			claimed[ext] = true
		}
	}
	if need <= 0 {
		return
	}
	need = min(need, maxDialsPerRound)
	leads, err := d.cfg.Store.CallableLeads(ctx, callfloor.LeadQuery{CampaignID: c.ID, TimeZones: zones, Now: now,
		AbandonedBefore: now.Add(-AbandonRest), Limit: need + candidates})
	if err != nil {
		d.log.Warn("dialler: leads not read", "campaign", c.ID, "err", err)
		return
	}
	for _, l := range leads {
		if need == 0 {
			break
		}
		number, ok := d.numberToDial(ctx, c, l, now)
		if !ok {
			continue
		}
		if _, err := d.cfg.Store.ReserveLead(ctx, l.ID, now); err != nil {
			continue // another took it
		}
		got := d.update(ctx, l.ID, func(x *callfloor.Lead) {
			x.Attempts++
			x.LastTriedAt = &now
		})
		if got == nil {
			continue
		}
		pc := &powerCall{id: newCallID(), account: account, campaign: c, lead: got, number: number, callerID: d.callerID(ctx, c)}
		d.mu.Lock()
		p.dialling[pc.id] = pc
		d.inFlight[got.ID] = true
		d.mu.Unlock()
		need--
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.powerCall(ctx, pc)
		}()
	}
}

// ownDue reports whether a free member's own leads are due a look (every
// ownCheckEvery), and notes the look.
func (d *Dialer) ownDue(account, ext int64, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := agentKey{account, ext}
	if last, ok := d.ownChecked[k]; ok && now.Sub(last) < ownCheckEvery && !now.Before(last) {
		return false
	}
	d.ownChecked[k] = now
	return true
}

// connectingTo reports whether a customer is being connected to ext.
func (d *Dialer) connectingTo(account, ext int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.connecting[agentKey{account, ext}]
}

// powerCall places one call of a power campaign and sees it through to
// an agent, or to its result.
func (d *Dialer) powerCall(ctx context.Context, pc *powerCall) {
	actx := callfloor.SystemContext(ctx, pc.account)
	reached, err := d.cfg.Phones.DialCustomer(actx, b2bua.Customer{CallID: pc.id, AccountID: pc.account, CampaignID: pc.campaign.ID,
		Number: pc.number, CallerID: pc.callerID, RingTimeout: customerRing})
	d.mu.Lock()
	p := d.powerOf(pc.campaign.ID)
	delete(p.dialling, pc.id)
	person := err == nil && !reached.Machine
	if person {
		p.answered++
	}
	if err == nil || failureResult(err) != string(ResultLost) {
		p.called(person)
	}
	d.mu.Unlock()
	switch {
	case err != nil:
		d.attempt(actx, pc, failureResult(err))
		return
	case reached.Machine:
		if err := d.cfg.Phones.Drop(actx, pc.account, pc.id, b2bua.ReasonMachine); err != nil {
			d.log.Debug("dialler: machine not hung up", "call", pc.id, "err", err)
		}
		d.attempt(actx, pc, string(ResultMachine))
		return
	}
	answeredAt := d.cfg.Clock.Now()
	result := d.connect(actx, pc, answeredAt)
	now := d.cfg.Clock.Now()
	d.mu.Lock()
	p.answered--
	switch result {
	case ReasonConnected, string(ResultAbandoned):
		p.settle(now, result == string(ResultAbandoned), pc.campaign)
	}
	d.mu.Unlock()
	d.attempt(actx, pc, result)
}

// connect finds a free member for an answered customer and rings them
// (asked to answer at once) until one takes the call, for up to
// ConnectWait; then the call is abandoned. It returns the attempt's
// result: connected, abandoned, or no_answer when the customer hung up
// first.
func (d *Dialer) connect(ctx context.Context, pc *powerCall, answeredAt time.Time) string {
	tried := map[int64]bool{}
	for {
		ext := d.pickAgent(ctx, pc, tried)
		if ext != nil {
			err := d.offer(ctx, pc, ext)
			switch {
			case err == nil:
				return ReasonConnected
			case callfloor.ErrorCode(err) == callfloor.ErrUnknownCall:
				return string(ResultNoAnswer) // the customer hung up
			}
			tried[ext.ID] = true
			continue
		}
		if d.cfg.Clock.Now().Sub(answeredAt) >= ConnectWait {
			break
		}
		t := d.cfg.Clock.NewTimer(connectPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return string(ResultLost)
		case <-t.C():
		}
	}
	if err := d.cfg.Phones.Abandon(pc.account, pc.id); err != nil {
		return string(ResultNoAnswer) // hung up meanwhile
	}
	d.log.Info("dialler: no agent free; the call is abandoned", "account", pc.account, "campaign", pc.campaign.ID, "lead", pc.lead.ID)
	return string(ResultAbandoned)
}

// connectPoll is how often an answered customer's campaign is looked at
// for a member who became free.
const connectPoll = 50 * time.Millisecond

// pickAgent claims the member of pc's campaign idle the longest (not on
// campaign hold, not in a preview, not being connected already, not
// tried for this call); nil when none is free.
func (d *Dialer) pickAgent(ctx context.Context, pc *powerCall, tried map[int64]bool) *callfloor.Extension {
	var best int64
	var since time.Time
	held := map[int64]bool{}
	for _, m := range pc.campaign.Members {
		held[m.ExtensionID] = m.OnHold
	}
	err := d.cfg.Floor.View(ctx, pc.account, func(s *floor.State, cfg *floor.Config) {
		d.mu.Lock()
		defer d.mu.Unlock()
		for ext, isHeld := range held {
			if isHeld || tried[ext] || d.connecting[agentKey{pc.account, ext}] || cfg.Agents[ext] == nil {
				continue
			}
			a := s.Agent(ext)
			if !a.LoggedIn || a.State != callfloor.StateIdle || a.Preview != nil || (cfg.RequirePhone && !a.PhoneRegistered) {
				continue
			}
			if best == 0 || a.Since.Before(since) {
				best, since = ext, a.Since
			}
		}
		if best != 0 {
			d.connecting[agentKey{pc.account, best}] = true
		}
	})
	if err != nil || best == 0 {
		return nil
	}
	ext, err := d.cfg.Store.FindExtensionByID(ctx, best)
	if err != nil {
		d.release(pc.account, best)
		tried[best] = true
		return nil
	}
	return ext
}

// release ends a member's claim by a call being connected.
func (d *Dialer) release(account, ext int64) {
	d.mu.Lock()
	delete(d.connecting, agentKey{account, ext})
	d.mu.Unlock()
}

// offer puts the customer's call on the member's floor and rings their
// phone; a member who does not take it is off the call again.
func (d *Dialer) offer(ctx context.Context, pc *powerCall, ext *callfloor.Extension) error {
	defer d.release(pc.account, ext.ID)
	call := callfloor.CallRef{ID: pc.id, Direction: callfloor.DirCampaign, To: pc.number, CampaignID: pc.campaign.ID, LeadID: pc.lead.ID}
	if _, err := d.cfg.Floor.Do(ctx, pc.account, floor.Offer{Ext: ext.ID, Call: call}); err != nil {
		return err
	}
	err := d.cfg.Phones.Ring(ctx, pc.account, pc.id, ext, b2bua.RingOptions{AutoAnswer: true, Timeout: agentRing})
	if err == nil {
		return nil
	}
	reason := "canceled"
	var rf *b2bua.RingFailure
	if errors.As(err, &rf) {
		reason = rf.Reason
	}
	if _, herr := d.cfg.Floor.Do(ctx, pc.account, floor.Hangup{Ext: ext.ID, CallID: pc.id, Reason: reason}); herr != nil &&
		callfloor.ErrorCode(herr) != callfloor.ErrUnknownCall {
		d.log.Warn("dialler: missed offer not ended on the floor", "ext", ext.ID, "call", pc.id, "err", herr)
	}
	return err
}

// failureResult is the result of a customer call that was not answered.
func failureResult(err error) string {
	var rf *b2bua.RingFailure
	if !errors.As(err, &rf) {
		return string(ResultUnreachable) // no trunk reaches it
	}
	switch rf.Reason {
	case b2bua.ReasonRejected:
		switch rf.Status {
		case 486, 600:
			return string(ResultBusy)
		case 480, 408, 487:
			return string(ResultNoAnswer)
		}
		return string(ResultUnreachable)
	case b2bua.ReasonNoAnswer:
		return string(ResultNoAnswer)
	case b2bua.ReasonCanceled:
		return string(ResultLost)
	}
	return string(ResultUnreachable)
}

// attempt journals how a power campaign's call went before or as an
// agent took it; the fold gives the lead its next step from it.
func (d *Dialer) attempt(ctx context.Context, pc *powerCall, result string) {
	defer func() {
		d.mu.Lock()
		delete(d.inFlight, pc.lead.ID)
		d.mu.Unlock()
	}()
	rec := callfloor.CallRecord{CallID: pc.id, Step: StepCampaignAttempt, Number: pc.number, Reason: result,
		CampaignID: pc.campaign.ID, LeadID: pc.lead.ID}
	if _, err := d.cfg.Floor.Do(context.WithoutCancel(ctx), pc.account, floor.Record{Call: rec}); err != nil {
		// Not journaled: the lead stays active, and recover puts it back.
		d.log.Warn("dialler: campaign call not journaled", "call", pc.id, "lead", pc.lead.ID, "err", err)
	}
}

// Wait waits for the calls the dialler placed to be settled (after its
// context ended, or in tests).
func (d *Dialer) Wait() { d.wg.Wait() }
