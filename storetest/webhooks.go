package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var webhookTests = []test{
	{"Webhooks/EndpointRoundTrip", testWebhookRoundTrip},
	{"Webhooks/EndpointRules", testWebhookRules},
	{"Webhooks/EnableAndDisable", testWebhookEnable},
	{"Webhooks/FillMovesTheCursorOnce", testWebhookFill},
	{"Webhooks/ClaimTakesLaneHeads", testWebhookClaim},
	{"Webhooks/AttemptsAndOutcomes", testWebhookAttempts},
	{"Webhooks/RecordManyAtOnce", testWebhookRecordMany},
	{"Webhooks/ClaimBeyondHeldLanes", testWebhookClaimWindow},
	{"Webhooks/PassInOneTransaction", testWebhookPass},
	{"Webhooks/QueueAndReplay", testWebhookQueue},
	{"Webhooks/JournalSeqBefore", testJournalSeqBefore},
	{"Webhooks/Isolation", testWebhookIsolation},
	{"Webhooks/Prune", testWebhookPrune},
}

const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretB = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
)

func hook(mods ...func(*callfloor.WebhookEndpoint)) *callfloor.WebhookEndpoint {
	w := &callfloor.WebhookEndpoint{URL: "https://hooks.example.com/in", Description: "CRM", Enabled: true, Secret: secretA}
	for _, m := range mods {
		m(w)
	}
	return w
}

func mustHook(t *testing.T, st callfloor.Store, ctx context.Context, mods ...func(*callfloor.WebhookEndpoint)) *callfloor.WebhookEndpoint {
	t.Helper()
	w := hook(mods...)
	ok(t, st.CreateWebhookEndpoint(ctx, w))
	return w
}

// hookEvents journals n pause events of the account for the extensions
// in turn, after seq from.
func hookEvents(t *testing.T, st callfloor.Store, accountID, from int64, n int, exts ...int64) []callfloor.Event {
	t.Helper()
	var evs []callfloor.Event
	for i := range n {
		seq := from + int64(i) + 1
		evs = append(evs, callfloor.Event{AccountID: accountID, Seq: seq, At: jt0.Add(time.Duration(seq) * time.Minute),
			Type: callfloor.EventPaused, ExtensionID: exts[i%len(exts)], State: callfloor.StatePaused})
	}
	ok(t, st.AppendEvents(context.Background(), accountID, evs))
	return evs
}

// outboxOf makes the outbox messages of events for an endpoint.
func outboxOf(w *callfloor.WebhookEndpoint, evs []callfloor.Event) []*callfloor.WebhookMessage {
	var out []*callfloor.WebhookMessage
	for i := range evs {
		if typ, want := w.Wants(&evs[i]); want {
			out = append(out, &callfloor.WebhookMessage{Seq: evs[i].Seq, Lane: w.Lane(&evs[i]), Type: typ})
		}
	}
	return out
}

func fill(t *testing.T, st callfloor.Store, w *callfloor.WebhookEndpoint, evs []callfloor.Event) {
	t.Helper()
	to := evs[len(evs)-1].Seq
	moved, err := fillOutbox(st, context.Background(), w.AccountID, w.ID, w.Cursor, to, outboxOf(w, evs))
	ok(t, err)
	if !moved {
		t.Fatalf("the cursor did not move from %d", w.Cursor)
	}
	w.Cursor = to
}

func testWebhookRoundTrip(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 1)
	hookEvents(t, st, a.ID, 0, 3, 1)
	part := mustExt(t, st, ctx, "210", queuesOn)
	w := mustHook(t, st, ctx, func(w *callfloor.WebhookEndpoint) {
		w.URL, w.Description = " https://hooks.example.com/in?x=1 ", " CRM "
		w.EventTypes = []callfloor.WebhookEventType{"call.ended", callfloor.WebhookCallerAbandoned}
		w.ExtensionID = &part.ID
	})
	if w.ID == 0 || w.AccountID != a.ID || w.URL != "https://hooks.example.com/in?x=1" || w.Description != "CRM" || w.Cursor != 3 {
		t.Fatalf("created %+v: want an id, trimmed fields and the cursor at the journal's head (3)", w)
	}
	stamped(t, "endpoint", w.CreatedAt, w.UpdatedAt)
	got, err := st.FindWebhookEndpointByID(ctx, w.ID)
	ok(t, err)
	same(t, "found endpoint", got, w)
	if got.Secret != secretA {
		t.Fatalf("the secret reads back as %q", got.Secret)
	}
	list, err := st.ListWebhookEndpoints(ctx)
	ok(t, err)
	same(t, "listed endpoints", list, []*callfloor.WebhookEndpoint{w})

	until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Millisecond)
	up, err := st.UpdateWebhookEndpoint(ctx, w.ID, func(x *callfloor.WebhookEndpoint) error {
		x.URL, x.EventTypes, x.ExtensionID = "https://hooks.example.com/v2", nil, nil
		x.Cursor, x.Backlog = 99, 99 // the workers' own: ignored
		x.Rotate(secretB, until.Add(-24*time.Hour), 24*time.Hour)
		return nil
	})
	ok(t, err)
	if up.Cursor != 3 || up.Backlog != 0 || len(up.EventTypes) != 0 || up.ExtensionID != nil || up.Secret != secretB ||
		up.PreviousSecret != secretA || !up.PreviousSecretExpiresAt.Equal(until) {
		t.Fatalf("updated %+v", up)
	}
	got, err = st.FindWebhookEndpointByID(ctx, w.ID)
	ok(t, err)
	same(t, "stored after update", got, up)

	ok(t, st.DeleteWebhookEndpoint(ctx, w.ID))
	_, err = st.FindWebhookEndpointByID(ctx, w.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteWebhookEndpoint(ctx, w.ID), callfloor.ErrNotFound, "")
}

