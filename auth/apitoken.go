package auth

import (
	"context"

	"github.com/callfloor/callfloor"
)

// CreateAPIToken creates an API token for the user acting in ctx and
// returns it in plain text: this is the only time it can be seen.
func (s *Service) CreateAPIToken(ctx context.Context, name string) (string, *callfloor.APIToken, error) {
	a, ok := callfloor.ActorFrom(ctx)
	if !ok || a.UserID == 0 {
		return "", nil, unauthorized("an API token belongs to a user")
	}
	token := NewToken(APITokenPrefix)
	t := &callfloor.APIToken{
		AccountID: a.AccountID,
		UserID:    a.UserID,
		Name:      name,
		Prefix:    DisplayPrefix(token),
		TokenHash: HashToken(token),
		CreatedAt: s.clock.Now(),
	}
	if err := t.Validate(); err != nil {
		return "", nil, err
	}
	if err := s.store.CreateAPIToken(ctx, t); err != nil {
		return "", nil, err
	}
	return token, t, nil
}
