package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/callfloor/callfloor"
)

// FindCredentials finds a user by account name (ignoring case) and
// username, whether enabled or not, with the user's run of failed logins.
func (s *Store) FindCredentials(ctx context.Context, accountName, username string) (*callfloor.User, *callfloor.LoginState, error) {
	var u *callfloor.User
	var st *callfloor.LoginState
	err := s.read(ctx, func(c conn) (err error) {
		u, st, err = scanUser(c.row(ctx, `SELECT `+userCols+` FROM users u JOIN accounts a ON a.id = u.account_id
			WHERE a.name_key = ? AND u.username = ?`, foldKey(accountName), foldKey(username)))
		if errors.Is(err, sql.ErrNoRows) {
			return callfloor.Errorf(callfloor.ErrNotFound, "no such account and user")
		}
		if err != nil {
			return dbErr("find credentials", err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return u, st, nil
}

// RecordLoginFailure counts a failed login. The MaxLoginFailures-th in a
// row locks the user until now+LoginLockout and starts the count again.
func (s *Store) RecordLoginFailure(ctx context.Context, userID int64, now time.Time) (*callfloor.LoginState, error) {
	st := &callfloor.LoginState{}
	err := s.write(ctx, 0, func(c conn) error {
		var locked sql.NullInt64
		err := c.row(ctx, `UPDATE users SET login_failures = login_failures + 1 WHERE id = ?
			RETURNING login_failures, locked_until`, userID).Scan(&st.Failures, &locked)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("user", userID)
		}
		if err != nil {
			return dbErr("record login failure", err)
		}
		if locked.Valid {
			st.LockedUntil = fromMS(locked.Int64)
		}
		if st.Failures < callfloor.MaxLoginFailures {
			return nil
		}
		st.Failures, st.LockedUntil = 0, truncMS(now.Add(callfloor.LoginLockout))
		_, err = c.exec(ctx, `UPDATE users SET login_failures = 0, locked_until = ? WHERE id = ?`, toMS(st.LockedUntil), userID)
		if err != nil {
			return dbErr("lock user", err)
		}
		s.log.InfoContext(ctx, "user locked after failed logins", "user", userID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// RecordLoginSuccess clears the failure count and lockout and sets the
// user's last login.
func (s *Store) RecordLoginSuccess(ctx context.Context, userID int64, now time.Time) error {
	return s.write(ctx, 0, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE users SET login_failures = 0, locked_until = NULL, last_login_at = ? WHERE id = ?`,
			toMS(now), userID)
		if err != nil {
			return dbErr("record login", err)
		}
		return mustAffect(res, "user", userID)
	})
}

// mustAffect turns an UPDATE or DELETE that matched nothing into
// ErrNotFound.
func mustAffect(res sql.Result, what string, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return dbErr("rows affected", err)
	}
	if n == 0 {
		return notFound(what, id)
	}
	return nil
}

// CreateSession stores a session of a user; only its token hash is kept.
// A zero CreatedAt is set from the store's clock.
func (s *Store) CreateSession(ctx context.Context, ses *callfloor.Session) error {
	if len(ses.TokenHash) == 0 {
		return errors.New("sqlstore: session without a token hash")
	}
	if ses.CreatedAt.IsZero() {
		ses.CreatedAt = s.clock.Now()
	}
	ses.CreatedAt, ses.ExpiresAt = truncMS(ses.CreatedAt), truncMS(ses.ExpiresAt)
	return s.write(ctx, ses.AccountID, func(c conn) error {
		ok, err := inAccount(ctx, c, "users", ses.AccountID, ses.UserID)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("user", ses.UserID)
		}
		err = c.row(ctx, `INSERT INTO sessions (account_id, user_id, token_hash, remote_addr, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, ses.AccountID, ses.UserID, ses.TokenHash, ses.RemoteAddr,
			toMS(ses.CreatedAt), toMS(ses.ExpiresAt)).Scan(&ses.ID)
		if err != nil {
			return dbErr("insert session", err)
		}
		return nil
	})
}

// FindSession returns the unexpired session with the token hash and its
// user, who must be enabled.
func (s *Store) FindSession(ctx context.Context, tokenHash []byte, now time.Time) (*callfloor.Session, *callfloor.User, error) {
	var ses callfloor.Session
	var u *callfloor.User
	err := s.read(ctx, func(c conn) error {
		var created, expires int64
		err := c.row(ctx, `SELECT id, account_id, user_id, token_hash, remote_addr, created_at, expires_at
			FROM sessions WHERE token_hash = ? AND expires_at > ?`, tokenHash, toMS(now)).
			Scan(&ses.ID, &ses.AccountID, &ses.UserID, &ses.TokenHash, &ses.RemoteAddr, &created, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return callfloor.Errorf(callfloor.ErrNotFound, "no such session")
		}
		if err != nil {
			return dbErr("find session", err)
		}
		ses.CreatedAt, ses.ExpiresAt = fromMS(created), fromMS(expires)
		u, err = enabledUser(ctx, c, ses.AccountID, ses.UserID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return &ses, u, nil
}

// enabledUser loads a user for authentication: a disabled one is not
// found.
func enabledUser(ctx context.Context, c conn, account, id int64) (*callfloor.User, error) {
	u, err := loadUser(ctx, c, account, id)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, notFound("user", id)
	}
	return u, nil
}

// DeleteSession ends the session with the token hash; ending one that is
// already gone is not an error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	return s.write(ctx, 0, func(c conn) error {
		_, err := c.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
		if err != nil {
			return dbErr("delete session", err)
		}
		return nil
	})
}

// DeleteUserSessions ends every session of a user.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	return s.write(ctx, 0, func(c conn) error {
		_, err := c.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
		if err != nil {
			return dbErr("delete user sessions", err)
		}
		return nil
	})
}

// FindAPIToken returns the token with the hash and its enabled user, and
// records now as its last use.
func (s *Store) FindAPIToken(ctx context.Context, tokenHash []byte, now time.Time) (*callfloor.APIToken, *callfloor.User, error) {
	var t *callfloor.APIToken
	var u *callfloor.User
	err := s.write(ctx, 0, func(c conn) error {
		var err error
		t, err = scanToken(c.row(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE token_hash = ?`, tokenHash))
		if errors.Is(err, sql.ErrNoRows) {
			return callfloor.Errorf(callfloor.ErrNotFound, "no such API token")
		}
		if err != nil {
			return dbErr("find API token", err)
		}
		if u, err = enabledUser(ctx, c, t.AccountID, t.UserID); err != nil {
			return err
		}
		used := truncMS(now)
		if _, err := c.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, toMS(used), t.ID); err != nil {
			return dbErr("mark API token used", err)
		}
		t.LastUsedAt = &used
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return t, u, nil
}
