package delivery

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/webhook"
)

func TestDecide(t *testing.T) {
	now := t0
	noJitter := func(d time.Duration) time.Duration { return d }
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	tests := []struct {
		name    string
		attempt int
		res     webhook.Result
		err     error
		outcome callfloor.WebhookOutcome
		next    *time.Time
	}{
		{"200", 1, webhook.Result{Status: 200, OK: true}, nil, callfloor.WebhookOutcomeDelivered, nil},
		{"204 on the last try", 13, webhook.Result{Status: 204, OK: true}, nil, callfloor.WebhookOutcomeDelivered, nil},
		{"500 first", 1, webhook.Result{Status: 500}, nil, callfloor.WebhookOutcomeRetry, at(5 * time.Second)},
		{"500 second", 2, webhook.Result{Status: 500}, nil, callfloor.WebhookOutcomeRetry, at(5 * time.Minute)},
		{"a redirect is a failure", 3, webhook.Result{Status: 302}, nil, callfloor.WebhookOutcomeRetry, at(30 * time.Minute)},
		{"404", 4, webhook.Result{Status: 404}, nil, callfloor.WebhookOutcomeRetry, at(2 * time.Hour)},
		{"timeout", 5, webhook.Result{}, errors.New("timeout"), callfloor.WebhookOutcomeRetry, at(5 * time.Hour)},
		{"connection refused", 6, webhook.Result{}, errors.New("refused"), callfloor.WebhookOutcomeRetry, at(10 * time.Hour)},
		{"the twelfth failure", 12, webhook.Result{Status: 503}, nil, callfloor.WebhookOutcomeRetry, at(10 * time.Hour)},
		{"the thirteenth is the last", 13, webhook.Result{Status: 503}, nil, callfloor.WebhookOutcomeFailed, nil},
		{"429 with Retry-After", 1, webhook.Result{Status: 429, RetryAfter: 90 * time.Second}, nil, callfloor.WebhookOutcomeRetry, at(90 * time.Second)},
		{"429 asking too much", 1, webhook.Result{Status: 429, RetryAfter: 72 * time.Hour}, nil, callfloor.WebhookOutcomeRetry, at(MaxRetryAfter)},
		{"429 without", 2, webhook.Result{Status: 429}, nil, callfloor.WebhookOutcomeRetry, at(5 * time.Minute)},
		{"429 on the last try", 13, webhook.Result{Status: 429, RetryAfter: time.Second}, nil, callfloor.WebhookOutcomeFailed, nil},
		{"410", 3, webhook.Result{Status: 410}, nil, callfloor.WebhookOutcomeGone, at(0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			outcome, next := Decide(tc.attempt, tc.res, tc.err, now, noJitter)
			if outcome != tc.outcome || (next == nil) != (tc.next == nil) || (next != nil && !next.Equal(*tc.next)) {
				t.Fatalf("Decide = %s %v, want %s %v", outcome, next, tc.outcome, tc.next)
			}
		})
	}
	var total time.Duration
	for _, d := range Retries {
		total += d
	}
	if total < 60*time.Hour || total > 80*time.Hour {
		t.Fatalf("the retries span %v: want about three days", total)
	}
	jitter := New(Config{}).cfg.Jitter
	for range 100 {
		if d := jitter(time.Hour); d < time.Hour || d > 66*time.Minute {
			t.Fatalf("jitter made an hour %v", d)
		}
	}
}

