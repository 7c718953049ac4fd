package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/webhook"
	"github.com/callfloor/callfloor/webhook/delivery"
)

// hookReceiver records what a loopback endpoint receives.
type hookReceiver struct {
	mu   sync.Mutex
	got  []http.Header
	body []string
}

func (hr *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	hr.mu.Lock()
	hr.got = append(hr.got, r.Header.Clone())
	hr.body = append(hr.body, string(b))
	hr.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (hr *hookReceiver) ids() []string {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	var out []string
	for _, h := range hr.got {
		out = append(out, h.Get("webhook-id"))
	}
	return out
}

func TestWebhookEndpoints(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.WebhookAllowPrivate = true })
	a := h.seed("alpha")
	tok := a.adminTok
	w := h.call("POST", "/api/v1/webhook-endpoints", tok, map[string]any{
		"url": "http://127.0.0.1:9/hooks", "description": "CRM", "event_types": []string{"agent.paused", "queue.caller_abandoned"}})
	wantStatus(t, w, http.StatusCreated)
	made := decode[WebhookEndpointSecret](t, w)
	if !strings.HasPrefix(made.Secret, "whsec_") || !made.Enabled || len(made.EventTypes) != 2 || made.Cursor != 0 {
		t.Fatalf("created %+v", made)
	}
	path := idPath("/api/v1/webhook-endpoints/%d", made.ID)
	w = h.call("GET", path, tok, nil)
	wantStatus(t, w, http.StatusOK)
	if strings.Contains(w.Body.String(), "whsec_") || strings.Contains(w.Body.String(), `"secret"`) {
		t.Fatalf("a read shows the secret: %s", w.Body)
	}
	for _, want := range []string{`"backlog":0`, `"backlog_age_seconds":0`, `"last_success_at":null`, `"disabled_reason":""`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("no %s in %s", want, w.Body)
		}
	}
	listed := decode[list[callfloor.WebhookEndpoint]](t, h.call("GET", "/api/v1/webhook-endpoints", tok, nil))
	if len(listed.Items) != 2 {
		t.Fatalf("listed %d endpoints, want the seeded one and this", len(listed.Items))
	}
	types := decode[list[string]](t, h.call("GET", "/api/v1/webhook-endpoints/event-types", tok, nil))
	if len(types.Items) != len(callfloor.WebhookEventTypes) || !strings.Contains(strings.Join(types.Items, ","), "campaign.attempt") {
		t.Fatalf("event types %v", types.Items)
	}

	// Refusals name the field.
	wantError(t, h.call("PATCH", path, tok, `{"event_types":["agent.dancing"]}`), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "event_types[0]")
	wantError(t, h.call("PATCH", path, tok, map[string]any{"extension_id": a.agentExt.ID}), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "extension_id")
	wantError(t, h.call("PATCH", path, tok, `{"cursor":5}`), http.StatusUnprocessableEntity, callfloor.ErrFieldReadOnly, "cursor")
	wantError(t, h.call("PATCH", path, tok, `{"secret":"whsec_x"}`), http.StatusBadRequest, callfloor.ErrUnknownField, "secret")
	wantError(t, h.call("PATCH", path, tok, `{"url":"ftp://x"}`), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "url")
	wantError(t, h.call("POST", path+"/rotate-secret", tok, `{"overlap_hours":500}`), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "overlap_hours")

	// A device-level endpoint for the participant; disabling by hand.
	w = h.call("PATCH", path, tok, map[string]any{"extension_id": a.partExt.ID, "enabled": false})
	wantStatus(t, w, http.StatusOK)
	up := decode[callfloor.WebhookEndpoint](t, w)
	if *up.ExtensionID != a.partExt.ID || up.Enabled || up.DisabledAt == nil || up.DisabledReason != "" {
		t.Fatalf("updated %+v", up)
	}

	// Rotation: a new secret, the old one signing beside it for a day.
	w = h.call("POST", path+"/rotate-secret", tok, nil)
	wantStatus(t, w, http.StatusOK)
	rot := decode[WebhookEndpointSecret](t, w)
	if rot.Secret == made.Secret || !strings.HasPrefix(rot.Secret, "whsec_") || rot.PreviousSecretExpiresAt == nil ||
		!rot.PreviousSecretExpiresAt.Equal(h.clock.Now().Add(24*time.Hour)) {
		t.Fatalf("rotated %+v", rot)
	}
	stored, err := h.store.FindWebhookEndpointByID(a.ctx, made.ID)
	must(t, err)
	if got := stored.SigningSecrets(h.clock.Now()); len(got) != 2 || got[0] != rot.Secret || got[1] != made.Secret {
		t.Fatalf("signing secrets after the rotation: %d", len(got))
	}

	wantStatus(t, h.call("DELETE", path, tok, nil), http.StatusNoContent)
	wantError(t, h.call("GET", path, tok, nil), http.StatusNotFound, callfloor.ErrNotFound, "")

	// The account's limit: the seeded endpoint and 19 more, then none.
	for range callfloor.MaxWebhookEndpoints - 1 {
		wantStatus(t, h.call("POST", "/api/v1/webhook-endpoints", tok, map[string]any{"url": "http://127.0.0.1:9/more"}), http.StatusCreated)
	}
	wantError(t, h.call("POST", "/api/v1/webhook-endpoints", tok, map[string]any{"url": "http://127.0.0.1:9/one-too-many"}),
		http.StatusConflict, callfloor.ErrLimitReached, "")
}

