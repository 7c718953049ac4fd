package dialer

import (
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sip/b2bua"
)

// TestPacing: the ratio rises a step per connected call while the
// abandoned rate is under half the target, up to MaxRatio; each abandoned
// call cuts it; near the target it is held at 1; calls older than 24
// hours no longer count.
func TestPacing(t *testing.T) {
	c := callfloor.NewCampaign("p", callfloor.CampaignPower)
	c.MaxRatio, c.AbandonTarget = 1.5, 3
	t0 := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	p := &power{ratio: 1, dialling: map[string]*powerCall{}}
	for i := range 10 {
		p.settle(t0.Add(time.Duration(i)*time.Second), false, c)
	}
	if p.ratio < 1.19 || p.ratio > 1.21 {
		t.Fatalf("after 10 connected calls the ratio is %.2f, want 1.2", p.ratio)
	}
	for i := range 40 {
		p.settle(t0.Add(time.Minute+time.Duration(i)*time.Second), false, c)
	}
	p.pace(t0.Add(2*time.Minute), c)
	if p.ratio != 1.5 {
		t.Fatalf("after 50 connected calls the ratio is %.2f, want the campaign's most, 1.5", p.ratio)
	}
	// One abandoned call in 51: 1.96%, under the target but over half of it.
	p.settle(t0.Add(3*time.Minute), true, c)
	if p.ratio != 1.5*ratioCut {
		t.Fatalf("after an abandoned call the ratio is %.3f, want %.3f", p.ratio, 1.5*ratioCut)
	}
	p.settle(t0.Add(4*time.Minute), false, c)
	if p.ratio != 1.5*ratioCut {
		t.Errorf("a connected call over half the target raised the ratio to %.3f", p.ratio)
	}
	// A second: 2/53 = 3.8%, over 80% of the target: held at 1.
	p.settle(t0.Add(5*time.Minute), true, c)
	p.ratio = 1.4
	p.pace(t0.Add(6*time.Minute), c)
	if p.ratio != 1 {
		t.Errorf("near the target the ratio is %.2f, want 1", p.ratio)
	}
	if r, n := p.rate(t0.Add(6 * time.Minute)); n != 53 || r < 0.037 || r > 0.038 {
		t.Errorf("rate %.4f over %d calls", r, n)
	}
	// A day later the first calls fall out of the window.
	if r, n := p.rate(t0.Add(24*time.Hour + 150*time.Second)); n != 3 || r < 0.66 || r > 0.67 {
		t.Errorf("a day later: rate %.3f over %d calls, want 2 of 3", r, n)
	}
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