// TestRecoversAfterAnHourOf500s: the receiver fails for an hour; every
// event arrives once it recovers, in order per lane, under one id each,
// and the attempt log has every attempt.
func TestRecoversAfterAnHourOf500s(t *testing.T) {
	r := newRig(t)
	recovered := t0.Add(time.Hour)
	r.rc.answer = func(*received, int) (int, http.Header, bool) {
		if r.clock.Now().Before(recovered) {
			return http.StatusInternalServerError, nil, false
		}
		return http.StatusOK, nil, false
	}
	r.journal(12, 201, 202, 0)
	r.runUntil(t0.Add(6 * time.Hour))
	got := r.rc.all()
	r.checkDelivery(got)
	// Each lane's head was tried at 0, 5 s, 5 min 5 s, 35 min 5 s and
	// 2 h 35 min 5 s, when it went through; the rest followed at once.
	var firstTries []time.Time
	for _, m := range got {
		if m.seq == 1 {
			firstTries = append(firstTries, m.at)
		}
	}
	want := []time.Duration{0, 5 * time.Second, 5*time.Minute + 5*time.Second, 35*time.Minute + 5*time.Second, 2*time.Hour + 35*time.Minute + 5*time.Second}
	if len(firstTries) != len(want) {
		t.Fatalf("seq 1 was tried at %v", firstTries)
	}
	for i, d := range want {
		if !firstTries[i].Equal(t0.Add(d)) {
			t.Fatalf("try %d of seq 1 at %v, want %v", i+1, firstTries[i], t0.Add(d))
		}
	}
	log := r.attempts()
	if len(log) != len(got) {
		t.Fatalf("%d attempts logged for %d requests", len(log), len(got))
	}
	for i, a := range log {
		if a.MessageID != got[i].id && !sameSet(log, got) {
			t.Fatalf("attempt %d is %s, the receiver got %s", i, a.MessageID, got[i].id)
		}
	}
	if a := log[0]; a.Status != 500 || a.Outcome != callfloor.WebhookOutcomeRetry || a.Response != "answer 500" || a.Attempt != 1 ||
		a.NextAttemptAt == nil || !a.NextAttemptAt.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("first attempt %+v", a)
	}
	ep := r.endpoint()
	if !ep.Enabled || ep.Backlog != 0 || ep.LastSuccessAt == nil || ep.LastFailureAt == nil {
		t.Fatalf("endpoint after recovering: %+v", ep)
	}
}

// sameSet reports whether the log and the requests hold the same ids
// (lanes go in parallel, so their order may differ).
func sameSet(log []*callfloor.WebhookAttempt, got []received) bool {
	count := map[string]int{}
	for _, a := range log {
		count[a.MessageID]++
	}
	for _, m := range got {
		count[m.id]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestReceiverDownForADay: nothing listens for 24 hours (connections
// refused); then everything arrives, nothing is failed or disabled.
func TestReceiverDownForADay(t *testing.T) {
	r := newRig(t)
	url, start := unreachable(t, http.HandlerFunc(r.rc.serve))
	_, err := r.store.UpdateWebhookEndpoint(r.ctx, r.ep.ID, func(w *callfloor.WebhookEndpoint) error { w.URL = url; return nil })
	must(t, err)
	r.journal(6, 201, 202)
	r.runUntil(t0.Add(24 * time.Hour))
	if n := r.rc.count(); n != 0 {
		t.Fatalf("%d requests arrived while down", n)
	}
	log := r.attempts()
	if len(log) == 0 || log[0].Status != 0 || log[0].Error != "connection refused" {
		t.Fatalf("attempts while down: %+v", log)
	}
	start()
	r.runUntil(t0.Add(48 * time.Hour))
	r.checkDelivery(r.rc.all())
	ep := r.endpoint()
	if !ep.Enabled || ep.Backlog != 0 {
		t.Fatalf("after a day down: %+v", ep)
	}
	// The heads came back at 27 h 35 min 5 s, the next try after 24 h.
	if first := r.rc.all()[0]; !first.at.Equal(t0.Add(27*time.Hour + 35*time.Minute + 5*time.Second)) {
		t.Fatalf("first arrival at %v", first.at)
	}
}

// TestHonoursRetryAfter: a 429's Retry-After sets the next try.
func TestHonoursRetryAfter(t *testing.T) {
	r := newRig(t)
	r.rc.answer = func(_ *received, before int) (int, http.Header, bool) {
		if before == 0 {
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"90"}}, false
		}
		return http.StatusAccepted, nil, false
	}
	r.journal(1, 201)
	r.runUntil(t0.Add(time.Hour))
	got := r.rc.all()
	if len(got) != 2 || !got[1].at.Equal(t0.Add(90*time.Second)) || got[0].id != got[1].id {
		t.Fatalf("requests %+v: want a retry of the same message after 90 s", got)
	}
	r.checkDelivery(got)
}

// Test410Disables: a 410 disables the endpoint with its reason, tells
// the admins, and keeps the message; enabled again, it is delivered.
func Test410Disables(t *testing.T) {
	r := newRig(t)
	gone := true
	r.rc.answer = func(*received, int) (int, http.Header, bool) {
		if gone {
			return http.StatusGone, nil, false
		}
		return http.StatusOK, nil, false
	}
	r.journal(3, 201)
	r.runUntil(t0.Add(time.Hour))
	if n := r.rc.count(); n != 1 {
		t.Fatalf("%d requests after a 410, want 1", n)
	}
	ep := r.endpoint()
	if ep.Enabled || !strings.Contains(ep.DisabledReason, "410 Gone") || ep.Backlog != 3 {
		t.Fatalf("after a 410: %+v", ep)
	}
	evs := r.published()
	if len(evs) != 1 || evs[0].Type != callfloor.EventWebhookDisabled || evs[0].Webhook.EndpointID != r.ep.ID ||
		evs[0].Webhook.Reason != ep.DisabledReason || evs[0].AccountID != r.acc.ID {
		t.Fatalf("published %+v", evs)
	}
	if log := r.attempts(); len(log) != 1 || log[0].Outcome != callfloor.WebhookOutcomeGone {
		t.Fatalf("log %+v", log)
	}
	gone = false
	_, err := r.store.UpdateWebhookEndpoint(r.ctx, r.ep.ID, func(w *callfloor.WebhookEndpoint) error { w.Enabled = true; return nil })
	must(t, err)
	r.runUntil(t0.Add(2 * time.Hour))
	r.checkDelivery(r.rc.all())
}

// TestTimeouts: an endpoint that does not answer in time is retried,
// and the log says why.
func TestTimeouts(t *testing.T) {
	r := newRig(t)
	r.rc.answer = func(_ *received, before int) (int, http.Header, bool) {
		return http.StatusOK, nil, before == 0 // the first hangs
	}
	r.journal(1, 201)
	r.runUntil(t0.Add(time.Minute))
	log := r.attempts()
	if len(log) != 2 || log[0].Error != "timeout: no answer in time" || log[0].Status != 0 || log[0].LatencyMS < 250 ||
		log[1].Outcome != callfloor.WebhookOutcomeDelivered || !log[1].At.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("log %+v", log)
	}
	r.checkDelivery(r.rc.all())
}

