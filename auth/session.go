package auth

import (
	"context"
	"strings"

	"github.com/callfloor/callfloor"
)

// Authenticate returns the actor a session token ("cfs_...") or an API
// token ("cfk_...") stands for. The role is the user's current one, so a
// role change takes effect at once. Anything else, an expired session, a
// deleted token or a disabled user is unauthorized.
func (s *Service) Authenticate(ctx context.Context, token string) (callfloor.Actor, error) {
	now := s.clock.Now()
	var (
		u       *callfloor.User
		tokenID int64
		err     error
	)
	switch {
	case wellFormed(token, SessionPrefix):
		_, u, err = s.store.FindSession(ctx, HashToken(token), now)
	case wellFormed(token, APITokenPrefix):
		var t *callfloor.APIToken
		t, u, err = s.store.FindAPIToken(ctx, HashToken(token), now)
		if err == nil {
			tokenID = t.ID
		}
	default:
		return callfloor.Actor{}, unauthorized("the token is not a callfloor session or API token")
	}
	switch callfloor.ErrorCode(err) {
	case "":
	case callfloor.ErrNotFound:
		return callfloor.Actor{}, unauthorized("the session has expired or the token was revoked")
	default:
		return callfloor.Actor{}, err
	}
	if u.Disabled {
		return callfloor.Actor{}, unauthorized("the user is disabled")
	}
	return callfloor.Actor{AccountID: u.AccountID, UserID: u.ID, Role: u.Role, TokenID: tokenID}, nil
}

// session returns the unexpired session of a session token.
func (s *Service) session(ctx context.Context, token string) (*callfloor.Session, error) {
	if !wellFormed(token, SessionPrefix) {
		return nil, unauthorized("not a session token")
	}
	sess, _, err := s.store.FindSession(ctx, HashToken(token), s.clock.Now())
	if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
		return nil, unauthorized("the session has expired")
	}
	return sess, err
}

// Logout ends the session of a session token. It does nothing for other
// tokens: API tokens are revoked by deleting them.
func (s *Service) Logout(ctx context.Context, token string) error {
	if !strings.HasPrefix(token, SessionPrefix) {
		return nil
	}
	err := s.store.DeleteSession(ctx, HashToken(token))
	if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
		return nil
	}
	return err
}
