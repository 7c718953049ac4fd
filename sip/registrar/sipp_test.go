package registrar

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callfloor/callfloor/internal/sipptest"

	"github.com/callfloor/callfloor"
)

// runSipp runs scenario once against the registrar as user with
// password and returns its error (nil when sipp exits 0).
func (h *harness) runSipp(t *testing.T, scenario, user, password string) error {
	t.Helper()
	bin := sipptest.Path(t)
	inf := sipptest.Users(t, user, password)
	port := sipptest.FreePort(t)

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
