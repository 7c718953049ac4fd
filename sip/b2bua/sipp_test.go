package b2bua

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestSippCaller has sipp call a registered Go phone through the B2BUA,
// authenticating its INVITE, and hang up.
func TestSippCaller(t *testing.T) {
	bin, err := exec.LookPath("sipp")
	if err != nil {
		msg := "sipp is not installed (Debian package sip-tester); run scripts/setup"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	h := newHarness(t)
	caller := h.addExt(1, 10, "100")
	b := h.phone(h.addExt(1, 20, "200"), false)
	b.register()

	dir := t.TempDir()
	inf := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(inf, []byte("SEQUENTIAL\n"+caller.SIPUsername+";\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ports := make([]int, 2) // sipp's SIP and media ports (it does not take 0)
	for i := range ports {
		l, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.LocalAddr().(*net.UDPAddr).Port
		l.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"-sf", filepath.Join("testdata", "call_auth.xml"), "-inf", inf,
		"-au", caller.SIPUsername, "-ap", caller.SIPSecret, "-s", "200",
		"-i", "127.0.0.1", "-p", strconv.Itoa(ports[0]), "-mp", strconv.Itoa(ports[1]), "-t", "u1",
		"-m", "1", "-timeout", "10s", "-timeout_error", "-nostdin",
		"127.0.0.1:"+strconv.Itoa(h.port))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sipp: %v\n%s", err, out)
	}
	waitSignal(t, b.byes, "BYE to the callee")
	h.waitEvents("ringing", "answered", "ended:"+ReasonCallerHangup)
}
