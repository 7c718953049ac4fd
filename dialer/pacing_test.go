package dialer

import (
	"fmt"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sip/b2bua"
)

// TestPacing: the ratio is the margin over the share of recent calls a
// person answered, capped by MaxRatio, and 1 until there are enough
// calls to tell; an abandoned call narrows the margin, connected calls
// under half the target widen it; near the target the ratio is 1; calls
// older than 24 hours no longer count.
func TestPacing(t *testing.T) {
	c := callfloor.NewCampaign("p", callfloor.CampaignPower)
	c.MaxRatio, c.AbandonTarget = 2, 3
	t0 := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	p := newPower()
	near := func(what string, got, want float64) {
		t.Helper()
		if got < want-0.001 || got > want+0.001 {
			t.Fatalf("%s: %.4f, want %.4f", what, got, want)
		}
	}
	for i := range minSample - 1 {
		p.called(i%2 == 0)
	}
	p.pace(t0, c)
	near("too few calls to tell", p.ratio, 1)
	for i := range recentCalls {
		p.called(i%2 == 0) // one in two answered by a person
	}
	p.pace(t0, c)
	near("one in two answer", p.ratio, marginStart/0.5)
	// The calls still ringing count as persons: 100 ringing beside the
	// 200 ended, one in two by a person, make it two in three.
	for i := range 100 {
		p.dialling[fmt.Sprint(i)] = &powerCall{}
	}
	p.pace(t0, c)
	near("with calls ringing", p.ratio, marginStart/(200.0/300))
	clear(p.dialling)
	c.MaxRatio = 1.5
	p.pace(t0, c)
	near("capped", p.ratio, 1.5)
	c.MaxRatio = 2
	for i := range recentCalls {
		p.called(i%4 == 0) // one in four: 3.4 calls a person, over MaxRatio
	}
	p.pace(t0, c)
	near("one in four answer, at most MaxRatio", p.ratio, 2)

	for i := range recentCalls {
		p.called(i%2 == 0)
	}
	for i := range 10 {
		p.settle(t0.Add(time.Duration(i)*time.Second), false, c)
	}
	near("margin after 10 connected", p.margin, marginStart+10*marginStep)
	for i := range 40 {
		p.settle(t0.Add(time.Minute+time.Duration(i)*time.Second), false, c)
	}
	// One abandoned call in 51: 1.96%, under the target, over half of it.
	p.settle(t0.Add(3*time.Minute), true, c)
	m := min(1, marginStart+50*marginStep) * (1 - marginCut)
	near("margin after an abandoned call", p.margin, m)
	p.settle(t0.Add(4*time.Minute), false, c)
	near("a connected call over half the target leaves the margin", p.margin, m)
	p.pace(t0.Add(4*time.Minute), c)
	near("ratio", p.ratio, m/0.5)
	// A second: 2/53 = 3.8%, over 80% of the target: held at 1.
	p.settle(t0.Add(5*time.Minute), true, c)
	p.pace(t0.Add(6*time.Minute), c)
	near("near the target", p.ratio, 1)
	if r, n := p.rate(t0.Add(6 * time.Minute)); n != 53 || r < 0.037 || r > 0.038 {
		t.Errorf("rate %.4f over %d calls", r, n)
	}
	// A day later the first calls fall out of the window.
	if r, n := p.rate(t0.Add(24*time.Hour + 150*time.Second)); n != 3 || r < 0.66 || r > 0.67 {
		t.Errorf("a day later: rate %.3f over %d calls, want 2 of 3", r, n)
	}
	for range 30 {
		p.settle(t0.Add(25*time.Hour), true, c)
	}
	near("the margin's floor", p.margin, marginMin)
}

// TestFailureResult: the carrier's answers read as lead results.
func TestFailureResult(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Result
	}{
		{&b2bua.RingFailure{Reason: "rejected", Status: 486}, ResultBusy},
		{&b2bua.RingFailure{Reason: "rejected", Status: 600}, ResultBusy},
		{&b2bua.RingFailure{Reason: "rejected", Status: 480}, ResultNoAnswer},
		{&b2bua.RingFailure{Reason: "rejected", Status: 503}, ResultUnreachable},
		{&b2bua.RingFailure{Reason: "rejected", Status: 404}, ResultUnreachable},
		{&b2bua.RingFailure{Reason: "no_answer", Status: 0}, ResultNoAnswer},
		{&b2bua.RingFailure{Reason: "canceled", Status: 0}, ResultLost},
		{&b2bua.RingFailure{Reason: "unavailable", Status: 0}, ResultUnreachable},
		{callfloor.Errorf(callfloor.ErrNotFound, "no trunk"), ResultUnreachable},
	} {
		if got := failureResult(tc.err); got != string(tc.want) {
			t.Errorf("%v: %s, want %s", tc.err, got, tc.want)
		}
	}
}
