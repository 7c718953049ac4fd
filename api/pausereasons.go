package api

import (
	"net/http"

	"github.com/callfloor/callfloor"
)

// pauseReasonInput is the writable part of a pause reason.
type pauseReasonInput struct {
	Name             string `json:"name" api:"required"`
	Code             int    `json:"code" api:"required"`
	ThresholdSeconds int    `json:"threshold_seconds"`
	Productive       bool   `json:"productive"`
}

func (pauseReasonInput) resource() any { return callfloor.PauseReason{} }

func (in *pauseReasonInput) from(p *callfloor.PauseReason) {
	*in = pauseReasonInput{Name: p.Name, Code: p.Code, ThresholdSeconds: p.ThresholdSeconds, Productive: p.Productive}
}

func (in *pauseReasonInput) to(p *callfloor.PauseReason) {
	p.Name, p.Code, p.ThresholdSeconds, p.Productive = in.Name, in.Code, in.ThresholdSeconds, in.Productive
}

func (s *Server) listPauseReasons(_ http.ResponseWriter, r *http.Request) (list[*callfloor.PauseReason], error) {
	return listOf(s.store.ListPauseReasons(r.Context()))
}

func (s *Server) getPauseReason(_ http.ResponseWriter, r *http.Request) (*callfloor.PauseReason, error) {
	id, err := pathID(r, "pause reason")
	if err != nil {
		return nil, err
	}
	return s.store.FindPauseReasonByID(r.Context(), id)
}

func (s *Server) createPauseReason(_ http.ResponseWriter, r *http.Request, dec decoder[pauseReasonInput]) (*callfloor.PauseReason, error) {
	var in pauseReasonInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	p := &callfloor.PauseReason{}
	in.to(p)
	if err := s.store.CreatePauseReason(r.Context(), p); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) updatePauseReason(_ http.ResponseWriter, r *http.Request, dec decoder[pauseReasonInput]) (*callfloor.PauseReason, error) {
	id, err := pathID(r, "pause reason")
	if err != nil {
		return nil, err
	}
	return s.store.UpdatePauseReason(r.Context(), id, func(p *callfloor.PauseReason) error {
		if p.System {
			return errorf(callfloor.ErrSystemReason, "the %s pause reason belongs to the system and cannot be changed", p.Name)
		}
		var in pauseReasonInput
		in.from(p)
		if err := dec(&in); err != nil {
			return err
		}
		in.to(p)
		return nil
	})
}

func (s *Server) deletePauseReason(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "pause reason")
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.store.DeletePauseReason(r.Context(), id)
}