func testWebhookRules(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 1)
	_, other := agentAccount(t, st, "Other", 1)
	agent := mustExt(t, st, ctx, "201", agentOn)
	plain := mustExt(t, st, ctx, "202")
	part := mustExt(t, st, ctx, "210", queuesOn)
	theirs := mustExt(t, st, other, "210", queuesOn)
	missing := int64(1 << 40)
	cases := []struct {
		name  string
		edit  func(*callfloor.WebhookEndpoint)
		code  string
		field string
	}{
		{"no url", func(w *callfloor.WebhookEndpoint) { w.URL = "" }, callfloor.ErrFieldRequired, "url"},
		{"not http", func(w *callfloor.WebhookEndpoint) { w.URL = "gopher://hooks.example.com" }, callfloor.ErrInvalidField, "url"},
		{"unknown type", func(w *callfloor.WebhookEndpoint) {
			w.EventTypes = []callfloor.WebhookEventType{"agent.sleeping"}
		}, callfloor.ErrInvalidField, "event_types[0]"},
		{"no secret", func(w *callfloor.WebhookEndpoint) { w.Secret = "" }, callfloor.ErrFieldRequired, "secret"},
		{"an agent", func(w *callfloor.WebhookEndpoint) { w.ExtensionID = &agent.ID }, callfloor.ErrInvalidField, "extension_id"},
		{"no queues feature", func(w *callfloor.WebhookEndpoint) { w.ExtensionID = &plain.ID }, callfloor.ErrInvalidField, "extension_id"},
		{"another account's", func(w *callfloor.WebhookEndpoint) { w.ExtensionID = &theirs.ID }, callfloor.ErrInvalidReference, "extension_id"},
		{"no such extension", func(w *callfloor.WebhookEndpoint) { w.ExtensionID = &missing }, callfloor.ErrInvalidReference, "extension_id"},
	}
	for _, tc := range cases {
		wantErr(t, st.CreateWebhookEndpoint(ctx, hook(tc.edit)), tc.code, tc.field)
	}
	list, err := st.ListWebhookEndpoints(ctx)
	ok(t, err)
	if len(list) != 0 {
		t.Fatalf("refused endpoints were stored: %s", show(list))
	}
	w := mustHook(t, st, ctx, func(w *callfloor.WebhookEndpoint) { w.ExtensionID = &part.ID })
	_, err = st.UpdateWebhookEndpoint(ctx, w.ID, func(x *callfloor.WebhookEndpoint) error { x.ExtensionID = &agent.ID; return nil })
	wantErr(t, err, callfloor.ErrInvalidField, "extension_id")
	_, err = st.UpdateWebhookEndpoint(ctx, w.ID, func(*callfloor.WebhookEndpoint) error { return errFn })
	if err != errFn {
		t.Fatalf("fn's error came back as %v", err)
	}
	// The extension of a device-level endpoint is in use.
	wantErr(t, st.DeleteExtension(ctx, part.ID), callfloor.ErrInUse, "")
	ok(t, st.DeleteWebhookEndpoint(ctx, w.ID))
	ok(t, st.DeleteExtension(ctx, part.ID))

	// An account has at most MaxWebhookEndpoints; another account's
	// count is its own.
	for range callfloor.MaxWebhookEndpoints {
		mustHook(t, st, ctx)
	}
	wantErr(t, st.CreateWebhookEndpoint(ctx, hook()), callfloor.ErrLimitReached, "")
	mustHook(t, st, other)
	list, err = st.ListWebhookEndpoints(ctx)
	ok(t, err)
	if len(list) != callfloor.MaxWebhookEndpoints {
		t.Fatalf("%d endpoints after the limit, want %d", len(list), callfloor.MaxWebhookEndpoints)
	}
}