// TestLeaseIsWhatARestartCosts: a message cut short by a restart is
// sent again when the lease the service was given ends, not before; a
// lease shorter than a send is raised to MinLease.
func TestLeaseIsWhatARestartCosts(t *testing.T) {
	r := newRig(t)
	r.close()
	r.lease = 10 * time.Second
	r.open()
	r.rc.answer = func(_ *received, before int) (int, http.Header, bool) {
		return http.StatusOK, nil, before == 0 // the first hangs
	}
	r.journal(1, 201)
	r.svc.Start()
	waitFor(t, "a message on the wire", func() bool { return r.rc.count() == 1 })
	r.close()
	r.open()
	r.clock.Advance(r.lease - time.Millisecond)
	if _, err := r.svc.RunOnce(context.Background(), r.acc.ID, r.ep.ID); err != nil {
		t.Fatal(err)
	}
	if n := r.rc.count(); n != 1 {
		t.Fatalf("%d requests before the lease ended", n)
	}
	r.runUntil(t0.Add(r.lease + time.Second))
	got := r.rc.all()
	if len(got) != 2 || got[1].id != got[0].id || got[1].status != http.StatusOK {
		t.Fatalf("requests %+v", got)
	}
	r.checkDelivery(got)

	for _, tc := range []struct{ timeout, lease, want time.Duration }{
		{0, 0, Lease},
		{2 * time.Second, 5 * time.Second, 5 * time.Second},
		{2 * time.Second, time.Second, 4 * time.Second},
		{0, 10 * time.Second, MinLease(Timeout)},
	} {
		if got := New(Config{Timeout: tc.timeout, Lease: tc.lease}).cfg.Lease; got != tc.want {
			t.Errorf("timeout %v, lease %v: the service holds messages %v, want %v", tc.timeout, tc.lease, got, tc.want)
		}
	}
}

