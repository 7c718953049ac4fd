package registrar

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

// sippPath finds sipp: missing, the test fails under CI and is skipped
// elsewhere.
func sippPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		msg := "sipp is not installed (Debian package sip-tester); run scripts/setup"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// runSipp runs scenario once against the registrar as user with
// password and returns its error (nil when sipp exits 0).
func (h *harness) runSipp(t *testing.T, scenario, user, password string) error {
	t.Helper()
	bin := sippPath(t)
	dir := t.TempDir()
	inf := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(inf, []byte("SEQUENTIAL\n"+user+";"+password+";\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A free local port for sipp (it does not take 0).
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"-sf", filepath.Join("testdata", scenario), "-inf", inf, "-au", user, "-ap", password,
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "u1",
		"-m", "1", "-timeout", "10s", "-timeout_error", "-nostdin",
		"127.0.0.1:"+strconv.Itoa(h.addr.Port))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("sipp output:\n%s", out)
	}
	return err
}

func TestSippRegister(t *testing.T) {
	h := newHarness(t)
	h.setSecret(callfloor.NewSIPSecret()) // sipp's command line takes no spaces
	if err := h.runSipp(t, "register_auth.xml", h.ext.SIPUsername, h.secret); err != nil {
		t.Fatalf("sipp: %v", err)
	}
	bs := h.reg.Contacts(1, 10)
	if len(bs) != 1 || bs[0].UserAgent != "sipp" || !bs[0].Expires.Equal(t0.Add(300*time.Second)) {
		t.Fatalf("bindings after sipp %+v", bs)
	}
}

func TestSippWrongPassword(t *testing.T) {
	h := newHarness(t)
	if err := h.runSipp(t, "register_bad_password.xml", h.ext.SIPUsername, "not-the-secret"); err != nil {
		t.Fatalf("sipp: %v", err)
	}
	if h.reg.Registered(1, 10) {
		t.Fatal("registered with a wrong password")
	}
	// And the good-password scenario fails against the wrong password.
	if err := h.runSipp(t, "register_auth.xml", h.ext.SIPUsername, "not-the-secret"); err == nil {
		t.Fatal("sipp succeeded with a wrong password")
	}
}
