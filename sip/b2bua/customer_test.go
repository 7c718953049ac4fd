package b2bua

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/callfloor/callfloor/media/prompt"
	"time"

	"github.com/callfloor/callfloor/sim/carrier"
)

// carrierHarness is a harness whose trunk reaches the simulated carrier
// (a real SIP and RTP peer over loopback), which answers by the last
// digit of the number dialled after a ring of 100 ms.
func carrierHarness(t *testing.T) (*harness, *carrier.Carrier) {
	t.Helper()
	c, err := carrier.New(carrier.Config{Listen: "127.0.0.1:0", Logger: quiet(),
		Outbound: carrier.Outbound{Ring: carrier.Range{Min: 100 * time.Millisecond, Max: 100 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	go c.Serve(context.Background())
	t.Cleanup(func() { c.Close() })
	ft := &fakeTrunks{callerID: "442079460000"}
	ft.set(nil, c.Addr().String())
	h := newHarness(t, func(cfg *Config) { cfg.Trunks = ft })
	h.serving()
	return h, c
}

// serving waits until the harness's SIP socket is served (a phone
// registers through it): before that, a request sent from the socket's
// address would have sipgo bind it a second time.
func (h *harness) serving() {
	h.t.Helper()
	h.phone(h.addExt(1, 99, "999"), false).register()
}

// TestCustomerAnsweredConnectsAgent: a power campaign's call to a person
// returns answered (not a machine); Ring then connects an agent, who
// hears the person's voice; the agent's hang-up ends the call for the
// carrier too.
func TestCustomerAnsweredConnectsAgent(t *testing.T) {
	h, c := carrierHarness(t)
	agent := h.phone(h.addExt(1, 20, "200"), false)
	agent.register()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := h.b.DialCustomer(ctx, Customer{CallID: "pw-1", AccountID: 1, CampaignID: 3, Number: "01632960101", CallerID: "442079460999"})
	if err != nil || got.Machine {
		t.Fatalf("dial: %+v, %v; want a person", got, err)
	}
	if err := h.b.Ring(ctx, 1, "pw-1", agent.ext, RingOptions{AutoAnswer: true}); err != nil {
		t.Fatalf("ring: %v", err)
	}
	inv := <-agent.invites
	if inv.From().Address.User != "901632960101" {
		t.Errorf("the agent sees %q calling, want the customer's number", inv.From().Address.User)
	}
	if r := rmsOf(agent.listen(time.Second)); r < 300 {
		t.Errorf("the agent hears RMS %.0f, want the customer's voice", r)
	}
	h.waitEvents("answered")
	if e := h.eventsCopy()[0]; e.To != 20 || e.Number != "01632960101" {
		t.Errorf("answered %+v", e)
	}
	if err := h.b.Hangup(ctx, 1, 20, "pw-1"); err != nil {
		t.Fatal(err)
	}
	h.waitEvents("answered", "ended:"+ReasonHangup)
	eventually(t, "the carrier's call over", func() bool { return c.Stats().Active == 0 })
}

// TestCustomerFailures: busy, unreachable, no answer in the ring time and
// an answering machine, each as the carrier signals it.
func TestCustomerFailures(t *testing.T) {
	h, c := carrierHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, tc := range []struct {
		number string
		reason string
		status int
	}{
		{"01632960105", ReasonRejected, 486},
		{"01632960107", ReasonRejected, 503},
		{"01632960106", ReasonNoAnswer, 0},
	} {
		_, err := h.b.DialCustomer(ctx, Customer{CallID: "f" + tc.number, AccountID: 1, CampaignID: 3, Number: tc.number,
			RingTimeout: 400 * time.Millisecond})
		var rf *RingFailure
		if !errors.As(err, &rf) || rf.Reason != tc.reason || (tc.status != 0 && rf.Status != tc.status) {
			t.Errorf("%d: %s: %v, want %s %d", i, tc.number, err, tc.reason, tc.status)
		}
	}
	got, err := h.b.DialCustomer(ctx, Customer{CallID: "m", AccountID: 1, CampaignID: 3, Number: "01632960108"})
	if err != nil || !got.Machine {
		t.Fatalf("machine: %+v, %v", got, err)
	}
	if err := h.b.Drop(ctx, 1, "m", ReasonMachine); err != nil {
		t.Fatal(err)
	}
	h.waitEvents("ended:" + ReasonMachine)
	eventually(t, "the carrier's calls over", func() bool { return c.Stats().Active == 0 })
	if _, err := h.b.DialCustomer(ctx, Customer{CallID: "x", AccountID: 1, Number: "01632960101"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.b.DialCustomer(ctx, Customer{CallID: "x", AccountID: 1, Number: "01632960101"}); err == nil {
		t.Error("a second call with the same ID: no error")
	}
}

// TestCustomerAbandoned: no agent takes the answered customer: Abandon
// plays the information message, with the number the call came from to
// call back, digit by digit, then hangs up with reason abandoned. The customer is a test
// phone here, so that what it hears can be checked word by word.
func TestCustomerAbandoned(t *testing.T) {
	ft := &fakeTrunks{callerID: "+20"}
	h := newHarness(t, func(cfg *Config) { cfg.Trunks = ft })
	customer := h.phone(h.addExt(1, 30, "300"), false)
	ft.set(nil, customer.addr)
	h.serving()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := h.b.DialCustomer(ctx, Customer{CallID: "ab", AccountID: 1, CampaignID: 3, Number: "01632960101"}); err != nil {
		t.Fatal(err)
	}
	if r := rmsOf(customer.listen(300 * time.Millisecond)); r > 10 {
		t.Errorf("the waiting customer hears RMS %.0f, want silence", r)
	}
	if err := h.b.Abandon(1, "ab"); err != nil {
		t.Fatal(err)
	}
	_, d := prompt.NoAgent("20")
	pcm := customer.listen(d + time.Second)
	for _, w := range []string{"sorry-no-agent", "to-call-us-back", "two", "zero", "goodbye"} {
		if !heard(t, pcm, w) {
			t.Errorf("the customer did not hear %q", w)
		}
	}
	waitSignal(t, customer.byes, "BYE to the customer")
	h.waitEvents("ended:" + ReasonAbandoned)
	if err := h.b.Abandon(1, "ab"); err == nil {
		t.Error("abandoning an ended call: no error")
	}
}

// rmsOf is the root mean square level of pcm.
func rmsOf(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

// eventually waits up to 5 s for ok.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not in time", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
