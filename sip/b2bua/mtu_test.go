package b2bua

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestLargeInviteGoesOverTCP: a phone whose registered Contact makes the
// B2BUA's INVITE over 1,300 bytes gets it over TCP when it takes TCP
// (RFC 3261 18.1.1), and over UDP when it does not; either way the call
// is answered and ends with a BYE the phone gets.
func TestLargeInviteGoesOverTCP(t *testing.T) {
	for _, tcp := range []bool{true, false} {
		name := map[bool]string{true: "phone takes TCP", false: "UDP only"}[tcp]
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			a := h.phone(h.addExt(1, 10, "100"), false)
			b := h.phone(h.addExt(1, 20, "200"), false)
			b.contactParams = ";x-device=" + strings.Repeat("d", 900)
			if tcp {
				b.serveTCP()
			}
			a.register()
			b.register()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			d := a.answered(ctx, t, "200", nil)
			inv := <-b.invites
			if size := len(inv.String()); size <= largeUDP {
				t.Fatalf("the INVITE is %d bytes: not a large one", size)
			}
			want := map[bool]string{true: "TCP", false: "UDP"}[tcp]
			if got := strings.ToUpper(inv.Transport()); got != want {
				t.Errorf("the INVITE came over %s, want %s", got, want)
			}
			if err := d.Bye(ctx); err != nil {
				t.Fatal(err)
			}
			waitSignal(t, b.byes, "BYE to the callee")
			h.waitEvents("ringing", "answered", "ended:"+ReasonCallerHangup)
		})
	}
}
