package dialer

import (
	"time"

	"github.com/callfloor/callfloor"
)

// Result is how a campaign call went when no agent set an outcome: what
// the carrier answered, or why it was never placed or never reached an
// agent.
type Result string

// Results.
const (
	// ResultBusy: the number was busy (486, 600).
	ResultBusy Result = "busy"
	// ResultNoAnswer: it rang out.
	ResultNoAnswer Result = "no_answer"
	// ResultUnreachable: the network could not reach it (404, 503, ...):
	// the number fails.
	ResultUnreachable Result = "unreachable"
	// ResultMachine: an answering machine answered.
	ResultMachine Result = "machine"
	// ResultAbandoned: a person answered and no agent was free; they
	// heard the information message. The lead is not called again
	// within AbandonRest unless an agent is there first (preview).
	ResultAbandoned Result = "abandoned"
	// ResultDNC: the number is on the do-not-call list; it was never
	// dialled, and fails.
	ResultDNC Result = "dnc"
	// ResultSkipped: the agent skipped the lead in preview; nothing was
	// dialled and no attempt counts.
	ResultSkipped Result = "skipped"
	// ResultLost: the call ended with no answer for a reason of ours
	// (the agent's phone, a restart): the lead is tried again soon.
	ResultLost Result = "lost"
)

// SkipRest is how long a lead an agent skipped waits before it is shown
// again, so that the next lead comes up even when the skipped one has a
// higher priority.
const SkipRest = 10 * time.Minute

// AbandonRest is how long a lead whose call was abandoned is not called
// again by a power campaign (Ofcom: 72 hours).
const AbandonRest = 72 * time.Hour

// lostRetry is the delay before a lead whose call we lost is tried again.
const lostRetry = 5 * time.Minute

// ApplyResult sets what happens next to lead l of campaign c after a
// call to dialled ended with r at now.
func ApplyResult(l *callfloor.Lead, c *callfloor.Campaign, dialled string, r Result, now time.Time) {
	l.LastResult = string(r)
	switch r {
	case ResultBusy:
		retry(l, c, now.Add(minutes(c.RetryBusyMinutes)))
	case ResultNoAnswer:
		retry(l, c, now.Add(minutes(c.RetryNoAnswerMinutes)))
	case ResultMachine:
		retry(l, c, now.Add(minutes(c.RetryMachineMinutes)))
	case ResultUnreachable, ResultDNC:
		failNumber(l, dialled, now, 0)
	case ResultAbandoned:
		t := now
		l.AbandonedAt = &t
		retry(l, c, now)
	case ResultSkipped:
		// Back where it was, not shown again for SkipRest.
		l.CallbackExtID = nil
		reopen(l, now.Add(SkipRest))
	case ResultLost:
		retry(l, c, now.Add(lostRetry))
	}
}

// ApplyOutcome sets what happens next to lead l after an agent (ext)
// chose outcome o for a call to dialled at now; callbackAt is the time
// the agent chose for a callback.
func ApplyOutcome(l *callfloor.Lead, c *callfloor.Campaign, dialled string, o callfloor.CampaignOutcome, ext int64, callbackAt *time.Time, now time.Time) {
	l.LastResult = o.Name
	switch o.Next {
	case callfloor.NextDone:
		closeLead(l, callfloor.LeadDone)
	case callfloor.NextRetry:
		retry(l, c, now.Add(minutes(o.RetryMinutes)))
	case callfloor.NextFailNumber:
		failNumber(l, dialled, now, ext)
	case callfloor.NextFailContact:
		closeLead(l, callfloor.LeadFailed)
	case callfloor.NextCallback:
		at := now
		if callbackAt != nil && callbackAt.After(now) {
			at = *callbackAt
		}
		l.Status, l.NextAt, l.CallbackExtID = callfloor.LeadCallback, &at, nil
		if o.CallbackScope == callfloor.CallbackAgent && ext != 0 {
			e := ext
			l.CallbackExtID = &e
		}
	}
}

// ApplyNoDisposition is the lead's next step when wrap-up timed out
// with no outcome: it is tried again later, as for no answer.
func ApplyNoDisposition(l *callfloor.Lead, c *callfloor.Campaign, now time.Time) {
	l.LastResult = callfloor.NoAgentSubmission
	retry(l, c, now.Add(minutes(c.RetryNoAnswerMinutes)))
}

func minutes(n int) time.Duration { return time.Duration(n) * time.Minute }

// retry makes the lead due again at at, or fails it when its attempts
// are used up.
func retry(l *callfloor.Lead, c *callfloor.Campaign, at time.Time) {
	if l.Attempts >= c.MaxAttempts {
		l.LastResult += " (attempts used up)"
		closeLead(l, callfloor.LeadFailed)
		return
	}
	l.Status, l.NextAt, l.CallbackExtID = callfloor.LeadRetry, &at, nil
}

// failNumber marks dialled failed and moves on to the lead's next number
// at once (for the same agent, ext, when there is one: a preview dials it
// next); with none left the lead fails.
func failNumber(l *callfloor.Lead, dialled string, now time.Time, ext int64) {
	for i := range l.Numbers {
		if l.Numbers[i].Number == dialled {
			l.Numbers[i].Failed = true
		}
	}
	if l.NextNumber() < 0 {
		closeLead(l, callfloor.LeadFailed)
		return
	}
	if ext != 0 {
		e, t := ext, now
		l.Status, l.NextAt, l.CallbackExtID = callfloor.LeadCallback, &t, &e
		return
	}
	t := now
	l.Status, l.NextAt, l.CallbackExtID = callfloor.LeadRetry, &t, nil
}

func closeLead(l *callfloor.Lead, s callfloor.LeadStatus) {
	l.Status, l.NextAt, l.CallbackExtID = s, nil, nil
}

// reopen puts a reserved lead back as it was, due at at: new if never
// dialled, else a retry.
func reopen(l *callfloor.Lead, at time.Time) {
	t := at
	l.Status, l.NextAt = callfloor.LeadRetry, &t
	if l.Attempts == 0 {
		l.Status = callfloor.LeadNew
	}
}
