package b2bua

import (
	"context"
	"testing"
	"time"
)

// TestCloseWhileRinging: a B2BUA closed while an extension's phones ring
// CANCELs every ring before it returns (so nothing is left to run against
// a user agent closed after it), and the caller is told 503.
func TestCloseWhileRinging(t *testing.T) {
	h := newHarness(t)
	a := h.phone(h.addExt(1, 10, "100"), false)
	ext := h.addExt(1, 20, "200")
	desk := h.phone(ext, true) // both ring, neither answers
	mobile := h.phone(ext, true)
	a.register()
	desk.registerContact()
	mobile.registerContact()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code := make(chan int, 1)
	go func() {
		_, c, _ := a.call(ctx, "200", nil)
		code <- c
	}()
	<-desk.invites
	<-mobile.invites
	h.waitEvents("ringing")
	if err := h.b.Close(); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, desk.canceled, "CANCEL to the desk phone")
	waitSignal(t, mobile.canceled, "CANCEL to the mobile phone")
	if c := <-code; c != 503 {
		t.Errorf("the caller was answered %d, want 503", c)
	}
	h.waitEvents("ringing", "ended:shutdown")
}
