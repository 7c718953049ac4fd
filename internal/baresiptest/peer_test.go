package baresiptest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor/internal/baresiptest"
)

// The kit's own tests: baresips calling each other straight, without the
// PBX.

// peer starts a baresip that does not register: it is called at its own
// address.
func peer(t *testing.T, user string, tone float64, auto bool) *baresiptest.Phone {
	t.Helper()
	return baresiptest.New(t, baresiptest.Options{User: user, Tone: tone, AutoAnswer: auto, Logger: logger(t)})
}

func uriOf(p *baresiptest.Phone, user string) string { return "sip:" + user + "@" + p.SIPAddr() }

// waitDirections waits until each phone's audio has its direction, after
// the re-INVITE a Hold or Resume sent.
func waitDirections(ctx context.Context, t *testing.T, holder, held *baresiptest.Phone, want, wantHeld string) {
	t.Helper()
	if _, err := holder.WaitEvent(ctx, func(e baresiptest.Event) bool {
		return e.Type == baresiptest.CallRemoteSDP && e.Param == "answer"
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    *baresiptest.Phone
		want string
	}{{holder, want}, {held, wantHeld}} {
		if got, err := c.p.Direction(ctx); err != nil || got != c.want {
			t.Errorf("audio direction %q, %v; want %s", got, err, c.want)
		}
	}
}

// TestPeerAcceptHold: the callee rings until Accept; hold and resume
// re-INVITE with the directions of RFC 3264.
func TestPeerAcceptHold(t *testing.T) {
	a, b := peer(t, "alice", 440, false), peer(t, "bob", 1000, false)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	if err := a.Dial(ctx, uriOf(b, "bob")); err != nil {
		t.Fatal(err)
	}
	in, err := b.WaitFor(ctx, baresiptest.CallIncoming)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(in.Peer, "sip:alice@") {
		t.Errorf("incoming call from %s, want alice", in.Peer)
	}
	if _, err := a.WaitFor(ctx, baresiptest.CallRinging); err != nil {
		t.Fatal(err)
	}
	if err := b.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	established(ctx, t, a, b)
	hears(ctx, t, "alice", a, b)
	hears(ctx, t, "bob", b, a)

	a.SkipEvents() // the SDP answer of the INVITE
	if err := a.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	waitDirections(ctx, t, a, b, "sendonly", "recvonly")
	if err := a.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	waitDirections(ctx, t, a, b, "sendrecv", "sendrecv")

	if err := b.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	closed(ctx, t, a, b)
}

// TestPeerBlindTransfer: bob, called by alice, transfers her to carol
// with a REFER; alice calls carol, who hears her, and bob's call ends.
func TestPeerBlindTransfer(t *testing.T) {
	a, b, c := peer(t, "alice", 440, true), peer(t, "bob", 1000, true), peer(t, "carol", 1500, true)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	if err := a.Dial(ctx, uriOf(b, "bob")); err != nil {
		t.Fatal(err)
	}
	established(ctx, t, a, b)
	if err := b.Transfer(ctx, uriOf(c, "carol")); err != nil {
		t.Fatal(err)
	}
	e, err := a.WaitFor(ctx, baresiptest.CallTransfer)
	if err != nil {
		t.Fatal(err)
	}
	if e.Param != uriOf(c, "carol") {
		t.Errorf("alice is referred to %s, want carol", e.Param)
	}
	if e, err = a.WaitFor(ctx, baresiptest.CallEstablished); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.Peer, "sip:carol@") {
		t.Errorf("alice's new call is with %s, want carol", e.Peer)
	}
	established(ctx, t, c)
	closed(ctx, t, b)
	got, err := c.WaitTone(ctx, a.Tone(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Dominant(a.Tone(), b.Tone(), c.Tone()); d != a.Tone() {
		t.Errorf("carol hears mostly %v Hz, want alice's %v Hz", d, a.Tone())
	}
}