func testWebhookEnable(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 1)
	w := mustHook(t, st, ctx)
	off, err := st.UpdateWebhookEndpoint(ctx, w.ID, func(x *callfloor.WebhookEndpoint) error {
		x.Enabled, x.DisabledReason = false, "made up"
		return nil
	})
	ok(t, err)
	if off.Enabled || off.DisabledAt == nil || off.DisabledReason != "" {
		t.Fatalf("disabled by an admin: %+v, want a time and no reason", off)
	}
	list, err := st.DeliverableWebhookEndpoints(context.Background())
	ok(t, err)
	if len(list) != 0 {
		t.Fatalf("a disabled endpoint is deliverable: %s", show(list))
	}
	// A disabled endpoint's cursor does not move.
	evs := hookEvents(t, st, a.ID, 0, 2, 1)
	moved, err := fillOutbox(st, context.Background(), a.ID, w.ID, 0, 2, outboxOf(w, evs))
	ok(t, err)
	if moved {
		t.Fatal("the cursor of a disabled endpoint moved")
	}
	on, err := st.UpdateWebhookEndpoint(ctx, w.ID, func(x *callfloor.WebhookEndpoint) error { x.Enabled = true; return nil })
	ok(t, err)
	if !on.Enabled || on.DisabledAt != nil || on.DisabledReason != "" || on.Cursor != 0 {
		t.Fatalf("enabled again: %+v", on)
	}
	list, err = st.DeliverableWebhookEndpoints(context.Background())
	ok(t, err)
	if len(list) != 1 || list[0].ID != w.ID || list[0].Secret != secretA {
		t.Fatalf("deliverable: %s", show(list))
	}
}

func testWebhookFill(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 1)
	w := mustHook(t, st, ctx, func(w *callfloor.WebhookEndpoint) {
		w.EventTypes = []callfloor.WebhookEventType{"agent.paused"}
	})
	evs := hookEvents(t, st, a.ID, 0, 5, 1, 2)
	bg := context.Background()
	msgs := outboxOf(w, evs)
	moved, err := fillOutbox(st, bg, a.ID, w.ID, 0, 5, msgs)
	ok(t, err)
	// A second worker that read the same events finds the cursor moved.
	again, err := fillOutbox(st, bg, a.ID, w.ID, 0, 5, msgs)
	ok(t, err)
	if !moved || again {
		t.Fatalf("fills: first %v, second %v; want only the first", moved, again)
	}
	got, err := st.FindWebhookEndpointByID(ctx, w.ID)
	ok(t, err)
	if got.Cursor != 5 || got.Backlog != 5 || got.OldestPendingAt == nil {
		t.Fatalf("after the fill: cursor %d, backlog %d, oldest %v", got.Cursor, got.Backlog, got.OldestPendingAt)
	}
	// Events the endpoint does not want move the cursor alone.
	moved, err = fillOutbox(st, bg, a.ID, w.ID, 5, 9, nil)
	ok(t, err)
	got, err = st.FindWebhookEndpointByID(ctx, w.ID)
	ok(t, err)
	if !moved || got.Cursor != 9 || got.Backlog != 5 {
		t.Fatalf("an empty fill: moved %v, cursor %d, backlog %d", moved, got.Cursor, got.Backlog)
	}
	m, err := st.FindWebhookMessage(ctx, w.ID, 4, 0)
	ok(t, err)
	if m.Seq != 4 || m.Lane != 2 || m.Type != "agent.paused" || m.Status != callfloor.WebhookPending || m.Attempts != 0 ||
		m.MessageID() != callfloor.WebhookMessageID(w.ID, 4, 0) {
		t.Fatalf("message of seq 4: %+v", m)
	}
}

func claimAll(t *testing.T, st callfloor.Store, w *callfloor.WebhookEndpoint, now time.Time, limit int) *callfloor.WebhookClaim {
	t.Helper()
	c, err := claimHeads(st, context.Background(), w.AccountID, w.ID, now, now.Add(time.Minute), limit)
	ok(t, err)
	return c
}

func seqs(msgs []*callfloor.WebhookMessage) []int64 {
	out := []int64{}
	for _, m := range msgs {
		out = append(out, m.Seq)
	}
	return out
}