// TestGivesUpAfterThreeDays: a message that keeps failing is tried 13
// times over a little more than three days, then failed; the endpoint, without a
// success for three days, is disabled and the admins told.
func TestGivesUpAfterThreeDays(t *testing.T) {
	r := newRig(t)
	r.rc.answer = func(*received, int) (int, http.Header, bool) { return http.StatusServiceUnavailable, nil, false }
	r.journal(1, 201)
	r.runUntil(t0.Add(5 * 24 * time.Hour))
	got := r.rc.all()
	if len(got) != len(Retries)+1 {
		t.Fatalf("%d tries, want %d", len(got), len(Retries)+1)
	}
	if span := got[len(got)-1].at.Sub(t0); span < 60*time.Hour || span > 80*time.Hour {
		t.Fatalf("the last try came %v after the first", span)
	}
	log := r.attempts()
	if last := log[len(log)-1]; last.Outcome != callfloor.WebhookOutcomeFailed || last.Attempt != 13 {
		t.Fatalf("last attempt %+v", last)
	}
	ep := r.endpoint()
	if ep.Enabled || !strings.Contains(ep.DisabledReason, "no message was delivered for 3 days") || ep.Backlog != 0 {
		t.Fatalf("after three days: %+v", ep)
	}
	if evs := r.published(); len(evs) != 1 || evs[0].Type != callfloor.EventWebhookDisabled {
		t.Fatalf("published %+v", evs)
	}
}

// TestRotationSignsWithBoth: after a rotation both secrets sign for the
// overlap, then only the new one.
func TestRotationSignsWithBoth(t *testing.T) {
	r := newRig(t)
	newSecret := webhook.NewSecret()
	r.rc.secrets = append(r.rc.secrets, newSecret)
	_, err := r.store.UpdateWebhookEndpoint(r.ctx, r.ep.ID, func(w *callfloor.WebhookEndpoint) error {
		w.Rotate(newSecret, r.clock.Now(), callfloor.DefaultSecretOverlap)
		return nil
	})
	must(t, err)
	r.journal(1, 201)
	r.runUntil(t0.Add(time.Minute))
	r.clock.Set(t0.Add(callfloor.DefaultSecretOverlap))
	r.journal(1, 201)
	r.runUntil(t0.Add(callfloor.DefaultSecretOverlap + time.Minute))
	got := r.rc.all()
	if len(got) != 2 || len(got[0].verified) != 2 || len(strings.Fields(got[0].signature)) != 2 {
		t.Fatalf("during the overlap: %+v, want both secrets' signatures", got)
	}
	if len(got[1].verified) != 1 || got[1].verified[0] != 1 || len(strings.Fields(got[1].signature)) != 1 {
		t.Fatalf("after the overlap: %+v, want the new secret's alone", got[1])
	}
}

// TestTestMessageAndFilter: a test message goes through the outbox to an
// endpoint that takes only some types; the events it does not take are
// not sent, and a device-level endpoint takes its extension's calls.
func TestTestMessageAndFilter(t *testing.T) {
	r := newRig(t)
	_, err := r.store.UpdateWebhookEndpoint(r.ctx, r.ep.ID, func(w *callfloor.WebhookEndpoint) error {
		w.EventTypes = []callfloor.WebhookEventType{callfloor.WebhookCallerAbandoned}
		return nil
	})
	must(t, err)
	body, err := callfloor.NewWebhookTestBody(r.ep.ID, r.clock.Now())
	must(t, err)
	test := &callfloor.WebhookMessage{Type: callfloor.WebhookTest, Payload: body}
	_, err = r.store.QueueWebhookMessages(r.ctx, r.ep.ID, []*callfloor.WebhookMessage{test})
	must(t, err)
	r.journal(2, 201)
	r.seq++
	must(t, r.store.AppendEvents(context.Background(), r.acc.ID, []callfloor.Event{{AccountID: r.acc.ID, Seq: r.seq, At: r.clock.Now(),
		Type: callfloor.EventCallRecord, Record: &callfloor.CallRecord{CallID: "c-1", Step: "abandoned", QueueID: 4}}}))
	r.runUntil(t0.Add(time.Minute))
	got := r.rc.all()
	if len(got) != 2 || got[0].typ != "webhook.test" || got[0].id != callfloor.WebhookMessageID(r.ep.ID, 0, test.ID) ||
		got[1].typ != "queue.caller_abandoned" || got[1].seq != 3 {
		t.Fatalf("received %+v", got)
	}
}

