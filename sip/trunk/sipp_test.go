package trunk

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/sipptest"
)

// sippCarrier runs sipp as the carrier's registrar (testdata/
// carrier_register.xml) with user and password, and returns its address
// and a function that waits for sipp to end and returns its error.
func sippCarrier(t *testing.T, user, password string) (addr string, wait func() error) {
	t.Helper()
	bin := sipptest.Path(t)
	inf := sipptest.Users(t, user, password)
	port := sipptest.FreePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, bin,
		"-sf", filepath.Join("testdata", "carrier_register.xml"), "-inf", inf,
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "u1",
		"-m", "1", "-timeout", "20s", "-timeout_error", "-nostdin")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// Wait until sipp holds its port, so that the first REGISTER is not
	// lost to a closed port.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("sipp did not listen on %s: %s", addr, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return addr, func() error {
		select {
		case err := <-done:
			done <- err
			if err != nil {
				t.Logf("sipp output:\n%s", out.String())
			}
			return err
		case <-time.After(25 * time.Second):
			t.Fatalf("sipp did not end: %s", out.String())
			return nil
		}
	}
}

func sippTrunk(addr, user, password string) *callfloor.Trunk {
	tr := callfloor.NewTrunk("sipp carrier", addr)
	tr.ID, tr.AccountID = 3, 9
	tr.Username, tr.Password, tr.ExpirySeconds = user, password, 300
	return tr
}

// TestSippCarrier: against sipp as the carrier, the client answers the
// challenge, refreshes before the granted 120 seconds run out, and
// withdraws the registration on Close; sipp checks each digest answer.
func TestSippCarrier(t *testing.T) {
	addr, wait := sippCarrier(t, "acct-1001", "s3cret-pass")
	h := newHarness(t)
	h.store.set(sippTrunk(addr, "acct-1001", "s3cret-pass"))
	h.reload()
	st := h.waitFor(3, "registered", registered)
	if !st.Expires.Equal(t0.Add(120*time.Second)) || !st.NextAttempt.Equal(t0.Add(60*time.Second)) {
		t.Fatalf("status %+v", st)
	}
	h.clock.Advance(60 * time.Second)
	st = h.waitFor(3, "refreshed", func(s Status) bool { return s.RegisteredAt.Equal(t0.Add(60 * time.Second)) })
	if st.State != StateRegistered || !st.Expires.Equal(t0.Add(180*time.Second)) {
		t.Fatalf("status after refresh %+v", st)
	}
	if err := h.client.Close(); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatalf("sipp: %v", err)
	}
}

// TestSippCarrierWrongPassword: sipp refuses the digest answer with 403;
// the trunk is failing and sipp's scenario fails.
func TestSippCarrierWrongPassword(t *testing.T) {
	addr, wait := sippCarrier(t, "acct-1001", "s3cret-pass")
	h := newHarness(t)
	h.store.set(sippTrunk(addr, "acct-1001", "not-the-password"))
	h.reload()
	st := h.waitFor(3, "failing", failing)
	if !strings.Contains(st.LastError, "403") || st.Failures != 1 {
		t.Fatalf("status %+v", st)
	}
	if err := wait(); err == nil {
		t.Fatal("sipp accepted a wrong password")
	}
}
