package auth

import (
	"context"
	"fmt"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/password"
)

// ChangePassword changes the password of the user acting in ctx, who must
// know the current one, and ends every other session of the user: the
// session of token (the one making the request) stays valid. API tokens
// cannot change passwords. Attempts count against the remote address's
// login rate limit, so a stolen session cannot guess passwords quickly.
func (s *Service) ChangePassword(ctx context.Context, token, current, next, remoteIP string) error {
	a, ok := callfloor.ActorFrom(ctx)
	if !ok || a.UserID == 0 {
		return unauthorized("no user in the request")
	}
	if a.TokenID != 0 {
		return callfloor.Errorf(callfloor.ErrForbidden, "an API token cannot change its user's password; log in instead")
	}
	now := s.clock.Now()
	if ok, wait := s.limiter.allow(remoteIP, now); !ok {
		return rateLimited(wait)
	}
	if current == "" {
		return callfloor.FieldError(callfloor.ErrFieldRequired, "current_password", "current_password is required")
	}
	if next == "" {
		return callfloor.FieldError(callfloor.ErrFieldRequired, "new_password", "new_password is required")
	}
	if err := callfloor.CheckPassword("new_password", next); err != nil {
		return err
	}
	sess, err := s.session(ctx, token)
	if err != nil {
		return err
	}
	u, err := s.store.FindUserByID(ctx, a.UserID)
	if err != nil {
		return err
	}
	ok, err = s.hasher.Verify(u.PasswordHash, current)
	if err != nil {
		return fmt.Errorf("auth: verify password of user %d: %w", u.ID, err)
	}
	if !ok {
		return callfloor.FieldError(callfloor.ErrInvalidField, "current_password", "the current password is wrong")
	}
	if err := password.Check("new_password", next, u.Username, u.Name, u.Email); err != nil {
		return err
	}
	if err := s.setPassword(ctx, u.ID, next); err != nil {
		return err
	}
	// Keep the caller's own session: store it again under the same token.
	keep := *sess
	keep.ID = 0
	if err := s.store.CreateSession(ctx, &keep); err != nil {
		return err
	}
	s.log.Info("password changed", "account", a.AccountID, "user", a.UserID)
	return nil
}

// ResetPassword sets the password of a user of the account acting in ctx
// (an administrator's reset) and ends all of that user's sessions.
func (s *Service) ResetPassword(ctx context.Context, userID int64, pw string) error {
	// Read first so that a user of another account is not_found before
	// anything else is said or done.
	u, err := s.store.FindUserByID(ctx, userID)
	if err != nil {
		return err
	}
	if pw == "" {
		return callfloor.FieldError(callfloor.ErrFieldRequired, "password", "password is required")
	}
	if err := password.Check("password", pw, u.Username, u.Name, u.Email); err != nil {
		return err
	}
	if err := s.setPassword(ctx, userID, pw); err != nil {
		return err
	}
	a, _ := callfloor.ActorFrom(ctx)
	s.log.Info("password reset", "account", a.AccountID, "user", a.UserID, "target", userID)
	return nil
}

// setPassword stores the hash of pw and ends every session of the user.
// UpdateUser is scoped to the account in ctx, so DeleteUserSessions (which
// is not) only runs for a user of that account.
func (s *Service) setPassword(ctx context.Context, userID int64, pw string) error {
	hash, err := s.hasher.Hash(pw)
	if err != nil {
		return fmt.Errorf("auth: hash password: %w", err)
	}
	if _, err := s.store.UpdateUser(ctx, userID, func(u *callfloor.User) error {
		u.PasswordHash = hash
		return nil
	}); err != nil {
		return err
	}
	return s.store.DeleteUserSessions(ctx, userID)
}
