package registrar

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/sipptest"
)

// TestSippKeepalive: sipp registers over UDP and answers the registrar's
// OPTIONS (an out-of-call scenario); killed, it stops answering and its
// binding goes after three keepalives, taking the extension offline.
func TestSippKeepalive(t *testing.T) {
	bin := sipptest.Path(t)
	k := newKAHarness(t)
	k.setSecret(callfloor.NewSIPSecret()) // sipp's command line takes no spaces
	changes, stop := k.reg.Watch()
	defer stop()

	port := sipptest.FreePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"-sf", filepath.Join("testdata", "register_stay.xml"),
		"-oocsf", filepath.Join("testdata", "options_answer.xml"),
		"-inf", sipptest.Users(t, k.ext.SIPUsername, k.secret), "-au", k.ext.SIPUsername, "-ap", k.secret,
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "u1",
		"-m", "1", "-nostdin", "127.0.0.1:"+strconv.Itoa(k.addr.Port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if t.Failed() {
			t.Logf("sipp output:\n%s", out.String())
		}
	}()

	if c := nextChange(t, changes); !c.Registered {
		t.Fatalf("change %+v", c)
	}
	contact := "sip:sipp@127.0.0.1:" + strconv.Itoa(port)
	for i := range 2 {
		if got := k.round(contact); got[contact].Status != 200 {
			t.Fatalf("round %d: %+v", i+1, got)
		}
	}

	cancel() // kills sipp, which is ours
	<-exited
	for i := 1; i <= 3; i++ {
		if got := k.round(); got[contact].Missed != i || got[contact].Removed != (i == 3) {
			t.Fatalf("round %d after sipp died: %+v", i, got)
		}
	}
	if c := nextChange(t, changes); c != (Change{AccountID: 1, ExtensionID: 10}) {
		t.Fatalf("change %+v", c)
	}
	if k.reg.Registered(1, 10) {
		t.Fatal("still registered")
	}
}
