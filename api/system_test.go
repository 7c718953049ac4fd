package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
)

func TestHealth(t *testing.T) {
	h := newHarness(t)
	w := h.do(req{method: "GET", path: "/healthz"})
	wantStatus(t, w, http.StatusOK)
	if got := decode[healthResponse](t, w); got != (healthResponse{Status: "ok", Version: "v-test"}) {
		t.Errorf("health %+v", got)
	}
	h.store.Close()
	w = h.do(req{method: "GET", path: "/healthz"})
	wantError(t, w, http.StatusServiceUnavailable, callfloor.ErrInternal, "")
	if strings.Contains(w.Body.String(), "sql") {
		t.Errorf("health leaks the cause: %s", w.Body)
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MetricsToken = "metrics-secret-1" })
	h.do(req{method: "GET", path: "/healthz"})
	h.do(req{method: "GET", path: "/api/v1/users"})
	h.do(req{method: "GET", path: "/no/such/path"})
	wantError(t, h.do(req{method: "GET", path: "/metrics"}), http.StatusUnauthorized, callfloor.ErrUnauthorized, "")
	wantError(t, h.do(req{method: "GET", path: "/metrics", token: "wrong"}), http.StatusUnauthorized, callfloor.ErrUnauthorized, "")
	w := h.do(req{method: "GET", path: "/metrics", token: "metrics-secret-1"})
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	for _, want := range []string{
		`callfloor_http_requests_total{route="GET /healthz",status="200"} 1`,
		`callfloor_http_requests_total{route="GET /api/v1/users",status="401"} 1`,
		`callfloor_http_requests_total{route="unmatched",status="404"} 1`,
		`callfloor_http_request_duration_seconds_bucket{route="GET /healthz",le="0.005"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestMetricsOffByDefault: without a metrics token the API serves no
// metrics to anyone.
func TestMetricsOffByDefault(t *testing.T) {
	h := newHarness(t)
	wantError(t, h.do(req{method: "GET", path: "/metrics"}), http.StatusNotFound, callfloor.ErrRouteNotFound, "")
}
