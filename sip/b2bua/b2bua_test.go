package b2bua

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor/sip/sdp"
	"github.com/emiago/sipgo/sip"
)

func TestCallRelaysMediaAndCallerHangsUp(t *testing.T) {
	h := newHarness(t)
	a := h.phone(h.addExt(1, 10, "100"), false)
	b := h.phone(h.addExt(1, 20, "200"), false)
	a.register()
	b.register()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := a.answered(ctx, t, "200", nil)
	inv := <-b.invites
	if inv.From().Address.User != "100" {
		t.Fatalf("callee sees caller %q", inv.From().Address.User)
	}
	// The phones talk to the relay, not to each other.
	if a.remoteAddr() == addrOf(b.local()) || b.remoteAddr() == addrOf(a.local()) {
		t.Fatal("media not anchored on the relay")
	}
	expectRTP(t, a, b)
	expectRTP(t, b, a)
	if h.b.Calls() != 1 {
		t.Fatalf("%d calls", h.b.Calls())
	}

	if err := d.Bye(ctx); err != nil {
		t.Fatalf("BYE: %v", err)
	}
	waitSignal(t, b.byes, "BYE to the callee")
	h.waitEvents("ringing", "answered", "ended:"+ReasonCallerHangup)
	for _, e := range h.eventsCopy() {
		if e.CallID != d.InviteRequest.CallID().Value() || e.AccountID != 1 || e.From != 10 || e.To != 20 ||
			e.Number != "200" || e.At.IsZero() {
			t.Fatalf("event %+v", e)
		}
	}
	if h.b.Calls() != 0 {
		t.Fatalf("%d calls after BYE", h.b.Calls())
	}
}

func TestCalleeHangsUp(t *testing.T) {
	h := newHarness(t)
	a := h.phone(h.addExt(1, 10, "100"), false)
	b := h.phone(h.addExt(1, 20, "200"), false)
	a.register()
	b.register()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.answered(ctx, t, "200", nil)
	h.waitEvents("ringing", "answered")
	<-b.invites
	if err := b.session().Bye(ctx); err != nil {
		t.Fatalf("callee BYE: %v", err)
	}
	waitSignal(t, a.byes, "BYE to the caller")
	h.waitEvents("ringing", "answered", "ended:"+ReasonCalleeHangup)
}

func TestCalleeNotRegistered(t *testing.T) {
	h := newHarness(t)
	a := h.phone(h.addExt(1, 10, "100"), false)
	h.addExt(1, 20, "200")
	a.register()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, status, _ := a.call(ctx, "200", nil)
	if status != sip.StatusTemporarilyUnavailable {
		t.Fatalf("status %d, want 480", status)
	}
	h.waitEvents("ended:" + ReasonUnavailable)
}

func TestUnknownNumber(t *testing.T) {
	h := newHarness(t)
	a := h.phone(h.addExt(1, 10, "100"), false)
	b := h.phone(h.addExt(2, 20, "200"), false) // another account
	a.register()
	b.register()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, n := range []string{"999", "200"} {
		_, status, _ := a.call(ctx, n, nil)
		if status != sip.StatusNotFound {
			t.Fatalf("%s: status %d, want 404", n, status)
		}
	}
	h.waitEvents("ended:"+ReasonNotFound, "ended:"+ReasonNotFound)
}

func TestNoCommonCodec(t *testing.T) {
	h := newHarness(t)
	a := h.phone(h.addExt(1, 10, "100"), false)
	b := h.phone(h.addExt(1, 20, "200"), false)
	a.register()
	b.register()
	offer := sdp.Offer(a.local())
	offer.Media[0].Formats = []sdp.Format{{PT: 9, Name: "G722", Rate: 8000}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, status, _ := a.call(ctx, "200", offer)
	if status != sip.StatusNotAcceptableHere {
		t.Fatalf("status %d, want 488", status)
	}
	select {
	case <-b.invites:
		t.Fatal("callee rang")
	default:
	}
	h.waitEvents("ended:" + ReasonNotAcceptable)
}

func TestCancelBeforeAnswer(t *testing.T) {
	h := newHarness(t)
	a := h.phone(h.addExt(1, 10, "100"), false)
	b := h.phone(h.addExt(1, 20, "200"), true)
	a.register()
	b.register()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-b.invites
		// Let the ringing reach the caller, then hang up.
		h.waitEvents("ringing")
		cancel()
	}()
	_, status, _ := a.call(ctx, "200", nil)
	if status != sip.StatusRequestTerminated {
		t.Fatalf("status %d, want 487", status)
	}
	waitSignal(t, b.canceled, "CANCEL at the callee")
	h.waitEvents("ringing", "ended:"+ReasonCanceled)
}

