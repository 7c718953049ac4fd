package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/callfloor/callfloor"
)

// trunkFixture is the trunk and inbound number every seeded tenant has.
type trunkFixture struct {
	trunk   *callfloor.Trunk
	inbound *callfloor.InboundNumber
}

var trunkFixtures = struct {
	sync.Mutex
	m map[*tenant]trunkFixture
}{m: map[*tenant]trunkFixture{}}

func fixtureOf(tn *tenant) trunkFixture {
	trunkFixtures.Lock()
	defer trunkFixtures.Unlock()
	return trunkFixtures.m[tn]
}

// The isolation matrix names the tenant's trunk and inbound number.
func init() {
	objectIDs["/api/v1/trunks/"] = func(tn *tenant) int64 { return fixtureOf(tn).trunk.ID }
	objectIDs["/api/v1/inbound-numbers/"] = func(tn *tenant) int64 { return fixtureOf(tn).inbound.ID }
}

// trunkSecret is the password of a tenant's seeded trunk.
func trunkSecret(tn *tenant) string { return tn.marker + "-trunk-secret" }

// seedTrunks gives a tenant a registration trunk and an inbound number on
// it ringing the participants' queue.
func (h *harness) seedTrunks(tn *tenant) {
	h.t.Helper()
	tr := callfloor.NewTrunk(tn.marker+" carrier", "sip.carrier.example")
	tr.Username, tr.Password = tn.marker, trunkSecret(tn)
	must(h.t, h.store.CreateTrunk(tn.ctx, tr))
	n := &callfloor.InboundNumber{Number: fmt.Sprintf("+44163296%04d", tn.acc.ID), Name: tn.marker + " main line", TrunkID: &tr.ID,
		Destination: callfloor.Destination{Kind: callfloor.DestinationQueue, ID: tn.partQueue.ID}, Enabled: true}
	must(h.t, h.store.CreateInboundNumber(tn.ctx, n))
	trunkFixtures.Lock()
	trunkFixtures.m[tn] = trunkFixture{trunk: tr, inbound: n}
	trunkFixtures.Unlock()
}

