package api

import (
	"net/http"

	"github.com/callfloor/callfloor"
)

// callerIDPoolInput is the writable part of a caller-ID pool; numbers are
// replaced whole when given.
type callerIDPoolInput struct {
	Name    string   `json:"name" api:"required"`
	Numbers []string `json:"numbers" api:"required"`
}

func (callerIDPoolInput) resource() any { return callfloor.CallerIDPool{} }

func (s *Server) listCallerIDPools(_ http.ResponseWriter, r *http.Request) (list[*callfloor.CallerIDPool], error) {
	return listOf(s.store.ListCallerIDPools(r.Context()))
}

func (s *Server) getCallerIDPool(_ http.ResponseWriter, r *http.Request) (*callfloor.CallerIDPool, error) {
	id, err := pathID(r, "caller-ID pool")
	if err != nil {
		return nil, err
	}
	return s.store.FindCallerIDPoolByID(r.Context(), id)
}

func (s *Server) createCallerIDPool(_ http.ResponseWriter, r *http.Request, dec decoder[callerIDPoolInput]) (*callfloor.CallerIDPool, error) {
	in := callerIDPoolInput{Numbers: []string{}}
	if err := dec(&in); err != nil {
		return nil, err
	}
	p := &callfloor.CallerIDPool{Name: in.Name, Numbers: in.Numbers}
	if err := s.store.CreateCallerIDPool(r.Context(), p); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) updateCallerIDPool(_ http.ResponseWriter, r *http.Request, dec decoder[callerIDPoolInput]) (*callfloor.CallerIDPool, error) {
	id, err := pathID(r, "caller-ID pool")
	if err != nil {
		return nil, err
	}
	return s.store.UpdateCallerIDPool(r.Context(), id, func(p *callfloor.CallerIDPool) error {
		in := callerIDPoolInput{Name: p.Name, Numbers: p.Numbers}
		if err := dec(&in); err != nil {
			return err
		}
		p.Name, p.Numbers = in.Name, in.Numbers
		return nil
	})
}

func (s *Server) deleteCallerIDPool(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "caller-ID pool")
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.store.DeleteCallerIDPool(r.Context(), id)
}
