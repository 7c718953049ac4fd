package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/callfloor/callfloor"
)

const userCols = `u.id, u.account_id, u.username, u.name, u.email, u.role, u.extension_id, u.disabled,
	u.password_hash, u.last_login_at, u.created_at, u.updated_at, u.login_failures, u.locked_until`

func scanUser(sc scanner) (*callfloor.User, *callfloor.LoginState, error) {
	var u callfloor.User
	var st callfloor.LoginState
	var ext, lastLogin, locked sql.NullInt64
	var created, updated int64
	err := sc.Scan(&u.ID, &u.AccountID, &u.Username, &u.Name, &u.Email, &u.Role, &ext, &u.Disabled,
		&u.PasswordHash, &lastLogin, &created, &updated, &st.Failures, &locked)
	if err != nil {
		return nil, nil, err
	}
	u.ExtensionID, u.LastLoginAt = idPtr(ext), timePtr(lastLogin)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	if locked.Valid {
		st.LockedUntil = fromMS(locked.Int64)
	}
	return &u, &st, nil
}

func loadUser(ctx context.Context, c conn, account, id int64) (*callfloor.User, error) {
	u, _, err := scanUser(c.row(ctx, `SELECT `+userCols+` FROM users u WHERE u.account_id = ? AND u.id = ?`, account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user", id)
	}
	if err != nil {
		return nil, dbErr("load user", err)
	}
	return u, nil
}

// CreateUser stores a user of the caller's account.
func (s *Store) CreateUser(ctx context.Context, u *callfloor.User) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	now := s.now()
	err = s.write(ctx, account, func(c conn) error {
		if err := checkUser(ctx, c, account, u, 0); err != nil {
			return err
		}
		err := c.row(ctx, `INSERT INTO users (account_id, username, name, email, role, extension_id, disabled,
			password_hash, login_failures, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id`,
			account, u.Username, u.Name, u.Email, string(u.Role), nullID(u.ExtensionID), u.Disabled,
			u.PasswordHash, toMS(now), toMS(now)).Scan(&u.ID)
		if err != nil {
			return dbErr("insert user", err)
		}
		return nil
	})
	if err != nil {
		u.ID = 0
		return err
	}
	u.AccountID, u.LastLoginAt = account, nil
	u.CreatedAt, u.UpdatedAt = now, now
	return nil
}

// checkUser applies the rules that span rows to u; self is its ID on
// update.
func checkUser(ctx context.Context, c conn, account int64, u *callfloor.User, self int64) error {
	taken, err := c.exists(ctx, `SELECT 1 FROM users WHERE account_id = ? AND username = ? AND id <> ?`, account, u.Username, self)
	if err != nil {
		return dbErr("check username", err)
	}
	if taken {
		return callfloor.FieldError(callfloor.ErrUsernameTaken, "username", "username %q is taken in the account", u.Username)
	}
	if u.ExtensionID == nil {
		return nil
	}
	if err := checkRef(ctx, c, "extensions", "extension_id", account, u.ExtensionID); err != nil {
		return err
	}
	if u.Role == callfloor.RoleAgent {
		agent, err := c.exists(ctx, `SELECT 1 FROM extensions WHERE id = ? AND agent_enabled`, *u.ExtensionID)
		if err != nil {
			return dbErr("check agent extension", err)
		}
		if !agent {
			return callfloor.FieldError(callfloor.ErrInvalidField, "extension_id", "an agent user needs an extension with the agent feature enabled")
		}
	}
	bound, err := c.exists(ctx, `SELECT 1 FROM users WHERE extension_id = ? AND id <> ?`, *u.ExtensionID, self)
	if err != nil {
		return dbErr("check bound extension", err)
	}
	if bound {
		return callfloor.FieldError(callfloor.ErrExtensionBound, "extension_id", "the extension is bound to another user")
	}
	return nil
}

// FindUserByID returns one user of the caller's account.
func (s *Store) FindUserByID(ctx context.Context, id int64) (*callfloor.User, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var u *callfloor.User
	err = s.read(ctx, func(c conn) (err error) {
		u, err = loadUser(ctx, c, account, id)
		return err
	})
	return u, err
}