func TestTrunkLifecycle(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	const secret = "Carrier-Pass-7781"
	w := h.call("POST", "/api/v1/trunks", a.adminTok, map[string]any{
		"name": "Main carrier", "host": "sip.voip.example:5080", "auth": "registration",
		"username": "acct-1001", "password": secret, "default_caller_id": "+441632960000"})
	wantStatus(t, w, http.StatusCreated)
	if strings.Contains(w.Body.String(), secret) || strings.Contains(w.Body.String(), `"password"`) {
		t.Fatalf("the answer shows the password: %s", w.Body)
	}
	tr := decode[callfloor.Trunk](t, w)
	if !tr.HasPassword || tr.Transport != callfloor.TransportUDP || tr.ExpirySeconds != callfloor.DefaultTrunkExpiry ||
		!tr.Enabled || tr.AllowedSources == nil || tr.AccountID != a.acc.ID {
		t.Fatalf("created %+v", tr)
	}
	path := idPath("/api/v1/trunks/%d", tr.ID)
	stored := func() *callfloor.Trunk {
		t.Helper()
		st, err := h.store.FindTrunkByID(a.ctx, tr.ID)
		must(t, err)
		return st
	}
	if stored().Password != secret {
		t.Fatal("the password is not stored")
	}

	// PATCH without a password, or with null, keeps it.
	for _, body := range []string{`{"name":"Renamed carrier"}`, `{"password":null,"expiry_seconds":600}`} {
		w = h.call("PATCH", path, a.adminTok, body)
		wantStatus(t, w, http.StatusOK)
		if st := stored(); st.Password != secret || !decode[callfloor.Trunk](t, w).HasPassword {
			t.Fatalf("after %s: password %q", body, st.Password)
		}
	}
	w = h.call("PATCH", path, a.adminTok, map[string]any{"password": "New-Pass-1"})
	wantStatus(t, w, http.StatusOK)
	if stored().Password != "New-Pass-1" || strings.Contains(w.Body.String(), "New-Pass-1") {
		t.Fatalf("new password: %s", w.Body)
	}
	// An ip trunk may drop its credentials.
	w = h.call("PATCH", path, a.adminTok, map[string]any{"auth": "ip", "allowed_sources": []string{"203.0.113.0/24", "198.51.100.7:5060", "[2001:DB8::7]:5080"}, "password": "", "username": ""})
	wantStatus(t, w, http.StatusOK)
	if got := decode[callfloor.Trunk](t, w); got.HasPassword || got.Auth != callfloor.TrunkIP || got.ExpirySeconds != 600 || got.Name != "Renamed carrier" ||
		strings.Join(got.AllowedSources, " ") != "203.0.113.0/24 198.51.100.7:5060 [2001:db8::7]:5080" {
		t.Fatalf("switched to ip: %+v", got)
	}

	// Supervisors read; the list has both trunks and no secret.
	w = h.call("GET", "/api/v1/trunks", a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	if l := decode[list[callfloor.Trunk]](t, w); len(l.Items) != 2 || strings.Contains(w.Body.String(), trunkSecret(a)) {
		t.Fatalf("list %s", w.Body)
	}
	wantStatus(t, h.call("GET", path, a.supTok, nil), http.StatusOK)
	if logs := h.logs.String(); strings.Contains(logs, secret) || strings.Contains(logs, "New-Pass-1") {
		t.Fatal("a trunk password is in the log")
	}

	wantStatus(t, h.call("DELETE", path, a.adminTok, nil), http.StatusNoContent)
	wantError(t, h.call("GET", path, a.adminTok, nil), http.StatusNotFound, callfloor.ErrNotFound, "")
}

func TestInboundNumberLifecycle(t *testing.T) {
	h := newHarness(t)
	a, b := h.seed("alpha"), h.seed("zeta")
	w := h.call("POST", "/api/v1/inbound-numbers", a.adminTok, map[string]any{
		"number": "+441632961000", "destination": map[string]any{"kind": "extension", "id": a.plainExt.ID}})
	wantStatus(t, w, http.StatusCreated)
	n := decode[callfloor.InboundNumber](t, w)
	if !n.Enabled || n.TrunkID != nil || n.Destination != (callfloor.Destination{Kind: callfloor.DestinationExtension, ID: a.plainExt.ID}) {
		t.Fatalf("created %+v", n)
	}
	path := idPath("/api/v1/inbound-numbers/%d", n.ID)

	// PATCH merges the destination object and may set the trunk.
	w = h.call("PATCH", path, a.adminTok, map[string]any{"destination": map[string]any{"id": a.agentExt.ID}, "trunk_id": fixtureOf(a).trunk.ID})
	wantStatus(t, w, http.StatusOK)
	got := decode[callfloor.InboundNumber](t, w)
	if got.Destination != (callfloor.Destination{Kind: callfloor.DestinationExtension, ID: a.agentExt.ID}) || got.TrunkID == nil {
		t.Fatalf("patched %+v", got)
	}
	w = h.call("PATCH", path, a.adminTok, `{"trunk_id":null,"enabled":false}`)
	wantStatus(t, w, http.StatusOK)
	if got := decode[callfloor.InboundNumber](t, w); got.TrunkID != nil || got.Enabled {
		t.Fatalf("patched %+v", got)
	}

	// The SIP plane finds enabled numbers across accounts.
	found, err := h.store.FindInboundNumber(t.Context(), fixtureOf(b).inbound.Number[1:])
	must(t, err)
	if found.AccountID != b.acc.ID {
		t.Fatalf("found %+v", found)
	}

	w = h.call("GET", "/api/v1/inbound-numbers", a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	if l := decode[list[callfloor.InboundNumber]](t, w); len(l.Items) != 2 {
		t.Fatalf("list %s", w.Body)
	}
	wantStatus(t, h.call("DELETE", path, a.adminTok, nil), http.StatusNoContent)
	wantError(t, h.call("GET", path, a.supTok, nil), http.StatusNotFound, callfloor.ErrNotFound, "")
}

// TestTrunkRefusedRequests checks the answers that must fail, and that
// nothing of either tenant changed.
func TestTrunkRefusedRequests(t *testing.T) {
	h := newHarness(t)
	a, b := h.seed("alpha"), h.seed("zeta")
	fa, fb := fixtureOf(a), fixtureOf(b)
	trunk := idPath("/api/v1/trunks/%d", fa.trunk.ID)
	did := idPath("/api/v1/inbound-numbers/%d", fa.inbound.ID)
	const (
		s400, s409, s422 = http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity
	)
	cases := []struct {
		name         string
		method, path string
		body         string
		status       int
		code, field  string
	}{
		{"trunk without auth", "POST", "/api/v1/trunks", `{"name":"x","host":"carrier.example"}`, s422, callfloor.ErrFieldRequired, "auth"},
		{"registration without password", "POST", "/api/v1/trunks", `{"name":"x","host":"carrier.example","auth":"registration","username":"u"}`, s422, callfloor.ErrFieldRequired, "password"},
		{"ip trunk without sources", "POST", "/api/v1/trunks", `{"name":"x","host":"carrier.example","auth":"ip"}`, s422, callfloor.ErrFieldRequired, "allowed_sources"},
		{"bad host", "POST", "/api/v1/trunks", `{"name":"x","host":"sip:carrier","auth":"ip","allowed_sources":["192.0.2.1"]}`, s422, callfloor.ErrInvalidField, "host"},
		{"bad source", "PATCH", trunk, `{"auth":"ip","allowed_sources":["192.0.2.1","nope"]}`, s422, callfloor.ErrInvalidField, "allowed_sources[1]"},
		{"network with a port", "PATCH", trunk, `{"auth":"ip","allowed_sources":["192.0.2.0/24:5060"]}`, s422, callfloor.ErrInvalidField, "allowed_sources[0]"},
		{"source port zero", "PATCH", trunk, `{"auth":"ip","allowed_sources":["192.0.2.1:0"]}`, s422, callfloor.ErrInvalidField, "allowed_sources[0]"},
		{"bad transport", "PATCH", trunk, `{"transport":"sctp"}`, s422, callfloor.ErrInvalidField, "transport"},
		{"clearing a registration trunk's password", "PATCH", trunk, `{"password":""}`, s422, callfloor.ErrFieldRequired, "password"},
		{"has_password is read-only", "PATCH", trunk, `{"has_password":false}`, s422, callfloor.ErrFieldReadOnly, "has_password"},
		{"unknown trunk field", "PATCH", trunk, `{"secret":"x"}`, s400, callfloor.ErrUnknownField, "secret"},
		{"trunk name taken", "POST", "/api/v1/trunks", `{"name":"ALPHA carrier","host":"c.example","auth":"ip","allowed_sources":["192.0.2.1"]}`, s409, callfloor.ErrNameTaken, "name"},
		{"trunk in use", "DELETE", trunk, "", s409, callfloor.ErrInUse, ""},
		{"queue rung by a number", "DELETE", idPath("/api/v1/queues/%d", a.partQueue.ID), "", s409, callfloor.ErrInUse, ""},
		{"number of another account", "POST", "/api/v1/inbound-numbers",
			fmt.Sprintf(`{"number":%q,"destination":{"kind":"queue","id":%d}}`, fb.inbound.Number[1:], a.queue.ID), s409, callfloor.ErrInboundNumberTaken, "number"},
		{"destination of another account", "PATCH", did, fmt.Sprintf(`{"destination":{"kind":"queue","id":%d}}`, b.queue.ID), s422, callfloor.ErrInvalidReference, "destination.id"},
		{"trunk of another account", "PATCH", did, fmt.Sprintf(`{"trunk_id":%d}`, fb.trunk.ID), s422, callfloor.ErrInvalidReference, "trunk_id"},
		{"bad destination kind", "PATCH", did, `{"destination":{"kind":"ivr"}}`, s422, callfloor.ErrInvalidField, "destination.kind"},
		{"bad number", "PATCH", did, `{"number":"12-34"}`, s422, callfloor.ErrInvalidField, "number"},
		{"missing destination", "POST", "/api/v1/inbound-numbers", `{"number":"1234"}`, s422, callfloor.ErrFieldRequired, "destination.kind"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.snapshot(a, b) + trunkSnapshot(t, h, a, b)
			var body any
			if tc.body != "" {
				body = tc.body
			}
			wantError(t, h.call(tc.method, tc.path, a.adminTok, body), tc.status, tc.code, tc.field)
			if after := h.snapshot(a, b) + trunkSnapshot(t, h, a, b); after != before {
				t.Errorf("a refused request changed the store:\nbefore %s\nafter %s", before, after)
			}
		})
	}
}

// trunkSnapshot is the tenants' trunks (passwords included) and inbound
// numbers, as text.
func trunkSnapshot(t *testing.T, h *harness, tenants ...*tenant) string {
	t.Helper()
	var b strings.Builder
	for _, tn := range tenants {
		trunks, err := h.store.ListTrunks(tn.ctx)
		must(t, err)
		for _, tr := range trunks {
			j, err := json.Marshal(tr)
			must(t, err)
			fmt.Fprintf(&b, "%s %s\n", j, tr.Password)
		}
		nums, err := h.store.ListInboundNumbers(tn.ctx)
		must(t, err)
		for _, n := range nums {
			j, err := json.Marshal(n)
			must(t, err)
			fmt.Fprintf(&b, "%s\n", j)
		}
	}
	return b.String()
}

// TestTrunksOfAnotherAccount: nothing of B's trunks changes through A's
// requests (the isolation matrix checks the answers; this, the store).
func TestTrunksOfAnotherAccount(t *testing.T) {
	h := newHarness(t)
	a, b := h.seed("alpha"), h.seed("zeta")
	before := trunkSnapshot(t, h, b)
	fb := fixtureOf(b)
	for _, rq := range []struct{ method, path, body string }{
		{"PATCH", idPath("/api/v1/trunks/%d", fb.trunk.ID), `{"password":"stolen","enabled":false}`},
		{"DELETE", idPath("/api/v1/trunks/%d", fb.trunk.ID), ""},
		{"PATCH", idPath("/api/v1/inbound-numbers/%d", fb.inbound.ID), fmt.Sprintf(`{"destination":{"kind":"queue","id":%d}}`, a.queue.ID)},
		{"DELETE", idPath("/api/v1/inbound-numbers/%d", fb.inbound.ID), ""},
	} {
		var body any
		if rq.body != "" {
			body = rq.body
		}
		wantError(t, h.call(rq.method, rq.path, a.adminTok, body), http.StatusNotFound, callfloor.ErrNotFound, "")
	}
	if after := trunkSnapshot(t, h, b); after != before {
		t.Errorf("A changed B's trunks:\nbefore %s\nafter %s", before, after)
	}
}

// fakeRegistrations answers with a registration that names the account
// asked for.
type fakeRegistrations struct{}

func (fakeRegistrations) Registrations(account int64) []callfloor.TrunkStatus {
	return []callfloor.TrunkStatus{{TrunkID: account * 100, State: "failing", LastError: "carrier answered 403 Forbidden", Failures: 2}}
}

func TestTrunkStatus(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Trunks = fakeRegistrations{} })
	a, b := h.seed("trunks-a"), h.seed("trunks-b")
	for _, tn := range []*tenant{a, b} {
		w := h.call("GET", "/api/v1/trunks/status", tn.supTok, nil)
		wantStatus(t, w, http.StatusOK)
		got := decode[list[callfloor.TrunkStatus]](t, w)
		if len(got.Items) != 1 || got.Items[0].TrunkID != tn.acc.ID*100 || got.Items[0].State != "failing" || got.Items[0].Failures != 2 {
			t.Errorf("registrations %+v, want account %d's only", got.Items, tn.acc.ID)
		}
		// Times that have not happened are left out, not shown as year 1.
		if strings.Contains(w.Body.String(), "registered_at") || strings.Contains(w.Body.String(), "0001-01-01") {
			t.Errorf("answer %s shows a time that never was", w.Body.String())
		}
	}
	wantStatus(t, h.call("GET", "/api/v1/trunks/status", a.agentTok, nil), http.StatusForbidden)
}

func TestTrunkStatusWithoutTelephony(t *testing.T) {
	h := newHarness(t)
	a := h.seed("trunks-none")
	wantError(t, h.call("GET", "/api/v1/trunks/status", a.supTok, nil), http.StatusServiceUnavailable, callfloor.ErrTelephonyOff, "")
}