// TestSlowEndpointDelaysNoOther: with the workers running, an endpoint
// that never answers does not hold up another, nor the journal.
func TestSlowEndpointDelaysNoOther(t *testing.T) {
	r := newRig(t)
	r.rc.answer = func(*received, int) (int, http.Header, bool) { return 0, nil, true } // hangs
	fast := newReceiver(t, r.clock, secret)
	other := &callfloor.WebhookEndpoint{URL: fast.url(), Enabled: true, Secret: secret}
	must(t, r.store.CreateWebhookEndpoint(r.ctx, other))
	r.svc.client = webhook.NewClient(2*time.Second, true)
	r.svc.Start()
	start := time.Now()
	for range 5 {
		r.journal(4, 201, 202)
		r.svc.Notify([]callfloor.Event{{AccountID: r.acc.ID, Seq: r.seq}})
	}
	waitFor(t, "the fast endpoint's 20 messages", func() bool { return fast.count() == 20 })
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("the fast endpoint took %v, as long as the slow one's timeout", d)
	}
	if held := r.rc.count(); held != 2 {
		t.Fatalf("the slow endpoint got %d requests, want its two lanes' heads", held)
	}
}

// TestRestartsMidDelivery: the service and the store are closed while a
// message is on the wire, and opened again, four times over. Every
// journaled event arrives; a message cut short is sent again under the
// same id; each lane keeps its order; the log has each delivery.
func TestRestartsMidDelivery(t *testing.T) {
	r := newRig(t)
	r.journal(40, 201, 202, 203, 0)
	holdAt := 0 // the receiver's request number that hangs
	r.rc.answer = func(_ *received, before int) (int, http.Header, bool) {
		return http.StatusOK, nil, before == holdAt
	}
	for round := range 4 {
		r.rc.mu.Lock()
		holdAt = len(r.rc.got) + 3 + round
		r.rc.mu.Unlock()
		r.svc.Start()
		waitFor(t, "a message on the wire", func() bool {
			r.rc.mu.Lock()
			defer r.rc.mu.Unlock()
			return r.rc.held > 0
		})
		r.close() // cuts the message short, closes the database
		r.clock.Advance(Lease + time.Second)
		r.open()
		if round%2 == 1 {
			r.journal(5, 201, 202) // the floor went on meanwhile
		}
	}
	r.svc.Start()
	waitFor(t, "every message", func() bool {
		ep, err := r.store.FindWebhookEndpointByID(r.ctx, r.ep.ID)
		return err == nil && ep.Cursor == r.seq && ep.Backlog == 0
	})
	r.svc.Stop()
	got := r.rc.all()
	r.checkDelivery(got)
	cut := 0
	tries := map[string]int{}
	for i, m := range got {
		tries[m.id]++
		if m.status != 0 {
			continue
		}
		cut++
		again := false
		for _, later := range got[i+1:] {
			again = again || (later.id == m.id && later.status != 0)
		}
		if !again {
			t.Fatalf("%s was cut short and never sent again", m.id)
		}
	}
	if cut < 4 {
		t.Fatalf("%d requests cut short: want the four restarts to have cut one each", cut)
	}
	// The log: every delivery is there; no attempt is there that the
	// receiver did not see. (An answer that was on its way back when the
	// service stopped is not: the message is sent again.)
	logged := map[string]int{}
	delivered := map[string]bool{}
	for _, a := range r.attempts() {
		logged[a.MessageID]++
		delivered[a.MessageID] = delivered[a.MessageID] || a.Outcome == callfloor.WebhookOutcomeDelivered
	}
	for id, n := range logged {
		if n > tries[id] {
			t.Fatalf("%s: %d attempts logged, %d requests seen", id, n, tries[id])
		}
	}
	for seq := int64(1); seq <= r.seq; seq++ {
		if id := callfloor.WebhookMessageID(r.ep.ID, seq, 0); !delivered[id] {
			t.Fatalf("%s has no delivered attempt in the log", id)
		}
	}
}