// TestWebhookURLsInsideTheNetwork: by default an endpoint may not point
// inside the network, nor use plain http.
func TestWebhookURLsInsideTheNetwork(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	for _, url := range []string{
		"https://127.0.0.1/hooks", "https://10.0.0.1/hooks", "https://169.254.169.254/latest/meta-data",
		"https://[::1]:8443/x", "https://192.168.1.20/x", "https://localhost/x", "https://api.localhost/x",
		"http://93.184.216.34/hooks", "https://[fd00::1]/x",
	} {
		w := h.call("POST", "/api/v1/webhook-endpoints", a.adminTok, map[string]any{"url": url})
		wantError(t, w, http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "url")
	}
	w := h.call("POST", "/api/v1/webhook-endpoints", a.adminTok, map[string]any{"url": "https://93.184.216.34/hooks"})
	wantStatus(t, w, http.StatusCreated)
	made := decode[WebhookEndpointSecret](t, w)
	wantError(t, h.call("PATCH", idPath("/api/v1/webhook-endpoints/%d", made.ID), a.adminTok, map[string]any{"url": "https://10.0.0.1/x"}),
		http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "url")
}

// TestWebhookTestReplayAndLog: a test message and the floor's events
// reach the endpoint through the delivery service; replays send the same
// ids again; the attempt log pages newest first.
func TestWebhookTestReplayAndLog(t *testing.T) {
	var svc *delivery.Service
	waker := &lateWaker{}
	h := newHarness(t, func(c *Config) { c.WebhookAllowPrivate, c.Webhooks = true, waker })
	svc = delivery.New(delivery.Config{Store: h.store, Clock: h.clock, AllowPrivate: true, Timeout: 2 * time.Second})
	waker.set(svc)
	rc := &hookReceiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	a := h.seed("alpha")
	tok := a.adminTok
	w := h.call("POST", "/api/v1/webhook-endpoints", tok, map[string]any{"url": srv.URL, "event_types": []string{"agent.logged_in", "webhook.test"}})
	wantStatus(t, w, http.StatusCreated)
	ep := decode[WebhookEndpointSecret](t, w)
	path := idPath("/api/v1/webhook-endpoints/%d", ep.ID)
	run := func() {
		t.Helper()
		_, err := svc.RunOnce(context.Background(), a.acc.ID, ep.ID)
		must(t, err)
	}

	w = h.call("POST", path+"/test", tok, nil)
	wantStatus(t, w, http.StatusAccepted)
	testID := decode[WebhookTestQueued](t, w).MessageID
	agentOK(t, h, "POST", "/api/v1/floor/me/login", a.agentTok, nil)
	agentOK(t, h, "POST", "/api/v1/floor/me/logoff", a.agentTok, nil)
	run()
	// The test message (lane 0) and the login (the agent's lane) go in
	// lanes of their own, in either order.
	ids := rc.ids()
	login := slices.IndexFunc(ids, func(id string) bool { return id != testID && strings.HasPrefix(id, "msg_") })
	if len(ids) != 2 || !slices.Contains(ids, testID) || login < 0 {
		t.Fatalf("received %v, want the test %s and the login", ids, testID)
	}
	rc.mu.Lock()
	if err := webhook.Verify(ep.Secret, rc.got[login], []byte(rc.body[login]), h.clock.Now()); err != nil {
		t.Fatalf("the login's signature: %v", err)
	}
	var body callfloor.WebhookBody
	must(t, json.Unmarshal([]byte(rc.body[login]), &body))
	rc.mu.Unlock()
	if body.Type != "agent.logged_in" || body.Version != 1 {
		t.Fatalf("body %+v", body)
	}

	// The log, newest first, a page at a time.
	page := decode[WebhookAttemptPage](t, h.call("GET", path+"/attempts?limit=1", tok, nil))
	if len(page.Items) != 1 || page.Next == nil || page.Items[0].Status != http.StatusNoContent || page.Items[0].Outcome != callfloor.WebhookOutcomeDelivered {
		t.Fatalf("first page %+v", page)
	}
	first := page.Items[0]
	page = decode[WebhookAttemptPage](t, h.call("GET", path+"/attempts?limit=1&before="+*page.Next, tok, nil))
	if len(page.Items) != 1 || page.Next != nil || page.Items[0].ID >= first.ID ||
		!(page.Items[0].MessageID == testID) == !(first.MessageID == testID) { // the two lanes went in parallel
		t.Fatalf("second page %+v after %+v", page.Items, first)
	}
	got := decode[callfloor.WebhookEndpoint](t, h.call("GET", path, tok, nil))
	if got.LastSuccessAt == nil || got.Backlog != 0 {
		t.Fatalf("health %+v", got)
	}

	// Replays: one message by id, then everything since a time.
	w = h.call("POST", path+"/replay", tok, map[string]any{"message_id": ids[login]})
	wantStatus(t, w, http.StatusAccepted)
	if n := decode[WebhookReplay](t, w).Queued; n != 1 {
		t.Fatalf("replayed %d", n)
	}
	run()
	loginID := ids[login]
	if ids := rc.ids(); len(ids) != 3 || ids[2] != loginID {
		t.Fatalf("after a replay: %v", ids)
	}
	w = h.call("POST", path+"/replay", tok, map[string]any{"since": h.clock.Now().Add(-time.Hour)})
	wantStatus(t, w, http.StatusAccepted)
	if n := decode[WebhookReplay](t, w).Queued; n != 1 {
		t.Fatalf("replayed %d since an hour ago, want the login (the logoff is not asked for)", n)
	}
	run()
	if ids := rc.ids(); len(ids) != 4 || ids[3] != loginID {
		t.Fatalf("after a replay since: %v", ids)
	}
	for body, field := range map[string]string{
		`{}`: "message_id", `{"message_id":"msg_1_1","since":"2025-01-01T00:00:00Z"}`: "since",
		`{"message_id":"msg_999_1"}`: "message_id", `{"message_id":"` + ids[1] + `0000"}`: "message_id",
		`{"since":"2999-01-01T00:00:00Z"}`: "since",
	} {
		w := h.call("POST", path+"/replay", tok, body)
		if w.Code != http.StatusUnprocessableEntity || errOf(t, w).Field != field {
			t.Errorf("replay %s: %d %s, want 422 on %s", body, w.Code, w.Body, field)
		}
	}
}

// lateWaker passes wakes to a delivery service made after the server.
type lateWaker struct {
	mu  sync.Mutex
	svc *delivery.Service
}

func (l *lateWaker) set(s *delivery.Service) { l.mu.Lock(); l.svc = s; l.mu.Unlock() }

func (l *lateWaker) Wake(account, endpoint int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.svc != nil {
		l.svc.Wake(account, endpoint)
	}
}