func TestWrongPasswordChallenged(t *testing.T) {
	h := newHarness(t)
	a := h.phone(h.addExt(1, 10, "100"), false)
	b := h.phone(h.addExt(1, 20, "200"), false)
	a.register()
	b.register()
	a.password = "wrong"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, status, _ := a.call(ctx, "200", nil)
	if status != sip.StatusUnauthorized {
		t.Fatalf("status %d, want 401", status)
	}
	select {
	case <-b.invites:
		t.Fatal("callee rang")
	default:
	}
}

func TestCallTranscodes(t *testing.T) {
	h := newHarness(t)
	a := h.phone(h.addExt(1, 10, "100"), false)
	b := h.phone(h.addExt(1, 20, "200"), false)
	b.accept = "PCMU"
	a.register()
	b.register()
	offer := sdp.Offer(a.local())
	offer.Media[0].Formats = []sdp.Format{{PT: 8, Name: "PCMA", Rate: 8000}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := a.answered(ctx, t, "200", offer)
	if a.payloadType() != 8 || b.payloadType() != 0 {
		t.Fatalf("payload types %d and %d", a.payloadType(), b.payloadType())
	}
	expectRTP(t, a, b)
	expectRTP(t, b, a)
	if err := d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, b.byes, "BYE to the callee")
}

func TestPreferCodec(t *testing.T) {
	o := sdp.Offer(sdp.Local{})
	preferCodec(o, 8)
	if f := o.Audio().Formats; len(f) != 3 || f[0].PT != 8 || f[1].PT != 0 || f[2].PT != 101 {
		t.Fatalf("formats %+v", f)
	}
}

func TestCalleeBusy(t *testing.T) {
	h := newHarness(t)
	a := h.phone(h.addExt(1, 10, "100"), false)
	b := h.phone(h.addExt(1, 20, "200"), false)
	b.reject = sip.StatusBusyHere
	a.register()
	b.register()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, status, _ := a.call(ctx, "200", nil)
	if status != sip.StatusBusyHere {
		t.Fatalf("status %d, want 486", status)
	}
	h.waitEvents("ended:" + ReasonRejected)
	if e := h.eventsCopy()[0]; e.Status != sip.StatusBusyHere {
		t.Fatalf("event %+v", e)
	}
}

func TestRingTimeout(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RingTimeout = 300 * time.Millisecond })
	a := h.phone(h.addExt(1, 10, "100"), false)
	b := h.phone(h.addExt(1, 20, "200"), true)
	a.register()
	b.register()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, status, _ := a.call(ctx, "200", nil)
	if status != sip.StatusTemporarilyUnavailable {
		t.Fatalf("status %d, want 480", status)
	}
	waitSignal(t, b.canceled, "CANCEL at the callee")
	h.waitEvents("ringing", "ended:"+ReasonUnavailable)
}

// TestAdmitRefuses: when Admit refuses (a paused agent, say), the caller
// gets the refusal's status and the callee never rings.
func TestAdmitRefuses(t *testing.T) {
	var asked []Admission
	var mu sync.Mutex
	h := newHarness(t, func(c *Config) {
		c.Admit = func(_ context.Context, a Admission) (Admitted, error) {
			mu.Lock()
			asked = append(asked, a)
			mu.Unlock()
			return Admitted{}, &Refusal{Status: sip.StatusForbidden, Text: "Agent Paused"}
		}
	})
	a := h.phone(h.addExt(1, 10, "100"), false)
	b := h.phone(h.addExt(1, 20, "200"), true)
	a.register()
	b.register()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, status, _ := a.call(ctx, "200", nil)
	if status != sip.StatusForbidden {
		t.Fatalf("status %d, want 403", status)
	}
	h.waitEvents("ended:" + ReasonRefused)
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 1 || asked[0].Caller.ID != 10 || asked[0].Callee.ID != 20 || asked[0].Number != "200" || asked[0].CallID == "" {
		t.Fatalf("admissions %+v", asked)
	}
}
