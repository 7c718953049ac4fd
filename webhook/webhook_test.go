package webhook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestSignStandardVector: the Standard Webhooks specification's published
// example, which every receiver library reproduces.
func TestSignStandardVector(t *testing.T) {
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil || got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("Sign = %q, %v", got, err)
	}
	if _, err := Sign("whsec_!!", "id", time.Now(), nil); err == nil {
		t.Fatal("a secret that is not base64 signed")
	}
}

func TestVerify(t *testing.T) {
	secret := NewSecret()
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	now := time.Unix(1700000000, 0)
	body := []byte(`{"a":1}`)
	sig, _ := Sign(secret, "msg_1", now, body)
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", "1700000000")
	h.Set("webhook-signature", "v1,bm9wZQ== "+sig)
	if err := Verify(secret, h, body, now.Add(time.Minute)); err != nil {
		t.Fatalf("a good message: %v", err)
	}
	for name, tc := range map[string]struct {
		secret string
		body   string
		now    time.Time
	}{
		"another secret":  {NewSecret(), `{"a":1}`, now},
		"a changed body":  {secret, `{"a":2}`, now},
		"too late":        {secret, `{"a":1}`, now.Add(6 * time.Minute)},
		"from the future": {secret, `{"a":1}`, now.Add(-6 * time.Minute)},
	} {
		if err := Verify(tc.secret, h, []byte(tc.body), tc.now); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

func TestInternal(t *testing.T) {
	for addr, internal := range map[string]bool{
		"127.0.0.1": true, "::1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true,
		"169.254.169.254": true, "fe80::1": true, "fd00::1": true, "0.0.0.0": true, "100.64.0.1": true,
		"::ffff:127.0.0.1": true, "224.0.0.1": true,
		"93.184.216.34": false, "2606:2800:220:1::1": false, "8.8.8.8": false,
	} {
		if got := Internal(netip.MustParseAddr(addr)); got != internal {
			t.Errorf("Internal(%s) = %v", addr, got)
		}
	}
}

// TestSendSignsAndRefusesInside: a receiver on loopback gets a message it
// verifies, when the client may reach loopback; without that leave, the
// same URL is refused before any connection; a redirect is not followed.
func TestSendSignsAndRefusesInside(t *testing.T) {
	secret := NewSecret()
	var got error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got = Verify(secret, r.Header, b, time.Now())
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, strings.Repeat("x", 5000))
	}))
	defer srv.Close()
	ctx := context.Background()
	r, err := NewClient(2*time.Second, true).Send(ctx, srv.URL+"/hook", secret, []byte(`{"lead":1}`), time.Now())
	if err != nil || !r.OK || r.Status != http.StatusAccepted || got != nil || len([]rune(r.Excerpt)) != 1001 {
		t.Fatalf("send: %+v, %v; the receiver's check: %v", r, err, got)
	}
	if _, err := NewClient(2*time.Second, false).Send(ctx, srv.URL+"/hook", secret, []byte(`{}`), time.Now()); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("loopback without leave: %v", err)
	}
	r, err = NewClient(2*time.Second, true).Send(ctx, srv.URL+"/moved", secret, []byte(`{}`), time.Now())
	if err != nil || r.Status != http.StatusFound || r.OK {
		t.Fatalf("a redirect: %+v, %v", r, err)
	}
}

// TestDeliverSignsWithEverySecret: during a rotation both secrets sign,
// and a receiver that knows either verifies the message; the id is the
// one given.
func TestDeliverSignsWithEverySecret(t *testing.T) {
	oldSecret, newSecret := NewSecret(), NewSecret()
	var hdr http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr, body = r.Header.Clone(), must(io.ReadAll(r.Body))
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	now := time.Now()
	r, err := NewClient(2*time.Second, true).Deliver(context.Background(), srv.URL, []string{newSecret, oldSecret},
		Message{ID: "msg_7_42", Timestamp: now, Body: []byte(`{"a":1}`)})
	if err != nil || r.Status != http.StatusTooManyRequests || r.OK || r.RetryAfter != 2*time.Minute || r.ID != "msg_7_42" {
		t.Fatalf("deliver: %+v, %v", r, err)
	}
	if hdr.Get("webhook-id") != "msg_7_42" || len(strings.Fields(hdr.Get("webhook-signature"))) != 2 {
		t.Fatalf("headers %v", hdr)
	}
	for _, s := range []string{oldSecret, newSecret} {
		if err := Verify(s, hdr, body, now); err != nil {
			t.Errorf("a receiver with one of the secrets: %v", err)
		}
		// The specification's own Go library agrees.
		ref, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := ref.Verify(body, hdr); err != nil {
			t.Errorf("the reference library, with one of the secrets: %v", err)
		}
	}
	if ref, _ := standardwebhooks.NewWebhook(NewSecret()); ref.Verify(body, hdr) == nil {
		t.Error("the reference library verified with a third secret")
	}
	if err := Verify(NewSecret(), hdr, body, now); err == nil {
		t.Error("a third secret verified")
	}
	if _, err := SignAll(nil, "id", now, nil); err == nil {
		t.Error("signed with no secret")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "30": 30 * time.Second, "0": 0, "-5": 0, "soon": 0,
		"Mon, 02 Mar 2026 09:05:00 GMT": 5 * time.Minute, "Mon, 02 Mar 2026 08:55:00 GMT": 0,
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("Retry-After %q: %v, want %v", v, got, want)
		}
	}
}

// TestReasons: the attempt log says why no answer came, in words.
func TestReasons(t *testing.T) {
	ln := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(300 * time.Millisecond) }))
	slow := ln.URL
	defer ln.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	gone := closed.URL
	closed.Close()
	c := NewClient(100*time.Millisecond, true)
	for url, want := range map[string]string{slow: "timeout: no answer in time", gone: "connection refused"} {
		_, err := c.Send(context.Background(), url, NewSecret(), []byte(`{}`), time.Now())
		if got := Reason(err); got != want {
			t.Errorf("%s: %q (%v), want %q", url, got, err, want)
		}
	}
	_, err := NewClient(time.Second, false).Send(context.Background(), slow, NewSecret(), []byte(`{}`), time.Now())
	if got := Reason(err); got != "refused: the address is inside the network" {
		t.Errorf("a refused address: %q", got)
	}
}
