package b2bua

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callfloor/callfloor/internal/sipptest"
)

// TestSippCaller has sipp call a registered Go phone through the B2BUA,
// authenticating its INVITE, and hang up.
func TestSippCaller(t *testing.T) {
	bin := sipptest.Path(t)
	h := newHarness(t)
	caller := h.addExt(1, 10, "100")
	b := h.phone(h.addExt(1, 20, "200"), false)
	b.register()

	inf := sipptest.Users(t, caller.SIPUsername, "")
	port := sipptest.FreePort(t) // sipp's SIP port
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"-sf", filepath.Join("testdata", "call_auth.xml"), "-inf", inf,
		"-au", caller.SIPUsername, "-ap", caller.SIPSecret, "-s", "200",
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "u1",
		"-m", "1", "-timeout", "10s", "-timeout_error", "-nostdin",
		"127.0.0.1:"+strconv.Itoa(h.port))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sipp: %v\n%s", err, out)
	}
	waitSignal(t, b.byes, "BYE to the callee")
	h.waitEvents("ringing", "answered", "ended:"+ReasonCallerHangup)
}

// TestSippHoldResumeAndReferTransfer has a sipp caller put its call on
// hold and back with re-INVITEs, then transfer it with REFER to a third
// phone: the hold and resume are reported for the caller, and the target
// ends up talking to the callee (music on hold itself is checked by
// TestPhoneHoldsWithReinvite).
func TestSippHoldResumeAndReferTransfer(t *testing.T) {
	bin := sipptest.Path(t)
	h := newHarness(t)
	caller := h.addExt(1, 10, "100")
	b := h.phone(h.addExt(1, 20, "200"), false)
	c := h.phone(h.addExt(1, 30, "300"), false)
	for _, p := range []*phone{b, c} {
		p.register()
		p.speak()
	}
	inf := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(inf, []byte("SEQUENTIAL\n"+caller.SIPUsername+";300;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := sipptest.FreePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"-sf", filepath.Join("testdata", "hold_refer.xml"), "-inf", inf,
		"-au", caller.SIPUsername, "-ap", caller.SIPSecret, "-s", "200",
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "u1",
		"-m", "1", "-timeout", "15s", "-timeout_error", "-nostdin",
		"127.0.0.1:"+strconv.Itoa(h.port))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sipp: %v\n%s", err, out)
	}
	<-c.invites
	b.hears("300")
	c.hears("200")
	h.waitSteps("held:10,resumed:10,left:10,joined:30")
}

// TestSippMalformed: sipp sends an authenticated INVITE whose body is not
// SDP (answered 488, nobody rings) and then an OPTIONS the server still
// answers.
func TestSippMalformed(t *testing.T) {
	bin := sipptest.Path(t)
	h := newHarness(t)
	caller := h.addExt(1, 10, "100")
	b := h.phone(h.addExt(1, 20, "200"), false)
	b.register()
	inf := sipptest.Users(t, caller.SIPUsername, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"-sf", filepath.Join("testdata", "malformed.xml"), "-inf", inf,
		"-au", caller.SIPUsername, "-ap", caller.SIPSecret, "-s", "200",
		"-i", "127.0.0.1", "-p", strconv.Itoa(sipptest.FreePort(t)), "-t", "u1",
		"-m", "1", "-timeout", "10s", "-timeout_error", "-nostdin",
		"127.0.0.1:"+strconv.Itoa(h.port))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sipp: %v\n%s", err, out)
	}
	select {
	case <-b.invites:
		t.Fatal("a malformed INVITE rang the callee")
	default:
	}
	h.waitEvents("ended:" + ReasonNotAcceptable)
}
