package api

import (
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

// TestActivityAndCalls: the agent's Most Recent Activity and the
// supervisors' call list show each call with its number's name, queue,
// disposition, notes and tags, newest first, page by page; an incomplete
// disposition is marked until completed; nothing of another account.
func TestActivityAndCalls(t *testing.T) {
	h := newHarness(t)
	a, b := h.seed("alpha"), h.seed("bravo")
	h.setLicences(a, 5)
	must(t, h.store.CreateDirectoryEntry(a.ctx, &callfloor.DirectoryEntry{Name: "Acme buyer", Number: "+441632960123"}))
	tok, ext := a.agentTok, a.agentExt.ID
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	agentOK(t, h, "POST", "/api/v1/floor/me/login", b.agentTok, nil)

	// Call 1: a queue call with notes typed during it, dispositioned.
	sim(t, h, a, "offer", map[string]any{"extension_id": ext, "call_id": "h1", "direction": "queue_in", "queue_id": a.queue.ID, "from": "+441632960123"})
	sim(t, h, a, "answer", map[string]any{"extension_id": ext, "call_id": "h1"})
	agentOK(t, h, "PUT", "/api/v1/floor/me/calls/notes", tok, map[string]any{"call_id": "h1", "notes": "=HYPERLINK(\"x\")", "tags": []string{"vip"}})
	h.clock.Advance(time.Minute)
	sim(t, h, a, "hangup", map[string]any{"extension_id": ext, "call_id": "h1"})
	agentOK(t, h, "POST", "/api/v1/floor/me/dispositions", tok, map[string]any{"call_id": "h1", "category": "success", "outcome": "alpha sale"})
	// Call 2: the wrap-up times out: incomplete.
	h.clock.Advance(time.Minute)
	queueCall(t, h, a, ext, "h2")
	h.clock.Advance(61 * time.Second)
	waitState(t, h, tok, callfloor.StateIdle)
	// Another account's call, never shown.
	sim(t, h, b, "offer", map[string]any{"extension_id": b.agentExt.ID, "call_id": "b1", "direction": "queue_in", "queue_id": b.queue.ID, "from": "+441632960999"})

	page := decode[CallPage](t, wantOK(t, h.call("GET", "/api/v1/floor/me/activity", tok, nil)))
	if len(page.Items) != 2 || page.Next != nil {
		t.Fatalf("activity %+v", page)
	}
	c2, c1 := page.Items[0], page.Items[1]
	if c2.CallID != "h2" || !c2.Incomplete || c2.Outcome != callfloor.NoAgentSubmission || c2.EndedAt == nil {
		t.Errorf("newest row %+v", c2)
	}
	if c1.CallID != "h1" || c1.Direction != callfloor.DirQueueIn || c1.Number != "+441632960123" || c1.Name != "Acme buyer" ||
		c1.QueueName != "alpha queue" || c1.Category != callfloor.CategorySuccess || c1.Outcome != "alpha sale" ||
		c1.Notes != "=HYPERLINK(\"x\")" || len(c1.Tags) != 1 || c1.Incomplete || c1.AnsweredAt == nil || c1.Agent != "201" {
		t.Errorf("older row %+v", c1)
	}

	// Page by page.
	first := decode[CallPage](t, wantOK(t, h.call("GET", "/api/v1/floor/me/activity?limit=1", tok, nil)))
	if len(first.Items) != 1 || first.Items[0].CallID != "h2" || first.Next == nil {
		t.Fatalf("first page %+v", first)
	}
	second := decode[CallPage](t, wantOK(t, h.call("GET", "/api/v1/floor/me/activity?limit=1&before="+*first.Next, tok, nil)))
	if len(second.Items) != 1 || second.Items[0].CallID != "h1" {
		t.Fatalf("second page %+v", second)
	}

	// The incomplete disposition is completed from the activity list.
	agentOK(t, h, "POST", "/api/v1/floor/me/dispositions", tok, map[string]any{"call_id": "h2", "category": "success", "outcome": "alpha sale"})
	page = decode[CallPage](t, wantOK(t, h.call("GET", "/api/v1/floor/me/activity", tok, nil)))
	if r := page.Items[0]; r.CallID != "h2" || r.Incomplete || r.Outcome != "alpha sale" {
		t.Fatalf("after completing: %+v", r)
	}

	// Supervisors: filters, and the export.
	all := decode[CallPage](t, wantOK(t, h.call("GET", "/api/v1/calls?category=success&extension_id="+itoa(ext), a.supTok, nil)))
	if len(all.Items) != 2 {
		t.Fatalf("calls %+v", all)
	}
	none := decode[CallPage](t, wantOK(t, h.call("GET", "/api/v1/calls?direction=external_out", a.supTok, nil)))
	if len(none.Items) != 0 {
		t.Fatalf("external calls %+v", none)
	}
	w := wantOK(t, h.call("GET", "/api/v1/calls/export", a.supTok, nil))
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	recs, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][0] != "start" {
		t.Fatalf("csv %v %q", err, w.Body.String())
	}
	if notes := recs[2][10]; notes != "'=HYPERLINK(\"x\")" {
		t.Errorf("a formula in a cell is not defused: %q", notes)
	}
	if strings.Contains(w.Body.String(), "+441632960999") {
		t.Error("the export shows another account's call")
	}
	wantError(t, h.call("GET", "/api/v1/calls", tok, nil), http.StatusForbidden, callfloor.ErrForbidden, "")
	wantError(t, h.call("GET", "/api/v1/calls?from=2026-01-01&to=2026-12-31", a.supTok, nil), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "to")
}

func wantOK(t *testing.T, w *httptest.ResponseRecorder) *httptest.ResponseRecorder {
	t.Helper()
	wantStatus(t, w, http.StatusOK)
	return w
}
