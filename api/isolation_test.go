package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
)

// publicRoutes are the only routes that need no credentials; a route made
// public by mistake fails the matrix.
var publicRoutes = map[string]bool{
	"GET /healthz":             true,
	"GET /metrics":             true,
	"GET /api/v1/openapi.json": true,
	"POST /api/v1/auth/login":  true,
}

// objectIDs says, for the path prefix before {id}, which object of a
// tenant the id names. A route whose path is not here fails the matrix:
// a new endpoint cannot slip past it.
var objectIDs = map[string]func(*tenant) int64{
	"/api/v1/users/":             func(tn *tenant) int64 { return tn.sup.ID },
	"/api/v1/tokens/":            func(tn *tenant) int64 { return tn.apiToken.ID },
	"/api/v1/extensions/":        func(tn *tenant) int64 { return tn.plainExt.ID },
	"/api/v1/pause-reasons/":     func(tn *tenant) int64 { return tn.reason.ID },
	"/api/v1/queues/":            func(tn *tenant) int64 { return tn.queue.ID },
	"/api/v1/directory/":         func(tn *tenant) int64 { return tn.entry.ID },
	"/api/v1/caller-id-pools/":   func(tn *tenant) int64 { return tn.pool.ID },
	"/api/v1/campaigns/":         func(tn *tenant) int64 { return tn.campaign.ID },
	"/api/v1/campaign-lists/":    func(tn *tenant) int64 { return tn.list.ID },
	"/api/v1/leads/":             func(tn *tenant) int64 { return tn.lead.ID },
	"/api/v1/floor/campaigns/":   func(tn *tenant) int64 { return tn.campaign.ID },
	"/api/v1/report-schedules/":  func(tn *tenant) int64 { return tn.schedule.ID },
	"/api/v1/webhook-endpoints/": func(tn *tenant) int64 { return tn.webhook.ID },
	// The floor names agents and participants by their extension.
	"/api/v1/floor/agents/":       func(tn *tenant) int64 { return tn.agentExt.ID },
	"/api/v1/floor/participants/": func(tn *tenant) int64 { return tn.partExt.ID },
}

// floorCommand tells the routes that act on the live floor (log in, pause,
// force log off, ...) rather than change the account's configuration:
// agents and supervisors may call those.
func floorCommand(rt route) bool { return strings.HasPrefix(rt.Path, "/api/v1/floor/") }

// journalOf returns every event of the account's floor.
func (h *harness) journalOf(tn *tenant) []callfloor.Event {
	h.t.Helper()
	evs, err := h.store.ReadEvents(context.Background(), tn.acc.ID, 0, 1<<20)
	must(h.t, err)
	return evs
}

// pathFor fills the route's path with the id of tn's object.
func pathFor(t *testing.T, rt route, tn *tenant) string {
	t.Helper()
	p := rt.Path
	if i := strings.Index(p, "{id}"); i >= 0 {
		id, ok := objectIDs[p[:i]]
		if !ok {
			t.Fatalf("%s: the isolation matrix does not know which object {id} names; add its prefix to objectIDs", rt.pattern())
		}
		p = p[:i] + fmt.Sprint(id(tn)) + p[i+len("{id}"):]
	}
	if strings.ContainsAny(p, "{}") {
		t.Fatalf("%s: the isolation matrix cannot fill the path parameters of %s", rt.pattern(), p)
	}
	return p
}

func TestIsolationMatrix(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Queues, c.Trunks = fakeFigures{}, fakeRegistrations{} })
	a, b := h.seed("alpha"), h.seed("zeta")
	before := h.snapshot(b)
	journalBefore := len(h.journalOf(b))

	for _, rt := range routeTable() {
		t.Run(rt.pattern(), func(t *testing.T) {
			if (rt.Role == public) != publicRoutes[rt.pattern()] {
				t.Fatalf("role %q: only %v may be public", rt.Role, publicRoutes)
			}
			if rt.Method != http.MethodGet && rt.Role != public && rt.Role != callfloor.RoleAdmin && !strings.HasPrefix(rt.Path, "/api/v1/auth/") && !floorCommand(rt) {
				t.Fatalf("role %q: only admins may change the account's objects", rt.Role)
			}
			pathA, pathB := pathFor(t, rt, a), pathFor(t, rt, b)
			var body any
			if rt.ep.in != nil {
				body = "{}"
			}
			if rt.Role == public {
				return
			}
			w := h.do(req{method: rt.Method, path: pathA, body: body})
			wantError(t, w, http.StatusUnauthorized, callfloor.ErrUnauthorized, "")
			w = h.do(req{method: rt.Method, path: pathA, body: body, token: "cfs_" + strings.Repeat("x", 43)})
			wantError(t, w, http.StatusUnauthorized, callfloor.ErrUnauthorized, "")

			if !callfloor.RoleAgent.AtLeast(rt.Role) {
				wantError(t, h.call(rt.Method, pathA, a.agentTok, body), http.StatusForbidden, callfloor.ErrForbidden, "")
			}
			if !callfloor.RoleSupervisor.AtLeast(rt.Role) {
				wantError(t, h.call(rt.Method, pathA, a.supTok, body), http.StatusForbidden, callfloor.ErrForbidden, "")
			}
			if strings.Contains(rt.Path, "{id}") {
				// A's admin names B's object: not found, never shown.
				wantError(t, h.call(rt.Method, pathB, a.adminTok, body), http.StatusNotFound, callfloor.ErrNotFound, "")
			}
			if rt.Method != http.MethodGet {
				return
			}
			// Every read answers for A's own objects, and shows nothing of B.
			tokens := map[callfloor.Role]string{callfloor.RoleAgent: a.agentTok, callfloor.RoleSupervisor: a.supTok, callfloor.RoleAdmin: a.adminTok}
			w = h.call(rt.Method, pathA, tokens[rt.Role], nil)
			if rt.Status == http.StatusSwitchingProtocols {
				// A WebSocket: past the credentials, a plain request is
				// refused by the handshake (the stream tests speak it).
				wantStatus(t, w, http.StatusUpgradeRequired)
				return
			}
			wantStatus(t, w, http.StatusOK)
			if strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
				if strings.Contains(w.Body.String(), b.marker) {
					t.Fatalf("export shows account %s: %s", b.marker, w.Body.String())
				}
				return
			}
			assertNoLeak(t, w.Body.Bytes(), a, b)
		})
	}
	if after := h.snapshot(b); after != before {
		t.Errorf("requests from account A changed account B:\nbefore %s\nafter %s", before, after)
	}
	if after := h.journalOf(b); len(after) != journalBefore {
		t.Errorf("requests from account A changed account B's floor: %+v", after)
	}
}

// assertNoLeak fails if a JSON answer holds an object of another account
// than a or anything named with b's marker.
func assertNoLeak(t *testing.T, body []byte, a, b *tenant) {
	t.Helper()
	if strings.Contains(string(body), b.marker) {
		t.Fatalf("answer shows account %s: %s", b.marker, body)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if id, ok := v["account_id"]; ok && id != float64(a.acc.ID) {
				t.Fatalf("answer holds an object of account %v: %v", id, v)
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
}
