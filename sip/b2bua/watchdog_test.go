package b2bua

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/callfloor/callfloor/media/relay"
	"github.com/callfloor/callfloor/media/rtp"
)

// TestSilentPartyEndsTheCall: two phones talk; one goes silent as a
// phone whose process died (no BYE, no RTP): once the media timeout has
// passed the call ends with media_timeout, and the phone still there
// gets a BYE.
func TestSilentPartyEndsTheCall(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MediaTimeout = 500 * time.Millisecond })
	a, b := h.phone(h.addExt(1, 10, "100"), false), h.phone(h.addExt(1, 20, "200"), false)
	b.register()
	stopA := a.speak()
	b.speak()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.answered(ctx, t, "200", nil)
	// Talking for longer than the timeout ends nothing.
	a.hears("200")
	b.hears("100")
	a.hears("200")
	if got := h.eventKinds(); len(got) != 2 || got[1] != "answered" {
		t.Fatalf("events while both talk: %q", got)
	}
	stopA()
	if e := h.waitEvent(Ended); e.Reason != ReasonMediaTimeout {
		t.Fatalf("ended %+v, want reason %s", e, ReasonMediaTimeout)
	}
	waitSignal(t, b.byes, "BYE to the phone still on the call")
	h.waitEvents("ringing", "answered", "ended:"+ReasonMediaTimeout)
}

// TestSilentQueueCallerLeaves: a caller waiting in a queue who sends
// nothing is gone: the call ends with media_timeout, so the ACD counts
// it abandoned and offers it to nobody.
func TestSilentQueueCallerLeaves(t *testing.T) {
	r := &router{waiting: make(chan Waiting, 10)}
	h := newHarness(t, func(c *Config) { c.Queues, c.MediaTimeout = r, 400*time.Millisecond })
	caller := h.phone(h.addExt(1, 10, "100"), false)
	caller.register()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	caller.answered(ctx, t, "600", nil)
	w := <-r.waiting
	h.waitEvents("queued", "ended:"+ReasonMediaTimeout)
	if _, err := h.b.waitingCall(w); err == nil {
		t.Error("the silent caller still waits")
	}
}

// waitingCall finds the call of w among the calls waiting in a queue.
func (b *B2BUA) waitingCall(w Waiting) (*call, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting(w.AccountID, w.CallID)
}

// TestWatchdogRules steps the watchdog's clock by hand over one leg of a
// call: which legs it watches, and when a silent one is reported.
func TestWatchdogRules(t *testing.T) {
	const timeout = 10 * time.Second
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	type step struct {
		at     time.Duration
		do     func(l *leg, c *call)
		silent bool
	}
	sendPacket := func(t *testing.T) func(l *leg, c *call) {
		return func(l *leg, _ *call) {
			before := l.media.Heard()
			conn, err := net.Dial("udp", l.media.LocalAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			pkt := append(rtp.Header{PayloadType: 0, Seq: 1, SSRC: 7}.Append(nil), make([]byte, 160)...)
			for deadline := time.Now().Add(3 * time.Second); l.media.Heard() == before; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the leg heard nothing")
				}
				if _, err := conn.Write(pkt); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	hold := func(on bool) func(l *leg, c *call) { return func(_ *leg, c *call) { c.held[0] = on } }
	tests := []struct {
		name  string
		setup func(l *leg)
		steps func(t *testing.T) []step
	}{
		{"silent for the timeout", nil, func(*testing.T) []step {
			return []step{{at: 0}, {at: timeout - time.Millisecond}, {at: timeout, silent: true}}
		}},
		{"a packet starts the count again", nil, func(t *testing.T) []step {
			return []step{{at: 0}, {at: 5 * time.Second, do: sendPacket(t)}, {at: timeout}, {at: 15 * time.Second, silent: true}}
		}},
		{"held by its side", nil, func(*testing.T) []step {
			return []step{{at: 0, do: hold(true)}, {at: timeout}, {at: time.Hour}}
		}},
		{"taken off hold: counted from then", nil, func(*testing.T) []step {
			return []step{{at: 0, do: hold(true)}, {at: time.Hour, do: hold(false)},
				{at: time.Hour + timeout - time.Millisecond}, {at: time.Hour + timeout, silent: true}}
		}},
		{"SDP says it sends nothing", func(l *leg) { l.quiet = true }, func(*testing.T) []step {
			return []step{{at: 0}, {at: time.Hour}}
		}},
		{"not answered yet", func(l *leg) { l.up = false }, func(*testing.T) []step {
			return []step{{at: 0}, {at: time.Hour}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &B2BUA{cfg: Config{MediaTimeout: timeout}, legs: map[string]*leg{}, calls: map[string]*call{}}
			media, err := relay.Listen(relay.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer media.Close()
			l := &leg{b: b, id: "leg-1", media: media, up: true}
			c := &call{b: b, id: "call-1"}
			c.join(0, l)
			b.legs[l.id], b.calls[c.id] = l, c
			if tc.setup != nil {
				tc.setup(l)
			}
			seen := map[*leg]lastHeard{}
			for _, s := range tc.steps(t) {
				if s.do != nil {
					s.do(l, c)
				}
				got := b.silentLegs(t0.Add(s.at), seen)
				if (len(got) == 1) != s.silent {
					t.Fatalf("at %v: silent legs %d, want silent %v", s.at, len(got), s.silent)
				}
			}
		})
	}
}
