package dialer

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func testCampaign() *callfloor.Campaign {
	c := callfloor.NewCampaign("Renewals", callfloor.CampaignPreview)
	c.MaxAttempts, c.RetryBusyMinutes, c.RetryNoAnswerMinutes, c.RetryMachineMinutes = 3, 15, 60, 240
	return c
}

func twoNumbers(attempts int) *callfloor.Lead {
	return &callfloor.Lead{Name: "Ada", Status: callfloor.LeadActive, Attempts: attempts,
		Numbers: []callfloor.LeadNumber{{Number: "+442079460601"}, {Number: "+447700900001"}}}
}

// after reads a lead's next step as one line.
func after(l *callfloor.Lead) string {
	s := string(l.Status)
	if l.NextAt != nil {
		s += " at +" + l.NextAt.Sub(now).String()
	}
	if l.CallbackExtID != nil {
		s += fmt.Sprintf(" for %d", *l.CallbackExtID)
	}
	for _, n := range l.Numbers {
		if n.Failed {
			s += " failed:" + n.Number
		}
	}
	if l.AbandonedAt != nil {
		s += " abandoned"
	}
	return s
}

func TestApplyResult(t *testing.T) {
	rows := []struct {
		result   Result
		attempts int
		dialled  string
		want     string
	}{
		{ResultBusy, 1, "+442079460601", "retry at +15m0s"},
		{ResultNoAnswer, 1, "+442079460601", "retry at +1h0m0s"},
		{ResultMachine, 2, "+442079460601", "retry at +4h0m0s"},
		{ResultBusy, 3, "+442079460601", "failed"}, // attempts used up
		{ResultUnreachable, 1, "+442079460601", "retry at +0s failed:+442079460601"},
		{ResultUnreachable, 3, "+442079460601", "retry at +0s failed:+442079460601"}, // a next number is no new attempt
		{ResultDNC, 0, "+447700900001", "retry at +0s failed:+447700900001"},
		{ResultAbandoned, 1, "+442079460601", "retry at +0s abandoned"},
		{ResultSkipped, 0, "+442079460601", "new at +10m0s"},
		{ResultSkipped, 2, "+442079460601", "retry at +10m0s"},
		{ResultLost, 1, "+442079460601", "retry at +5m0s"},
	}
	for _, r := range rows {
		l := twoNumbers(r.attempts)
		ApplyResult(l, testCampaign(), r.dialled, r.result, now)
		if got := after(l); got != r.want || l.LastResult == "" {
			t.Errorf("%s after %d attempts: %q (%q), want %q", r.result, r.attempts, got, l.LastResult, r.want)
		}
	}
	// Every number failed: the lead fails.
	l := twoNumbers(1)
	l.Numbers[1].Failed = true
	ApplyResult(l, testCampaign(), "+442079460601", ResultUnreachable, now)
	if after(l) != "failed failed:+442079460601 failed:+447700900001" {
		t.Errorf("last number unreachable: %q", after(l))
	}
}

func TestApplyOutcome(t *testing.T) {
	out := func(cat callfloor.Category, next callfloor.NextStep, mods ...func(*callfloor.CampaignOutcome)) callfloor.CampaignOutcome {
		o := callfloor.CampaignOutcome{Outcome: callfloor.Outcome{Category: cat, Name: string(next)}, Next: next}
		for _, m := range mods {
			m(&o)
		}
		return o
	}
	later := now.Add(26 * time.Hour)
	past := now.Add(-time.Hour)
	rows := []struct {
		name     string
		o        callfloor.CampaignOutcome
		attempts int
		cb       *time.Time
		want     string
	}{
		{"done", out(callfloor.CategorySuccess, callfloor.NextDone), 1, nil, "done"},
		{"retry", out(callfloor.CategoryUnsure, callfloor.NextRetry, func(o *callfloor.CampaignOutcome) { o.RetryMinutes = 90 }), 1, nil, "retry at +1h30m0s"},
		{"retry, attempts used up", out(callfloor.CategoryUnsure, callfloor.NextRetry, func(o *callfloor.CampaignOutcome) { o.RetryMinutes = 90 }), 3, nil, "failed"},
		{"wrong number: the next, by the same agent, now", out(callfloor.CategoryFail, callfloor.NextFailNumber), 1, nil, "callback at +0s for 7 failed:+442079460601"},
		{"not interested", out(callfloor.CategoryFail, callfloor.NextFailContact), 1, nil, "failed"},
		{"callback for me", out(callfloor.CategoryUnsure, callfloor.NextCallback, func(o *callfloor.CampaignOutcome) { o.CallbackScope = callfloor.CallbackAgent }), 3, &later, "callback at +26h0m0s for 7"},
		{"callback for anyone", out(callfloor.CategoryUnsure, callfloor.NextCallback, func(o *callfloor.CampaignOutcome) { o.CallbackScope = callfloor.CallbackAnyone }), 1, &later, "callback at +26h0m0s"},
		{"callback in the past: now", out(callfloor.CategoryUnsure, callfloor.NextCallback, func(o *callfloor.CampaignOutcome) { o.CallbackScope = callfloor.CallbackAgent }), 1, &past, "callback at +0s for 7"},
	}
	for _, r := range rows {
		l := twoNumbers(r.attempts)
		ApplyOutcome(l, testCampaign(), "+442079460601", r.o, 7, r.cb, now)
		if got := after(l); got != r.want || !strings.HasPrefix(l.LastResult, r.o.Name) {
			t.Errorf("%s: %q (%q), want %q", r.name, got, l.LastResult, r.want)
		}
	}
	l := twoNumbers(1)
	ApplyNoDisposition(l, testCampaign(), now)
	if after(l) != "retry at +1h0m0s" || l.LastResult != callfloor.NoAgentSubmission {
		t.Errorf("no disposition: %q %q", after(l), l.LastResult)
	}
}