func testWebhookClaim(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 1)
	w := mustHook(t, st, ctx)
	now := time.Now().Add(time.Second)
	if c := claimAll(t, st, w, now, 10); len(c.Messages) != 0 || c.NextDue != nil {
		t.Fatalf("an empty outbox: %+v", c)
	}
	fill(t, st, w, hookEvents(t, st, a.ID, 0, 6, 1, 2, 3)) // lanes 1, 2, 3, 1, 2, 3
	c := claimAll(t, st, w, now, 2)
	if got := seqs(c.Messages); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("claimed %v, want the heads of two lanes, 1 and 2", got)
	}
	if n, oldest, err := st.WebhookBacklog(context.Background(), w.ID); err != nil || n != 6 || oldest == nil {
		t.Fatalf("backlog %d, oldest %v (%v); want 6", n, oldest, err)
	}
	if c.NextDue == nil || c.NextDue.After(now) {
		t.Fatalf("claim %+v: want lane 3 due already", c)
	}
	c = claimAll(t, st, w, now, 10)
	if got := seqs(c.Messages); len(got) != 1 || got[0] != 3 {
		t.Fatalf("claimed %v, want only lane 3's head: the others are held", got)
	}
	if c.NextDue == nil || !c.NextDue.After(now) {
		t.Fatalf("next due %v: want the end of the first claims", c.NextDue)
	}
	if c := claimAll(t, st, w, now, 10); len(c.Messages) != 0 {
		t.Fatalf("claimed %v again while held", seqs(c.Messages))
	}
	// A worker that died: its claims end, and the same heads come back.
	c = claimAll(t, st, w, now.Add(2*time.Minute), 10)
	if got := seqs(c.Messages); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Fatalf("after the claims ran out: %v, want 1, 2 and 3 again", got)
	}
	// A disabled endpoint gives nothing.
	_, err := st.UpdateWebhookEndpoint(ctx, w.ID, func(x *callfloor.WebhookEndpoint) error { x.Enabled = false; return nil })
	ok(t, err)
	if c := claimAll(t, st, w, now.Add(time.Hour), 10); len(c.Messages) != 0 {
		t.Fatalf("a disabled endpoint's messages were claimed: %v", seqs(c.Messages))
	}
}

func attempt(m *callfloor.WebhookMessage, at time.Time, n int, outcome callfloor.WebhookOutcome, status int, next *time.Time) *callfloor.WebhookAttempt {
	return &callfloor.WebhookAttempt{AccountID: m.AccountID, EndpointID: m.EndpointID, OutboxID: m.ID, MessageID: m.MessageID(),
		Seq: m.Seq, Type: m.Type, At: at, Attempt: n, Status: status, LatencyMS: 12, Response: "ok", Outcome: outcome, NextAttemptAt: next}
}

func testWebhookAttempts(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 1)
	w := mustHook(t, st, ctx)
	bg := context.Background()
	fill(t, st, w, hookEvents(t, st, a.ID, 0, 3, 1)) // one lane: 1, 2, 3
	now := time.Now().Add(time.Second).UTC().Truncate(time.Millisecond)
	c := claimAll(t, st, w, now, 10)
	if len(c.Messages) != 1 {
		t.Fatalf("claimed %v from one lane", seqs(c.Messages))
	}
	m1 := c.Messages[0]
	// A retry keeps the lane waiting for it.
	retryAt := now.Add(5 * time.Second)
	r := attempt(m1, now, 1, callfloor.WebhookOutcomeRetry, 500, &retryAt)
	r.Error, r.Response = "", "boom"
	disabled, err := recordOne(st, r, now.Add(-72*time.Hour))
	ok(t, err)
	if disabled != "" || r.ID == 0 {
		t.Fatalf("a retry: disabled %q, id %d", disabled, r.ID)
	}
	c = claimAll(t, st, w, now.Add(time.Second), 10)
	if len(c.Messages) != 0 || c.NextDue == nil || !c.NextDue.Equal(retryAt) {
		t.Fatalf("before the retry: claimed %v, next %v; want nothing until %v", seqs(c.Messages), c.NextDue, retryAt)
	}
	c = claimAll(t, st, w, retryAt, 10)
	if len(c.Messages) != 1 || c.Messages[0].Seq != 1 || c.Messages[0].Attempts != 1 {
		t.Fatalf("at the retry: %s", show(c.Messages))
	}
	ok2 := attempt(c.Messages[0], retryAt, 2, callfloor.WebhookOutcomeDelivered, 204, nil)
	_, err = recordOne(st, ok2, now.Add(-72*time.Hour))
	ok(t, err)
	c = claimAll(t, st, w, retryAt, 10)
	n, _, err := st.WebhookBacklog(bg, w.ID)
	ok(t, err)
	if got := seqs(c.Messages); len(got) != 1 || got[0] != 2 || n != 2 {
		t.Fatalf("after the delivery: %v, backlog %d; want 2 next and 2 left", got, n)
	}
	got, err := st.FindWebhookEndpointByID(ctx, w.ID)
	ok(t, err)
	if got.LastSuccessAt == nil || !got.LastSuccessAt.Equal(retryAt) || got.LastFailureAt == nil || !got.LastFailureAt.Equal(now) {
		t.Fatalf("health %v %v", got.LastSuccessAt, got.LastFailureAt)
	}
	// A message that fails for good while the endpoint had a success
	// lately leaves it enabled; the lane moves on.
	failed := attempt(c.Messages[0], retryAt, 12, callfloor.WebhookOutcomeFailed, 0, nil)
	failed.Error = "timeout"
	disabled, err = recordOne(st, failed, retryAt.Add(-72*time.Hour))
	ok(t, err)
	if disabled != "" {
		t.Fatalf("disabled though it had a success: %q", disabled)
	}
	c = claimAll(t, st, w, retryAt, 10)
	if got := seqs(c.Messages); len(got) != 1 || got[0] != 3 {
		t.Fatalf("after a failure: %v, want 3", got)
	}
	// With no success since the cut-off, a failure disables it.
	late := retryAt.Add(80 * time.Hour)
	failed = attempt(c.Messages[0], late, 12, callfloor.WebhookOutcomeFailed, 503, nil)
	disabled, err = recordOne(st, failed, late.Add(-72*time.Hour))
	ok(t, err)
	got, err = st.FindWebhookEndpointByID(ctx, w.ID)
	ok(t, err)
	if disabled == "" || got.Enabled || got.DisabledReason != disabled || got.DisabledAt == nil || !got.DisabledAt.Equal(late) {
		t.Fatalf("after three days of failures: %q, endpoint %+v", disabled, got)
	}

	// The log, newest first, in pages.
	page, err := st.ListWebhookAttempts(ctx, w.ID, 0, 2)
	ok(t, err)
	if len(page) != 2 || page[0].ID != failed.ID || page[0].Status != 503 || page[0].Outcome != callfloor.WebhookOutcomeFailed ||
		page[1].Error != "timeout" || page[1].MessageID != callfloor.WebhookMessageID(w.ID, 2, 0) {
		t.Fatalf("first page %s", show(page))
	}
	page, err = st.ListWebhookAttempts(ctx, w.ID, page[1].ID, 10)
	ok(t, err)
	if len(page) != 2 || page[0].ID != ok2.ID || page[1].ID != r.ID || page[1].Response != "boom" || page[1].LatencyMS != 12 ||
		!page[1].NextAttemptAt.Equal(retryAt) || !page[1].At.Equal(now) || page[1].Attempt != 1 || page[1].Type != "agent.paused" {
		t.Fatalf("second page %s", show(page))
	}
}

