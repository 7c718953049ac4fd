package api

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/callfloor/callfloor"
)

type healthResponse struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

func (s *Server) health(_ http.ResponseWriter, r *http.Request) (*healthResponse, error) {
	if err := s.store.Ping(r.Context()); err != nil {
		s.log.Error("health check: database does not answer", "error", err)
		return nil, &statusError{status: http.StatusServiceUnavailable,
			err: callfloor.Errorf(callfloor.ErrInternal, "the database does not answer")}
	}
	return &healthResponse{Status: "ok", Version: s.version}, nil
}

// serveMetrics serves the metrics to whoever has the metrics token; with
// none configured they are not served here at all.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) (rawText, error) {
	if s.metricsToken == "" {
		return rawText{}, errorf(callfloor.ErrRouteNotFound, "metrics are not served here: see the metrics-token and metrics-listen settings")
	}
	got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.metricsToken)) != 1 {
		return rawText{}, errorf(callfloor.ErrUnauthorized, "metrics need the metrics token as a bearer token")
	}
	promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return rawText{}, nil
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, _ *http.Request) (rawJSON, error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(s.openapi)
	return rawJSON{}, nil
}
