package b2bua

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// TestNothingKeptAfterCalls places calls one after the other, half hung
// up by the caller and half by the callee, and checks that once they are
// over the B2BUA keeps nothing of them: no call, no leg, and the
// goroutines and open files (sockets) back to what they were before.
func TestNothingKeptAfterCalls(t *testing.T) {
	h := newHarness(t)
	a, b := h.phone(h.addExt(1, 10, "100"), false), h.phone(h.addExt(1, 20, "200"), false)
	a.register()
	b.register()
	call := func(i int) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d := a.answered(ctx, t, "200", nil)
		if i%2 == 0 {
			if err := d.Bye(ctx); err != nil {
				t.Fatal(err)
			}
			waitSignal(t, b.byes, "BYE to the callee")
		} else {
			if err := b.session().Bye(ctx); err != nil {
				t.Fatal(err)
			}
			waitSignal(t, a.byes, "BYE to the caller")
		}
		<-b.invites
		b.mu.Lock()
		b.sess = nil
		b.mu.Unlock()
	}
	call(0) // warm up: the first call starts what lives for good
	call(1)
	waitKept(t, h, 0, 0, 0)
	goroutines, files := runtime.NumGoroutine(), openFiles(t)
	for i := range 20 {
		call(i)
	}
	waitKept(t, h, goroutines, files, 20)
}

// waitKept waits until the B2BUA holds no call and no leg and, when
// n > 0, the goroutines and open files are back to at most their counts
// before the n calls (a few goroutines of the SIP stack's transaction
// timers may still be winding down: they must be gone within a minute).
func waitKept(t *testing.T, h *harness, goroutines, files, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		h.b.mu.Lock()
		calls, legs := len(h.b.calls), len(h.b.legs)
		h.b.mu.Unlock()
		g, f := runtime.NumGoroutine(), openFiles(t)
		if calls == 0 && legs == 0 && (n == 0 || (g <= goroutines && f <= files)) {
			return
		}
		if time.Now().After(deadline) {
			var buf strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
			t.Log(buf.String())
			t.Fatalf("after %d calls: %d calls, %d legs, %d goroutines (%d before), %d open files (%d before)",
				n, calls, legs, g, goroutines, f, files)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd to count open files")
	}
	return len(fds)
}