// fillOutbox runs a pass that only fills the outbox.
func fillOutbox(st callfloor.Store, ctx context.Context, accountID, endpointID, from, to int64, msgs []*callfloor.WebhookMessage) (bool, error) {
	r, err := st.RunWebhookPass(ctx, &callfloor.WebhookPass{AccountID: accountID, EndpointID: endpointID, From: from, To: to, Messages: msgs})
	if err != nil {
		return false, err
	}
	return r.Moved, nil
}

// claimHeads runs a pass that only claims.
func claimHeads(st callfloor.Store, ctx context.Context, accountID, endpointID int64, now, until time.Time, limit int) (*callfloor.WebhookClaim, error) {
	r, err := st.RunWebhookPass(ctx, &callfloor.WebhookPass{AccountID: accountID, EndpointID: endpointID, Now: now, Until: until, Limit: limit})
	if err != nil {
		return nil, err
	}
	return r.Claim, nil
}

// recordAttempts runs a pass that only records attempts.
func recordAttempts(st callfloor.Store, ctx context.Context, accountID, endpointID int64, list []*callfloor.WebhookAttempt, staleBefore time.Time) (string, error) {
	r, err := st.RunWebhookPass(ctx, &callfloor.WebhookPass{AccountID: accountID, EndpointID: endpointID, Attempts: list, StaleBefore: staleBefore})
	if err != nil {
		return "", err
	}
	return r.Disabled, nil
}

// recordOne records one attempt.
func recordOne(st callfloor.Store, a *callfloor.WebhookAttempt, staleBefore time.Time) (string, error) {
	return recordAttempts(st, context.Background(), a.AccountID, a.EndpointID, []*callfloor.WebhookAttempt{a}, staleBefore)
}

