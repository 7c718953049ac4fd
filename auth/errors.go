package auth

import (
	"time"

	"github.com/callfloor/callfloor"
)

// RetryError is a refusal that goes away with time: a rate limit or a
// lockout. It unwraps to the *callfloor.Error with the code, so
// callfloor.ErrorCode sees through it; After is how long to wait, which the
// API sends as Retry-After.
type RetryError struct {
	Err   *callfloor.Error
	After time.Duration
}

// Error implements the error interface.
func (e *RetryError) Error() string { return e.Err.Error() }

// Unwrap returns the coded error.
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter is how long the caller should wait before trying again.
func (e *RetryError) RetryAfter() time.Duration { return e.After }

// invalidCredentials is the one answer for an unknown account, an unknown
// user, a wrong password and a disabled user, so none can be told apart.
func invalidCredentials() error {
	return callfloor.Errorf(callfloor.ErrInvalidCredential, "the account, username or password is wrong")
}

func loginLocked(remaining time.Duration) error {
	remaining = roundUp(remaining)
	return &RetryError{
		Err: callfloor.Errorf(callfloor.ErrLoginLocked,
			"too many failed logins for this user from this address; try again in %s", remaining),
		After: remaining,
	}
}

// slowedDown refuses an attempt for a user under repeated failures until
// its delay has passed.
func slowedDown(remaining time.Duration) error {
	remaining = roundUp(remaining)
	return &RetryError{
		Err: callfloor.Errorf(callfloor.ErrRateLimited,
			"too many failed logins for this user; try again in %s", remaining),
		After: remaining,
	}
}

func rateLimited(remaining time.Duration) error {
	remaining = roundUp(remaining)
	return &RetryError{
		Err: callfloor.Errorf(callfloor.ErrRateLimited,
			"too many login attempts from this address; try again in %s", remaining),
		After: remaining,
	}
}

func unauthorized(format string, args ...any) error {
	return callfloor.Errorf(callfloor.ErrUnauthorized, format, args...)
}

// roundUp rounds d up to a whole second, at least one.
func roundUp(d time.Duration) time.Duration {
	s := (d + time.Second - 1) / time.Second * time.Second
	if s < time.Second {
		s = time.Second
	}
	return s
}
