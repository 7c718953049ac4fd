package callfloor

import (
	"context"
	"time"
)

// Session is a login session. Only the SHA-256 hash of its token is stored.
type Session struct {
	ID         int64     `json:"id"`
	AccountID  int64     `json:"account_id"`
	UserID     int64     `json:"user_id"`
	TokenHash  []byte    `json:"-"`
	RemoteAddr string    `json:"remote_addr"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// APIToken lets an integration call the API as the user who created it.
// Only the SHA-256 hash of the token is stored; Prefix helps people tell
// tokens apart.
type APIToken struct {
	ID         int64      `json:"id"`
	AccountID  int64      `json:"account_id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	TokenHash  []byte     `json:"-"`
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Validate checks the token's own fields.
func (t *APIToken) Validate() error {
	return checkName("name", t.Name, 100)
}

// Credentials is what a login needs to find and check a user, whatever
// account the request comes from.
type Credentials struct {
	User    *User
	Account *Account
}

// LoginFailure limits: after MaxLoginFailures failed logins in a row a user
// is locked for LoginLockout.
const (
	MaxLoginFailures = 5
	LoginLockout     = 15 * time.Minute
)

// AuthStore persists what authentication needs. These methods are not
// scoped by the context's actor: they are how an actor is established.
type AuthStore interface {
	// FindCredentials finds an enabled or disabled user by account name and
	// username, with the lockout state.
	FindCredentials(ctx context.Context, accountName, username string) (*User, *LoginState, error)
	// RecordLoginFailure counts a failed login and locks the user for
	// LoginLockout after MaxLoginFailures in a row; it returns the new state.
	RecordLoginFailure(ctx context.Context, userID int64, now time.Time) (*LoginState, error)
	// RecordLoginSuccess clears the failure count and sets last_login_at.
	RecordLoginSuccess(ctx context.Context, userID int64, now time.Time) error

	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the unexpired session with the token hash.
	FindSession(ctx context.Context, tokenHash []byte, now time.Time) (*Session, *User, error)
	DeleteSession(ctx context.Context, tokenHash []byte) error
	// DeleteUserSessions ends every session of a user (password change,
	// disabling).
	DeleteUserSessions(ctx context.Context, userID int64) error

	// FindAPIToken returns the token with the hash and its user, and marks
	// it used at now.
	FindAPIToken(ctx context.Context, tokenHash []byte, now time.Time) (*APIToken, *User, error)

	// FindSIPCredentials finds the extension with the SIP username across
	// every account, with its AccountID and digest hashes, for the SIP
	// registrar (which learns the account from the extension).
	FindSIPCredentials(ctx context.Context, sipUsername string) (*Extension, error)
}

// LoginState is a user's run of failed logins.
type LoginState struct {
	Failures    int
	LockedUntil time.Time
}

// APITokenService manages the API tokens of the caller's account.
type APITokenService interface {
	CreateAPIToken(ctx context.Context, t *APIToken) error
	ListAPITokens(ctx context.Context) ([]*APIToken, error)
	DeleteAPIToken(ctx context.Context, id int64) error
}