// testWebhookRecordMany records a pass's attempts in one call: each is
// logged and applied, and one of a message deleted meanwhile records
// nothing.
func testWebhookRecordMany(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 1)
	w := mustHook(t, st, ctx)
	bg := context.Background()
	fill(t, st, w, hookEvents(t, st, a.ID, 0, 8, 1, 2, 3, 4)) // lanes 1-4 twice
	now := time.Now().Add(time.Second).UTC().Truncate(time.Millisecond)
	c := claimAll(t, st, w, now, 10)
	if got := seqs(c.Messages); len(got) != 4 {
		t.Fatalf("claimed %v, want the heads of four lanes", got)
	}
	retryAt := now.Add(5 * time.Second)
	list := []*callfloor.WebhookAttempt{
		attempt(c.Messages[3], now, 1, callfloor.WebhookOutcomeDelivered, 200, nil),
		attempt(c.Messages[0], now, 1, callfloor.WebhookOutcomeDelivered, 204, nil),
		attempt(c.Messages[1], now.Add(time.Millisecond), 1, callfloor.WebhookOutcomeRetry, 500, &retryAt),
		attempt(c.Messages[2], now, 1, callfloor.WebhookOutcomeDelivered, 200, nil),
	}
	other := mustHook(t, st, ctx)
	stray := attempt(c.Messages[2], now, 1, callfloor.WebhookOutcomeDelivered, 200, nil)
	stray.EndpointID = other.ID
	_, err := recordAttempts(st, bg, a.ID, w.ID, append(list, stray), now.Add(-72*time.Hour))
	if err == nil {
		t.Fatalf("an attempt of another endpoint was recorded with this one's")
	}
	disabled, err := recordAttempts(st, bg, a.ID, w.ID, list, now.Add(-72*time.Hour))
	ok(t, err)
	if disabled != "" {
		t.Fatalf("disabled: %q", disabled)
	}
	for _, at := range list {
		if at.ID == 0 {
			t.Fatalf("attempt of %s has no id", at.MessageID)
		}
	}
	for i, want := range []callfloor.WebhookMessageStatus{callfloor.WebhookDelivered, callfloor.WebhookPending, callfloor.WebhookDelivered, callfloor.WebhookDelivered} {
		m, err := st.FindWebhookMessage(ctx, w.ID, c.Messages[i].Seq, 0)
		ok(t, err)
		if m.Status != want || m.Attempts != 1 {
			t.Fatalf("message %d: %s after %d attempts, want %s after 1", m.Seq, m.Status, m.Attempts, want)
		}
	}
	// The lanes whose head was delivered go on; lane 2 waits for its
	// retry.
	c2 := claimAll(t, st, w, now.Add(time.Second), 10)
	if got := seqs(c2.Messages); len(got) != 3 || got[0] != 5 || got[1] != 7 || got[2] != 8 {
		t.Fatalf("claimed %v, want 5, 7 and 8", got)
	}
	got, err := st.FindWebhookEndpointByID(ctx, w.ID)
	ok(t, err)
	if got.LastSuccessAt == nil || !got.LastSuccessAt.Equal(now) || got.LastFailureAt == nil || !got.LastFailureAt.Equal(now.Add(time.Millisecond)) {
		t.Fatalf("health %v %v", got.LastSuccessAt, got.LastFailureAt)
	}
	page, err := st.ListWebhookAttempts(ctx, w.ID, 0, 10)
	ok(t, err)
	if len(page) != 4 {
		t.Fatalf("log %s, want four attempts", show(page))
	}
	// A message deleted meanwhile (its endpoint removed) records nothing.
	ok(t, st.DeleteWebhookEndpoint(ctx, w.ID))
	late := attempt(c2.Messages[0], now, 1, callfloor.WebhookOutcomeDelivered, 200, nil)
	_, err = recordAttempts(st, bg, a.ID, w.ID, []*callfloor.WebhookAttempt{late}, now.Add(-72*time.Hour))
	ok(t, err)
	if late.ID != 0 {
		t.Fatalf("an attempt of a deleted message was logged as %d", late.ID)
	}
}

// testWebhookClaimWindow holds many lanes behind retries, more pending
// messages than a claim reads at a time, and checks that a lane whose
// messages come after them all is still claimed.
func testWebhookClaimWindow(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 1)
	w := mustHook(t, st, ctx)
	bg := context.Background()
	const held, each = 50, 50 // 2,500 messages in 50 held lanes
	lanes := make([]int64, held)
	for i := range lanes {
		lanes[i] = int64(i + 1)
	}
	evs := hookEvents(t, st, a.ID, 0, held*each, lanes...)
	evs = append(evs, hookEvents(t, st, a.ID, int64(held*each), 1, 999)...)
	fill(t, st, w, evs)
	now := time.Now().Add(time.Second).UTC().Truncate(time.Millisecond)
	c := claimAll(t, st, w, now, held)
	if len(c.Messages) != held {
		t.Fatalf("claimed %d heads, want %d", len(c.Messages), held)
	}
	retryAt := now.Add(time.Hour)
	var list []*callfloor.WebhookAttempt
	for _, m := range c.Messages {
		list = append(list, attempt(m, now, 1, callfloor.WebhookOutcomeRetry, 500, &retryAt))
	}
	_, err := recordAttempts(st, bg, a.ID, w.ID, list, now.Add(-72*time.Hour))
	ok(t, err)
	c = claimAll(t, st, w, now.Add(time.Second), 10)
	if got := seqs(c.Messages); len(got) != 1 || got[0] != int64(held*each+1) {
		t.Fatalf("claimed %v behind %d held lanes, want only the last lane's message %d", got, held, held*each+1)
	}
}

