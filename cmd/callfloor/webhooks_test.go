package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/callfloor/callfloor/password"
	"github.com/callfloor/callfloor/webhook"
)

// TestWebhooksFromTheFloor: the real server delivers an agent's login to
// a webhook endpoint an admin made, signed with the secret shown once
// (checked by our verifier and the Standard Webhooks reference library),
// without anyone asking: the floor's journal wakes the worker.
func TestWebhooksFromTheFloor(t *testing.T) {
	var mu sync.Mutex
	var secret string
	got := map[string]string{} // type by webhook-id
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.Verify(secret, r.Header, b, time.Now()); err != nil {
			t.Errorf("signature: %v", err)
		}
		// ...and as an integrator's Go service would, with the
		// specification's reference library.
		if ref, err := standardwebhooks.NewWebhook(secret); err != nil {
			t.Errorf("reference library: %v", err)
		} else if err := ref.Verify(b, r.Header); err != nil {
			t.Errorf("reference library's verification: %v", err)
		}
		got[r.Header.Get("webhook-id")] = string(b)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()

	cfg := DefaultConfig()
	cfg.Data, cfg.HTTP, cfg.SIP, cfg.SIPWS = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Simulate, cfg.WebhookAllowPrivate = true, true
	m := NewMain(cfg, slog.New(slog.DiscardHandler))
	m.Hasher = password.New(password.Fast)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		m.Close()
	}()
	if _, err := SeedDemo(context.Background(), m.Store, m.Hasher, "callfloor", "demo-pass-1"); err != nil {
		t.Fatal(err)
	}
	admin := newClient(t, m.URL())
	admin.do("POST", "/api/v1/auth/login", map[string]string{"account": "demo", "username": "admin", "password": "demo-pass-1"}, nil)
	var made struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	if code := admin.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": recv.URL, "event_types": []string{"agent.logged_in"}}, &made); code != 201 {
		t.Fatalf("create endpoint: %d", code)
	}
	mu.Lock()
	secret = made.Secret
	mu.Unlock()
	agent := newClient(t, m.URL())
	agent.do("POST", "/api/v1/auth/login", map[string]string{"account": "demo", "username": "agent3", "password": "demo-pass-1"}, nil)
	if code := agent.do("POST", "/api/v1/floor/me/login", nil, nil); code != 200 {
		t.Fatalf("agent login: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		var body string
		for _, b := range got {
			body = b
		}
		mu.Unlock()
		if n == 1 && strings.Contains(body, `"type":"agent.logged_in"`) {
			break
		}
		if n > 1 || time.Now().After(deadline) {
			t.Fatalf("the endpoint got %v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
