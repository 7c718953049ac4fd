package api

import (
	"net/http"

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

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) (rawText, error) {
	promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return rawText{}, nil
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, _ *http.Request) (rawJSON, error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(s.openapi)
	return rawJSON{}, nil
}
