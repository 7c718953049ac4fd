package auth

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/password"
)

// Defaults of Config.
const (
	DefaultSessionTTL      = 12 * time.Hour
	DefaultLoginsPerMinute = 20
)

// Config is what a Service needs. Store and Hasher are required.
type Config struct {
	Store  callfloor.Store
	Hasher *password.Hasher
	// Clock drives session expiry, lockouts and the rate limit; nil is the
	// system clock.
	Clock callfloor.Clock
	// SessionTTL is how long a session lasts; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// LoginsPerMinute is how many login attempts one remote address may
	// make per minute; 0 means DefaultLoginsPerMinute.
	LoginsPerMinute int
	Logger          *slog.Logger
}

// Service logs users in and authenticates their requests.
type Service struct {
	store   callfloor.Store
	hasher  *password.Hasher
	clock   callfloor.Clock
	ttl     time.Duration
	log     *slog.Logger
	limiter *limiter
	lockout *lockout
}

// NewService returns a Service for cfg.
func NewService(cfg Config) *Service {
	if cfg.Store == nil || cfg.Hasher == nil {
		panic("auth: Config.Store and Config.Hasher are required")
	}
	s := &Service{store: cfg.Store, hasher: cfg.Hasher, clock: cfg.Clock, ttl: cfg.SessionTTL, log: cfg.Logger, lockout: newLockout()}
	if s.clock == nil {
		s.clock = callfloor.SystemClock{}
	}
	if s.ttl <= 0 {
		s.ttl = DefaultSessionTTL
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	n := cfg.LoginsPerMinute
	if n <= 0 {
		n = DefaultLoginsPerMinute
	}
	s.limiter = newLimiter(n, time.Minute)
	return s
}

// Login checks a user's password and starts a session. It returns the
// session token, which is never stored and so cannot be shown again.
//
// An unknown account, an unknown user, a wrong password and a disabled user
// all fail with the same invalid_credentials error and take the same time
// (one password hash), so a caller cannot learn which usernames exist.
// Failed logins lock the address they come from out of that user, and slow
// the user down everywhere with a growing delay (see lockout): nobody can
// lock the real user out from another address. Every remote address is
// limited to LoginsPerMinute attempts (rate_limited).
func (s *Service) Login(ctx context.Context, accountName, username, pw, remoteIP string) (string, *callfloor.Session, *callfloor.User, error) {
	now := s.clock.Now()
	if ok, wait := s.limiter.allow(remoteIP, now); !ok {
		s.log.Warn("login rate limited", "remote", remoteIP)
		return "", nil, nil, rateLimited(wait)
	}
	accountName = strings.TrimSpace(accountName)
	username = strings.ToLower(strings.TrimSpace(username))
	key := userKey(accountName, username)
	if err := s.lockout.check(key, remoteIP, now); err != nil {
		// Burn the same time as a real check; the answer is the same
		// whether or not the password is right, so guessing goes nowhere.
		s.hasher.Dummy(pw)
		s.log.Info("login refused: too many failures", "remote", remoteIP)
		return "", nil, nil, err
	}

	u, _, err := s.store.FindCredentials(ctx, accountName, username)
	switch callfloor.ErrorCode(err) {
	case "":
	case callfloor.ErrNotFound:
		s.hasher.Dummy(pw)
		s.lockout.fail(key, remoteIP, now)
		s.log.Info("login failed: unknown user", "remote", remoteIP)
		return "", nil, nil, invalidCredentials()
	default:
		return "", nil, nil, err
	}
	logArgs := []any{"account", u.AccountID, "user", u.ID, "remote", remoteIP}
	ok, err := s.hasher.Verify(u.PasswordHash, pw)
	if err != nil {
		return "", nil, nil, fmt.Errorf("auth: verify password of user %d: %w", u.ID, err)
	}
	if !ok {
		s.lockout.fail(key, remoteIP, now)
		if _, err := s.store.RecordLoginFailure(ctx, u.ID, now); err != nil {
			return "", nil, nil, err
		}
		s.log.Info("login failed: wrong password", logArgs...)
		return "", nil, nil, invalidCredentials()
	}
	if u.Disabled {
		s.log.Info("login refused: user disabled", logArgs...)
		return "", nil, nil, invalidCredentials()
	}
	s.lockout.succeed(key, remoteIP)
	if err := s.store.RecordLoginSuccess(ctx, u.ID, now); err != nil {
		return "", nil, nil, err
	}
	u.LastLoginAt = &now
	token, sess, err := s.startSession(ctx, u, remoteIP, now, now.Add(s.ttl))
	if err != nil {
		return "", nil, nil, err
	}
	s.log.Info("login", logArgs...)
	return token, sess, u, nil
}

func (s *Service) startSession(ctx context.Context, u *callfloor.User, remoteIP string, now, expires time.Time) (string, *callfloor.Session, error) {
	token := NewToken(SessionPrefix)
	sess := &callfloor.Session{
		AccountID:  u.AccountID,
		UserID:     u.ID,
		TokenHash:  HashToken(token),
		RemoteAddr: remoteIP,
		CreatedAt:  now,
		ExpiresAt:  expires,
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}
