package baresiptest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/baresiptest"
	"github.com/callfloor/callfloor/sip/b2bua"
)

// The two tones of the calls: A's and B's.
const toneA, toneB = 440, 1000

// phone starts a baresip registered with the PBX as ext.
func (x *pbx) phone(t *testing.T, ext *callfloor.Extension, tone float64, auto bool) *baresiptest.Phone {
	t.Helper()
	return baresiptest.New(t, baresiptest.Options{
		User: ext.SIPUsername, Password: ext.SIPSecret, Registrar: x.addr,
		AutoAnswer: auto, Tone: tone, Logger: logger(t),
	})
}

// TestRegister has baresip register as an extension, answering the
// registrar's MD5 digest challenge (baresip 1.0 gives up on a challenge
// list that offers SHA-256 too: the PBX offers MD5 alone, as callfloor
// does by default), and finds its binding.
func TestRegister(t *testing.T) {
	x := newPBX(t)
	ext := x.addExt(10, "201")
	p := baresiptest.New(t, baresiptest.Options{ // returns once registered
		User: ext.SIPUsername, Password: ext.SIPSecret, Registrar: x.addr, Logger: logger(t),
	})

	bs := x.reg.Contacts(ext.AccountID, ext.ID)
	if len(bs) != 1 {
		t.Fatalf("bindings %+v, want 1", bs)
	}
	if bs[0].Source != p.SIPAddr() || !strings.Contains(bs[0].Contact, "@"+p.SIPAddr()) {
		t.Errorf("binding from %s with contact %s, want both baresip's %s", bs[0].Source, bs[0].Contact, p.SIPAddr())
	}
	if !strings.Contains(bs[0].UserAgent, "baresip") {
		t.Errorf("binding's user agent %q, want baresip", bs[0].UserAgent)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if ok, err := p.Registered(ctx); err != nil || !ok {
		t.Errorf("baresip says registered %v, %v", ok, err)
	}
}

// established waits until both phones have the call up.
func established(ctx context.Context, t *testing.T, phones ...*baresiptest.Phone) {
	t.Helper()
	for _, p := range phones {
		if _, err := p.WaitFor(ctx, baresiptest.CallEstablished); err != nil {
			t.Fatal(err)
		}
	}
}

// closed waits until both phones have the call closed.
func closed(ctx context.Context, t *testing.T, phones ...*baresiptest.Phone) {
	t.Helper()
	for _, p := range phones {
		if _, err := p.WaitFor(ctx, baresiptest.CallClosed); err != nil {
			t.Fatal(err)
		}
	}
}

// hears checks that p receives the other side's tone and not its own.
func hears(ctx context.Context, t *testing.T, name string, p, other *baresiptest.Phone) {
	t.Helper()
	got, err := p.WaitTone(ctx, other.Tone(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s hears %v Hz at %.0f, %v Hz (its own) at %.0f", name, other.Tone(), got.Level(other.Tone()), p.Tone(), got.Level(p.Tone()))
	if d := got.Dominant(toneA, toneB); d != other.Tone() {
		t.Errorf("%s hears mostly %v Hz, want the other side's %v Hz", name, d, other.Tone())
	}
	if own, theirs := got.Level(p.Tone()), got.Level(other.Tone()); own > theirs/100 {
		t.Errorf("%s hears its own %v Hz at %.0f, the other side's %v Hz at %.0f", name, p.Tone(), own, other.Tone(), theirs)
	}
}

// TestCall has baresip A (201) call baresip B (202, answering by itself)
// through the B2BUA: both hear each other's tone through the relay, and a
// hangup from either side ends the call on both.
func TestCall(t *testing.T) {
	x := newPBX(t)
	a := x.phone(t, x.addExt(10, "201"), toneA, false)
	b := x.phone(t, x.addExt(20, "202"), toneB, true)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	if err := a.Dial(ctx, "202"); err != nil {
		t.Fatal(err)
	}
	established(ctx, t, a, b)
	x.waitEvent(t, b2bua.Answered)
	hears(ctx, t, "A", a, b)
	hears(ctx, t, "B", b, a)
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	closed(ctx, t, a, b)
	if e := x.waitEvent(t, b2bua.Ended); e.Reason != b2bua.ReasonCallerHangup {
		t.Errorf("B2BUA says the call ended by %s, want %s", e.Reason, b2bua.ReasonCallerHangup)
	}

	// Again, B hangs up.
	if err := a.Dial(ctx, "202"); err != nil {
		t.Fatal(err)
	}
	established(ctx, t, a, b)
	if err := b.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	closed(ctx, t, a, b)
	if e := x.waitEvent(t, b2bua.Ended); e.Reason != b2bua.ReasonCalleeHangup {
		t.Errorf("B2BUA says the call ended by %s, want %s", e.Reason, b2bua.ReasonCalleeHangup)
	}
}

// TestDTMF has A send digits as RFC 4733 telephone-events through the
// B2BUA's relay, and B report each; then the other way.
func TestDTMF(t *testing.T) {
	x := newPBX(t)
	a := x.phone(t, x.addExt(10, "201"), toneA, false)
	b := x.phone(t, x.addExt(20, "202"), toneB, true)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	if err := a.Dial(ctx, "202"); err != nil {
		t.Fatal(err)
	}
	established(ctx, t, a, b)
	for _, c := range []struct {
		from, to *baresiptest.Phone
		digits   string
	}{{a, b, "1234#"}, {b, a, "*09"}} {
		if err := c.from.SendDTMF(ctx, c.digits); err != nil {
			t.Fatal(err)
		}
		got, err := c.to.WaitDigits(ctx, len(c.digits))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.digits {
			t.Errorf("received digits %q, want %q", got, c.digits)
		}
	}
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	closed(ctx, t, a, b)
}

// toneC is the third phone's tone.
const toneC = 1700

// TestHoldAndTransferFromBaresip: B (202) puts the call from A on hold
// with its hold key (a re-INVITE) and takes it back, then transfers A
// to C (203) with a blind REFER: A ends up hearing C.
func TestHoldAndTransferFromBaresip(t *testing.T) {
	x := newPBX(t)
	a := x.phone(t, x.addExt(10, "201"), toneA, false)
	b := x.phone(t, x.addExt(20, "202"), toneB, true)
	c := x.phone(t, x.addExt(30, "203"), toneC, true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.Dial(ctx, "202"); err != nil {
		t.Fatal(err)
	}
	established(ctx, t, a, b)
	x.waitEvent(t, b2bua.Answered)

	if err := b.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	if e := x.waitEvent(t, b2bua.Held); e.Ext != 20 || !e.Held {
		t.Fatalf("after B's hold: %+v", e)
	}
	if err := b.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if e := x.waitEvent(t, b2bua.Held); e.Ext != 20 || e.Held {
		t.Fatalf("after B's resume: %+v", e)
	}

	if err := b.Transfer(ctx, "sip:203@"+x.addr); err != nil {
		t.Fatal(err)
	}
	if e := x.waitEvent(t, b2bua.Left); e.Ext != 20 || e.Reason != b2bua.ReasonTransferred {
		t.Fatalf("after B's REFER: %+v", e)
	}
	if e := x.waitEvent(t, b2bua.Joined); e.Ext != 30 {
		t.Fatalf("the transfer target: %+v", e)
	}
	if _, err := b.WaitFor(ctx, baresiptest.CallClosed); err != nil {
		t.Fatal(err)
	}
	established(ctx, t, c)
	got, err := a.WaitTone(ctx, toneC, time.Second)
	if err != nil {
		t.Fatalf("A does not hear C after the transfer: %v", err)
	}
	if d := got.Dominant(toneA, toneB, toneC); d != toneC {
		t.Errorf("A hears mostly %v Hz, want C's %v Hz", d, float64(toneC))
	}
}