// testWebhookPass runs a worker's passes: each records the last pass's
// attempts, fills the outbox and claims, the claim seeing the fill.
func testWebhookPass(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 1)
	w := mustHook(t, st, ctx)
	bg := context.Background()
	now := time.Now().Add(time.Second).UTC().Truncate(time.Millisecond)
	evs := hookEvents(t, st, a.ID, 0, 4, 1, 2) // lanes 1, 2, 1, 2
	r, err := st.RunWebhookPass(bg, &callfloor.WebhookPass{AccountID: a.ID, EndpointID: w.ID, From: 0, To: 4,
		Messages: outboxOf(w, evs), Now: now, Until: now.Add(time.Minute), Limit: 10})
	ok(t, err)
	if got := seqs(r.Claim.Messages); !r.Moved || r.Disabled != "" || len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("first pass: moved %v, disabled %q, claimed %v; want the fill's lane heads 1 and 2", r.Moved, r.Disabled, got)
	}
	// The next: seq 1 delivered, seq 2 to retry; a fill from a cursor
	// that is not the endpoint's does nothing.
	retryAt := now.Add(time.Hour)
	tried := []*callfloor.WebhookAttempt{
		attempt(r.Claim.Messages[0], now, 1, callfloor.WebhookOutcomeDelivered, 200, nil),
		attempt(r.Claim.Messages[1], now, 1, callfloor.WebhookOutcomeRetry, 503, &retryAt),
	}
	r, err = st.RunWebhookPass(bg, &callfloor.WebhookPass{AccountID: a.ID, EndpointID: w.ID, Attempts: tried,
		StaleBefore: now.Add(-72 * time.Hour), From: 2, To: 9, Now: now, Until: now.Add(time.Minute), Limit: 10})
	ok(t, err)
	if got := seqs(r.Claim.Messages); r.Moved || len(got) != 1 || got[0] != 3 || r.Claim.NextDue == nil || !r.Claim.NextDue.Equal(retryAt) {
		t.Fatalf("second pass: moved %v, claimed %v, next %v; want 3 claimed and lane 2 due at its retry", r.Moved, got, r.Claim.NextDue)
	}
	page, err := st.ListWebhookAttempts(ctx, w.ID, 0, 10)
	ok(t, err)
	if len(page) != 2 {
		t.Fatalf("log %s, want the two attempts", show(page))
	}
	// A 410 disables the endpoint, and the pass claims nothing.
	gone := attempt(r.Claim.Messages[0], now, 1, callfloor.WebhookOutcomeGone, 410, &now)
	r, err = st.RunWebhookPass(bg, &callfloor.WebhookPass{AccountID: a.ID, EndpointID: w.ID, Attempts: []*callfloor.WebhookAttempt{gone},
		StaleBefore: now.Add(-72 * time.Hour), Now: now.Add(2 * time.Hour), Until: now.Add(3 * time.Hour), Limit: 10})
	ok(t, err)
	if r.Disabled == "" || len(r.Claim.Messages) != 0 {
		t.Fatalf("after a 410: disabled %q, claimed %v", r.Disabled, seqs(r.Claim.Messages))
	}
}

func testWebhookQueue(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 1)
	w := mustHook(t, st, ctx)
	bg := context.Background()
	evs := hookEvents(t, st, a.ID, 0, 2, 1)
	fill(t, st, w, evs)
	now := time.Now().Add(time.Second)
	c := claimAll(t, st, w, now, 10)
	_, err := recordOne(st, attempt(c.Messages[0], now, 1, callfloor.WebhookOutcomeDelivered, 200, nil), now.Add(-72*time.Hour))
	ok(t, err)

	// A test message, outside the journal.
	test := &callfloor.WebhookMessage{Type: callfloor.WebhookTest, Payload: []byte(`{"type":"webhook.test"}`)}
	n, err := st.QueueWebhookMessages(ctx, w.ID, []*callfloor.WebhookMessage{test})
	ok(t, err)
	if n != 1 || test.ID == 0 {
		t.Fatalf("queued %d, id %d", n, test.ID)
	}
	m, err := st.FindWebhookMessage(ctx, w.ID, 0, test.ID)
	ok(t, err)
	if string(m.Payload) != `{"type":"webhook.test"}` || m.Seq != 0 || m.MessageID() != callfloor.WebhookMessageID(w.ID, 0, test.ID) {
		t.Fatalf("test message %+v", m)
	}
	// Replays: a delivered message is pending again; a pending one stays
	// as it is; a journal event not in the outbox is added.
	n, err = st.QueueWebhookMessages(ctx, w.ID, []*callfloor.WebhookMessage{
		{Seq: 1, Type: "agent.paused", Lane: 1}, {Seq: 2, Type: "agent.paused", Lane: 1}})
	ok(t, err)
	if n != 1 {
		t.Fatalf("replayed %d of a delivered and a pending message, want 1", n)
	}
	m, err = st.FindWebhookMessage(ctx, w.ID, 1, 0)
	ok(t, err)
	if m.Status != callfloor.WebhookPending || m.Attempts != 0 {
		t.Fatalf("replayed message %+v", m)
	}
	// A prune forgets seq 1 once it is delivered again; a replay adds it.
	later := time.Now().Add(time.Hour)
	c = claimAll(t, st, w, later, 10)
	for _, m := range c.Messages {
		_, err = recordOne(st, attempt(m, time.Now(), 1, callfloor.WebhookOutcomeDelivered, 200, nil), later.Add(-72*time.Hour))
		ok(t, err)
	}
	ok(t, st.PruneWebhooks(bg, later))
	_, err = st.FindWebhookMessage(ctx, w.ID, 1, 0)
	wantErr(t, err, callfloor.ErrNotFound, "")
	n, err = st.QueueWebhookMessages(ctx, w.ID, []*callfloor.WebhookMessage{{Seq: 1, Type: "agent.paused", Lane: 1}})
	ok(t, err)
	m, err = st.FindWebhookMessage(ctx, w.ID, 1, 0)
	ok(t, err)
	if n != 1 || m.Status != callfloor.WebhookPending || m.Lane != 1 {
		t.Fatalf("replay of a pruned message: %d, %+v", n, m)
	}
	_, err = st.FindWebhookMessage(ctx, w.ID, 99, 0)
	wantErr(t, err, callfloor.ErrNotFound, "")
}

