package b2bua

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// A caller whose address gets banned while its call is up (here by
// wrong passwords from another phone at the same address) still hangs
// up: its BYE is inside the call's dialog, which the guard lets through.
func TestBannedAddressHangsUp(t *testing.T) {
	h := newHarness(t)
	a := h.phone(h.addExt(1, 10, "100"), false)
	b := h.phone(h.addExt(1, 20, "200"), false)
	a.register()
	b.register()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := a.answered(ctx, t, "200", nil)
	<-b.invites
	h.waitEvents("ringing", "answered")

	// Five wrong passwords from 127.0.0.1 ban it.
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	register := func() *sip.Response {
		t.Helper()
		req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: h.port})
		aor := sip.Uri{Scheme: "sip", User: a.ext.SIPUsername, Host: "127.0.0.1"}
		req.AppendHeader(&sip.ToHeader{Address: aor})
		req.AppendHeader(sip.NewHeader("Contact", "<sip:x@127.0.0.1:5999>"))
		res, err := cli.Do(ctx, req)
		if err == nil && res.StatusCode == sip.StatusUnauthorized {
			res, err = cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: a.ext.SIPUsername, Password: "wrong"})
		}
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for range 5 {
		register()
	}
	if res := register(); res.StatusCode != sip.StatusForbidden {
		t.Fatalf("not banned: %v", res)
	}

	if err := d.Bye(ctx); err != nil {
		t.Fatalf("BYE from the banned address: %v", err)
	}
	waitSignal(t, b.byes, "BYE to the callee")
	h.waitEvents("ringing", "answered", "ended:"+ReasonCallerHangup)
	if h.b.Calls() != 0 {
		t.Fatalf("%d calls after BYE", h.b.Calls())
	}
}
