package api

import (
	"net/http"

	"github.com/callfloor/callfloor"
)

// accountInput is what an account admin may change. The licence fields
// are the platform operator's (command line).
type accountInput struct {
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
}

func (accountInput) resource() any { return callfloor.Account{} }

func (s *Server) getAccount(_ http.ResponseWriter, r *http.Request) (*callfloor.Account, error) {
	return s.store.FindAccountByID(r.Context(), actorOf(r).AccountID)
}

func (s *Server) updateAccount(_ http.ResponseWriter, r *http.Request, dec decoder[accountInput]) (*callfloor.Account, error) {
	return s.store.UpdateAccount(r.Context(), actorOf(r).AccountID, func(a *callfloor.Account) error {
		in := accountInput{Name: a.Name, TimeZone: a.TimeZone}
		if err := dec(&in); err != nil {
			return err
		}
		a.Name, a.TimeZone = in.Name, in.TimeZone
		return nil
	})
}