func testJournalSeqBefore(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 1)
	seq, err := st.JournalSeqBefore(ctx, jt0.Add(time.Hour))
	ok(t, err)
	if seq != 0 {
		t.Fatalf("an empty journal: %d", seq)
	}
	hookEvents(t, st, a.ID, 0, 37, 1) // event n at jt0 + n minutes
	for _, tc := range []struct {
		at   time.Time
		want int64
	}{
		{jt0, 0}, {jt0.Add(time.Minute), 0}, {jt0.Add(time.Minute + time.Second), 1},
		{jt0.Add(20 * time.Minute), 19}, {jt0.Add(37 * time.Minute), 36}, {jt0.Add(time.Hour), 37},
	} {
		seq, err := st.JournalSeqBefore(ctx, tc.at)
		ok(t, err)
		if seq != tc.want {
			t.Errorf("last before %v: %d, want %d", tc.at, seq, tc.want)
		}
	}
}

func testWebhookIsolation(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 1)
	b, other := agentAccount(t, st, "Other", 1)
	w := mustHook(t, st, ctx)
	theirs := mustHook(t, st, other)
	_, err := st.FindWebhookEndpointByID(other, w.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, err = st.UpdateWebhookEndpoint(other, w.ID, func(*callfloor.WebhookEndpoint) error { return nil })
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteWebhookEndpoint(other, w.ID), callfloor.ErrNotFound, "")
	_, err = st.ListWebhookAttempts(other, w.ID, 0, 10)
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, err = st.QueueWebhookMessages(other, w.ID, []*callfloor.WebhookMessage{{Type: callfloor.WebhookTest, Payload: []byte(`{}`)}})
	wantErr(t, err, callfloor.ErrNotFound, "")
	fill(t, st, w, hookEvents(t, st, a.ID, 0, 1, 1))
	_, err = st.FindWebhookMessage(other, w.ID, 1, 0)
	wantErr(t, err, callfloor.ErrNotFound, "")
	// A worker names the account: the wrong one moves nothing.
	hookEvents(t, st, b.ID, 0, 1, 1)
	moved, err := fillOutbox(st, context.Background(), b.ID, w.ID, 1, 2, nil)
	ok(t, err)
	if moved {
		t.Fatal("a fill with another account's id moved the cursor")
	}
	list, err := st.ListWebhookEndpoints(other)
	ok(t, err)
	if len(list) != 1 || list[0].ID != theirs.ID {
		t.Fatalf("the other account lists %s", show(list))
	}
	all, err := st.DeliverableWebhookEndpoints(context.Background())
	ok(t, err)
	if len(all) != 2 {
		t.Fatalf("deliverable across accounts: %s", show(all))
	}
}

func testWebhookPrune(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 1)
	w := mustHook(t, st, ctx)
	bg := context.Background()
	fill(t, st, w, hookEvents(t, st, a.ID, 0, 2, 1, 2))
	now := time.Now().Add(time.Second)
	c := claimAll(t, st, w, now, 10)
	_, err := recordOne(st, attempt(c.Messages[0], now, 1, callfloor.WebhookOutcomeDelivered, 200, nil), now.Add(-72*time.Hour))
	ok(t, err)
	retry := now.Add(time.Hour)
	_, err = recordOne(st, attempt(c.Messages[1], now, 1, callfloor.WebhookOutcomeRetry, 500, &retry), now.Add(-72*time.Hour))
	ok(t, err)
	ok(t, st.PruneWebhooks(bg, now.Add(time.Hour)))
	log, err := st.ListWebhookAttempts(ctx, w.ID, 0, 10)
	ok(t, err)
	got, err := st.FindWebhookEndpointByID(ctx, w.ID)
	ok(t, err)
	if len(log) != 0 || got.Backlog != 1 {
		t.Fatalf("after a prune: %d attempts, backlog %d; want the log gone and the pending message kept", len(log), got.Backlog)
	}
	_, err = st.FindWebhookMessage(ctx, w.ID, 2, 0)
	ok(t, err)
}
