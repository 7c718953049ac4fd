package forward

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkForward forwards a small POST through the NATS at
// CALLFLOOR_TEST_NATS to a handler that answers 200 with JSON, one at a
// time, and reports the latency's median and 99th percentile: the
// transport's share of a forwarded command.
func BenchmarkForward(b *testing.B) {
	g := newRig(b, Config{})
	g.serve(g.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"agent":42,"state":"ready","seq":1234}`+"\n")
	}), nil), 1)
	c := g.client()
	const body = `{"reason":3,"note":"coffee"}`
	var lat []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/v1/floor/agents/42/pause", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer 0123456789abcdef")
		w := httptest.NewRecorder()
		start := time.Now()
		err := c.Forward(r.Context(), 1, w, r)
		lat = append(lat, time.Since(start))
		if err != nil || w.Code != http.StatusOK {
			b.Fatalf("answer %d %s, %v", w.Code, w.Body.String(), err)
		}
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(0.50), "p50_ms")
	b.ReportMetric(q(0.99), "p99_ms")
}
