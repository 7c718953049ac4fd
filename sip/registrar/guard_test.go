package registrar

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// An attacker who knows one extension's password cannot wipe its guesses
// at another by registering the one it knows: four wrong guesses for
// extension 100, one good REGISTER for 101, over and over, get the
// address banned on the fifth guess.
func TestBanNotDodgedBySuccessForAnotherUser(t *testing.T) {
	h := newHarness(t)
	other := h.addExt(1, 11, "101")
	other.SetSIPSecret("callfloor", "known secret")
	guess := h.phone(h.ext.SIPUsername, "wrong password")
	known := h.phone(other.SIPUsername, "known secret")
	var checked, refused int
	for round := 0; round < 6; round++ {
		for i := 0; i < 4; i++ {
			switch code := guess.register(600, "<sip:a@127.0.0.1>").StatusCode; code {
			case sip.StatusUnauthorized:
				checked++
			case sip.StatusForbidden:
				refused++
			default:
				t.Fatalf("guess answered %d", code)
			}
		}
		known.register(600, "<sip:b@127.0.0.1>")
		h.clock.Advance(time.Second) // within the rate limit
	}
	if checked != 5 || refused != 19 {
		t.Fatalf("%d guesses checked, %d refused; want 5 checked, then the ban", checked, refused)
	}
	wantStatus(t, known.register(600, "<sip:b@127.0.0.1>"), sip.StatusForbidden)
}

// A success clears its own username's failures: a phone that mistyped
// its password four times and then got it right leaves nothing against
// its address.
func TestSuccessClearsOwnFailures(t *testing.T) {
	h := newHarness(t)
	for round := 0; round < 3; round++ {
		for i := 0; i < 4; i++ {
			wantStatus(t, h.phone(h.ext.SIPUsername, "typo").register(600, "<sip:a@127.0.0.1>"), sip.StatusUnauthorized)
		}
		wantStatus(t, h.phone(h.ext.SIPUsername, h.secret).register(600, "<sip:a@127.0.0.1>"), sip.StatusOK)
	}
}

// Failures for several usernames add up against their address.
func TestFailuresOfUsernamesAddUp(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 5; i++ {
		wantStatus(t, h.phone(fmt.Sprintf("nobody%d", i), "x").register(600, "<sip:a@127.0.0.1>"), sip.StatusUnauthorized)
	}
	wantStatus(t, h.phone(h.ext.SIPUsername, h.secret).register(600, "<sip:a@127.0.0.1>"), sip.StatusForbidden)
}

// Networks of the allow list are never rate-limited nor banned.
func TestAllowListNeverLimitedNorBanned(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.RequestBurst, c.RequestRate, c.MaxAuthFailures = 2, 1, 2
		c.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/30")}
	})
	for i := 0; i < 10; i++ {
		wantStatus(t, h.rawUDP("127.0.0.1:0", h.options("127.0.0.1:0", i), time.Second), sip.StatusOK)
	}
	for i := 0; i < 6; i++ {
		wantStatus(t, h.phone(h.ext.SIPUsername, "wrong").register(600, "<sip:a@127.0.0.1>"), sip.StatusUnauthorized)
	}
	wantStatus(t, h.phone(h.ext.SIPUsername, h.secret).register(600, "<sip:a@127.0.0.1>"), sip.StatusOK)
	// Outside the list the same limits hold.
	for i := 0; i < 2; i++ {
		wantStatus(t, h.rawUDP("127.0.0.5:0", h.options("127.0.0.5:0", 20+i), time.Second), sip.StatusOK)
	}
	if res := h.rawUDP("127.0.0.5:0", h.options("127.0.0.5:0", 22), 200*time.Millisecond); res != nil {
		t.Fatalf("over the limit answered %v", res)
	}
}

// A trusted source (a trunk's carrier) is never rate-limited nor banned;
// the registrar asks with the source's port.
func TestTrustedSourceNeverLimitedNorBanned(t *testing.T) {
	var trusted atomic.Bool
	trusted.Store(true)
	var asked atomic.Int32
	h := newHarness(t, func(c *Config) {
		c.RequestBurst, c.RequestRate, c.MaxAuthFailures = 5, 1, 2
		c.Trusted = func(ap netip.AddrPort) bool {
			if ap.Port() != 0 {
				asked.Add(1)
			}
			return trusted.Load() && ap.Addr() == netip.MustParseAddr("127.0.0.1")
		}
	})
	for i := 0; i < 10; i++ {
		wantStatus(t, h.rawUDP("127.0.0.1:0", h.options("127.0.0.1:0", i), time.Second), sip.StatusOK)
	}
	for i := 0; i < 6; i++ {
		wantStatus(t, h.phone(h.ext.SIPUsername, "wrong").register(600, "<sip:a@127.0.0.1>"), sip.StatusUnauthorized)
	}
	wantStatus(t, h.phone(h.ext.SIPUsername, h.secret).register(600, "<sip:a@127.0.0.1>"), sip.StatusOK)
	if asked.Load() == 0 {
		t.Fatal("Trusted never asked with a port")
	}
	// Once no longer trusted, the address is limited like any other.
	trusted.Store(false)
	h.clock.Advance(time.Minute) // a full bucket
	for i := 0; i < 2; i++ {
		wantStatus(t, h.phone(h.ext.SIPUsername, "wrong").register(600, "<sip:a@127.0.0.1>"), sip.StatusUnauthorized)
	}
	h.clock.Advance(time.Minute)
	wantStatus(t, h.rawUDP("127.0.0.1:0", h.options("127.0.0.1:0", 30), time.Second), sip.StatusForbidden)
}

// bye is a raw in-dialog BYE from laddr's host with the given To tag.
func (h *harness) bye(laddr, toTag string, n int) string {
	return fmt.Sprintf("BYE sip:100@127.0.0.1:%d SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bK-bye-%d-%d\r\n"+
		"From: <sip:200@127.0.0.1>;tag=caller\r\nTo: <sip:100@127.0.0.1>;tag=%s\r\nCall-ID: dialog-%d@test\r\n"+
		"CSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		h.addr.Port, n, time.Now().UnixNano(), toTag, n)
}

// Requests inside an established dialog reach their handler from a
// banned address, and over the rate limit: a banned phone can still hang
// up. A To tag that matches no dialog is refused as before.
func TestInDialogRequestsPassTheGuard(t *testing.T) {
	var byes atomic.Int32
	h := newHarnessWith(t, func(r *Registrar) {
		r.Handle(sip.BYE, func(req *sip.Request, tx sip.ServerTransaction) {
			byes.Add(1)
			tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
		})
		r.TrustDialogs(func(req *sip.Request) bool {
			tag, _ := req.To().Params.Get("tag")
			return tag == "live"
		})
	}, func(c *Config) { c.RequestBurst, c.RequestRate = 20, 1 })
	for i := 0; i < 5; i++ {
		wantStatus(t, h.phone(h.ext.SIPUsername, "wrong").register(600, "<sip:a@127.0.0.1>"), sip.StatusUnauthorized)
	}
	wantStatus(t, h.rawUDP("127.0.0.1:0", h.bye("127.0.0.1:0", "gone", 1), time.Second), sip.StatusForbidden)
	// Past the rate limit too: the bucket held 20.
	for i := 0; i < 30; i++ {
		wantStatus(t, h.rawUDP("127.0.0.1:0", h.bye("127.0.0.1:0", "live", 2+i), time.Second), sip.StatusOK)
	}
	if byes.Load() != 30 {
		t.Fatalf("%d BYEs handled", byes.Load())
	}
}