// ListUsers returns the users of the caller's account by username.
func (s *Store) ListUsers(ctx context.Context) ([]*callfloor.User, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	list := []*callfloor.User{}
	err = s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT `+userCols+` FROM users u WHERE u.account_id = ? ORDER BY u.username, u.id`, account)
		if err != nil {
			return dbErr("list users", err)
		}
		defer rows.Close()
		for rows.Next() {
			u, _, err := scanUser(rows)
			if err != nil {
				return dbErr("list users", err)
			}
			list = append(list, u)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// UpdateUser lets fn change the user. ID, AccountID, CreatedAt and
// LastLoginAt are kept; the account keeps an enabled admin.
func (s *Store) UpdateUser(ctx context.Context, id int64, fn func(*callfloor.User) error) (*callfloor.User, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.User
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadUser(ctx, c, account, id)
		if err != nil {
			return err
		}
		u := *old
		u.ExtensionID = cloneID(old.ExtensionID)
		if err := fn(&u); err != nil {
			return err
		}
		u.ID, u.AccountID, u.CreatedAt, u.LastLoginAt = old.ID, old.AccountID, old.CreatedAt, old.LastLoginAt
		if err := u.Validate(); err != nil {
			return err
		}
		if err := checkUser(ctx, c, account, &u, id); err != nil {
			return err
		}
		if isActiveAdmin(old) && !isActiveAdmin(&u) {
			field := "role"
			if u.Disabled {
				field = "disabled"
			}
			if err := checkOtherAdmin(ctx, c, account, id, field); err != nil {
				return err
			}
		}
		u.UpdatedAt = s.now()
		_, err = c.exec(ctx, `UPDATE users SET username = ?, name = ?, email = ?, role = ?, extension_id = ?,
			disabled = ?, password_hash = ?, updated_at = ? WHERE account_id = ? AND id = ?`,
			u.Username, u.Name, u.Email, string(u.Role), nullID(u.ExtensionID), u.Disabled, u.PasswordHash,
			toMS(u.UpdatedAt), account, id)
		if err != nil {
			return dbErr("update user", err)
		}
		// A new password is a fresh start: a lockout from failures with
		// the old one no longer holds.
		if u.PasswordHash != old.PasswordHash {
			if _, err := c.exec(ctx, `UPDATE users SET login_failures = 0, locked_until = NULL WHERE account_id = ? AND id = ?`,
				account, id); err != nil {
				return dbErr("clear login failures", err)
			}
		}
		out = &u
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func isActiveAdmin(u *callfloor.User) bool { return u.Role == callfloor.RoleAdmin && !u.Disabled }

// checkOtherAdmin fails with last_admin unless the account has an enabled
// admin other than self.
func checkOtherAdmin(ctx context.Context, c conn, account, self int64, field string) error {
	n, err := count(ctx, c, "count admins", `SELECT COUNT(*) FROM users WHERE account_id = ? AND role = ? AND NOT disabled AND id <> ?`,
		account, string(callfloor.RoleAdmin), self)
	if err != nil {
		return err
	}
	if n == 0 {
		return callfloor.FieldError(callfloor.ErrLastAdmin, field, "the account must keep at least one enabled admin")
	}
	return nil
}

// DeleteUser removes a user with its sessions and API tokens.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		u, err := loadUser(ctx, c, account, id)
		if err != nil {
			return err
		}
		if isActiveAdmin(u) {
			if err := checkOtherAdmin(ctx, c, account, id, ""); err != nil {
				return err
			}
		}
		for _, q := range []string{
			`DELETE FROM sessions WHERE user_id = ?`,
			`DELETE FROM api_tokens WHERE user_id = ?`,
			`DELETE FROM users WHERE id = ?`,
		} {
			if _, err := c.exec(ctx, q, id); err != nil {
				return dbErr("delete user", err)
			}
		}
		return nil
	})
}
