package api

import (
	"net/http"

	"github.com/callfloor/callfloor"
)

type tokenInput struct {
	Name string `json:"name" api:"required"`
}

func (tokenInput) resource() any { return callfloor.APIToken{} }

// newToken is the answer that creates an API token: the token itself is
// in it and never again.
type newToken struct {
	*callfloor.APIToken
	Token string `json:"token"`
}

func (s *Server) listTokens(_ http.ResponseWriter, r *http.Request) (list[*callfloor.APIToken], error) {
	return listOf(s.store.ListAPITokens(r.Context()))
}

func (s *Server) createToken(_ http.ResponseWriter, r *http.Request, dec decoder[tokenInput]) (*newToken, error) {
	var in tokenInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	token, t, err := s.auth.CreateAPIToken(r.Context(), in.Name)
	if err != nil {
		return nil, err
	}
	return &newToken{APIToken: t, Token: token}, nil
}

func (s *Server) deleteToken(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "API token")
	if err != nil {
		return noContent{}, err
	}
	if err := s.store.DeleteAPIToken(r.Context(), id); err != nil {
		return noContent{}, err
	}
	// The store scoped the deletion to the caller's account, so a token
	// of that ID in that account is the one gone.
	a, _ := callfloor.ActorFrom(r.Context())
	s.streams.revoke(func(st *streamConn) bool { return st.account == a.AccountID && st.tokenID == id },
		CloseSessionEnded, "The API token of this stream was revoked.")
	return noContent{}, nil
}
