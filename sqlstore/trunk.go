package sqlstore

import (
	"context"

	"github.com/callfloor/callfloor"
)

const trunkCols = `id, account_id, name, host, transport, auth, username, auth_username, password, realm, domain,
	expiry_seconds, default_caller_id, strip_digits, prefix, enabled, created_at, updated_at`

func scanTrunk(sc scanner) (*callfloor.Trunk, error) {
	t := &callfloor.Trunk{AllowedSources: []string{}}
	var created, updated int64
	err := sc.Scan(&t.ID, &t.AccountID, &t.Name, &t.Host, &t.Transport, &t.Auth, &t.Username, &t.AuthUsername,
		&t.Password, &t.Realm, &t.Domain, &t.ExpirySeconds, &t.DefaultCallerID, &t.StripDigits, &t.Prefix,
		&t.Enabled, &created, &updated)
	if err != nil {
		return nil, err
	}
	t.HasPassword = t.Password != ""
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	return t, nil
}

// loadTrunks loads the trunks that where selects (with args), ordered by
// account and name, with their sources.
func loadTrunks(ctx context.Context, c conn, where string, args ...any) ([]*callfloor.Trunk, error) {
	rows, err := c.query(ctx, `SELECT `+trunkCols+` FROM trunks WHERE `+where+` ORDER BY account_id, name_key, id`, args...)
	if err != nil {
		return nil, dbErr("load trunks", err)
	}
	defer rows.Close()
	list := []*callfloor.Trunk{}
	byID := map[int64]*callfloor.Trunk{}
	for rows.Next() {
		t, err := scanTrunk(rows)
		if err != nil {
			return nil, dbErr("load trunks", err)
		}
		if t.Password, err = c.box.open(t.Password); err != nil {
			// The trunk still lists, with a password to set again; it
			// cannot register until then. The value is never logged.
			if c.log != nil {
				c.log.WarnContext(ctx, "trunk password cannot be opened with this server's secret key; set it again",
					"account", t.AccountID, "trunk", t.ID)
			}
		}
		list = append(list, t)
		byID[t.ID] = t
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("load trunks", err)
	}
	if len(list) == 0 {
		return list, nil
	}
	src, err := c.query(ctx, `SELECT trunk_id, source FROM trunk_sources WHERE trunk_id IN (SELECT id FROM trunks WHERE `+where+`)
		ORDER BY trunk_id, position`, args...)
	if err != nil {
		return nil, dbErr("load trunk sources", err)
	}
	defer src.Close()
	for src.Next() {
		var id int64
		var s string
		if err := src.Scan(&id, &s); err != nil {
			return nil, dbErr("load trunk sources", err)
		}
		if t := byID[id]; t != nil {
			t.AllowedSources = append(t.AllowedSources, s)
		}
	}
	if err := src.Err(); err != nil {
		return nil, dbErr("load trunk sources", err)
	}
	return list, nil
}

func loadTrunk(ctx context.Context, c conn, account, id int64) (*callfloor.Trunk, error) {
	list, err := loadTrunks(ctx, c, `account_id = ? AND id = ?`, account, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, notFound("trunk", id)
	}
	return list[0], nil
}

func checkTrunkName(ctx context.Context, c conn, account int64, name string, self int64) error {
	taken, err := c.exists(ctx, `SELECT 1 FROM trunks WHERE account_id = ? AND name_key = ? AND id <> ?`, account, foldKey(name), self)
	if err != nil {
		return dbErr("check trunk name", err)
	}
	if taken {
		return callfloor.FieldError(callfloor.ErrNameTaken, "name", "another trunk is named %q", name)
	}
	return nil
}

func writeTrunkSources(ctx context.Context, c conn, account, trunk int64, sources []string) error {
	if _, err := c.exec(ctx, `DELETE FROM trunk_sources WHERE account_id = ? AND trunk_id = ?`, account, trunk); err != nil {
		return dbErr("replace trunk sources", err)
	}
	for i, s := range sources {
		_, err := c.exec(ctx, `INSERT INTO trunk_sources (trunk_id, account_id, position, source) VALUES (?, ?, ?, ?)`,
			trunk, account, i, s)
		if err != nil {
			return dbErr("insert trunk source", err)
		}
	}
	return nil
}

// CreateTrunk stores a trunk of the caller's account; its name is unique
// in the account, ignoring case.
func (s *Store) CreateTrunk(ctx context.Context, t *callfloor.Trunk) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	now := s.now()
	stored, err := s.box.seal(t.Password)
	if err != nil {
		return err
	}
	err = s.write(ctx, account, func(c conn) error {
		if err := checkTrunkName(ctx, c, account, t.Name, 0); err != nil {
			return err
		}
		err := c.row(ctx, `INSERT INTO trunks (account_id, name, name_key, host, transport, auth, username, auth_username,
			password, realm, domain, expiry_seconds, default_caller_id, strip_digits, prefix, enabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			account, t.Name, foldKey(t.Name), t.Host, string(t.Transport), string(t.Auth), t.Username, t.AuthUsername,
			stored, t.Realm, t.Domain, t.ExpirySeconds, t.DefaultCallerID, t.StripDigits, t.Prefix, t.Enabled,
			toMS(now), toMS(now)).Scan(&t.ID)
		if err != nil {
			return dbErr("insert trunk", err)
		}
		if err := c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeTrunk, AccountID: account, ID: t.ID}); err != nil {
			return err
		}
		return writeTrunkSources(ctx, c, account, t.ID, t.AllowedSources)
	})
	if err != nil {
		t.ID = 0
		return err
	}
	t.AccountID, t.HasPassword = account, t.Password != ""
	t.CreatedAt, t.UpdatedAt = now, now
	return nil
}

// FindTrunkByID returns one trunk of the caller's account.
func (s *Store) FindTrunkByID(ctx context.Context, id int64) (*callfloor.Trunk, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var t *callfloor.Trunk
	err = s.read(ctx, func(c conn) (err error) {
		t, err = loadTrunk(ctx, c, account, id)
		return err
	})
	return t, err
}

// ListTrunks returns the trunks of the caller's account by name.
func (s *Store) ListTrunks(ctx context.Context) ([]*callfloor.Trunk, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var list []*callfloor.Trunk
	err = s.read(ctx, func(c conn) (err error) {
		list, err = loadTrunks(ctx, c, `account_id = ?`, account)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// UpdateTrunk lets fn change a trunk. ID, AccountID and CreatedAt are
// kept; fn sees the stored password and sources.
func (s *Store) UpdateTrunk(ctx context.Context, id int64, fn func(*callfloor.Trunk) error) (*callfloor.Trunk, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.Trunk
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadTrunk(ctx, c, account, id)
		if err != nil {
			return err
		}
		t := *old
		t.AllowedSources = append([]string{}, old.AllowedSources...)
		if err := fn(&t); err != nil {
			return err
		}
		t.ID, t.AccountID, t.CreatedAt = old.ID, old.AccountID, old.CreatedAt
		if err := t.Validate(); err != nil {
			return err
		}
		if err := checkTrunkName(ctx, c, account, t.Name, id); err != nil {
			return err
		}
		stored, err := s.box.seal(t.Password)
		if err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE trunks SET name = ?, name_key = ?, host = ?, transport = ?, auth = ?, username = ?,
			auth_username = ?, password = ?, realm = ?, domain = ?, expiry_seconds = ?, default_caller_id = ?,
			strip_digits = ?, prefix = ?, enabled = ?, updated_at = ? WHERE account_id = ? AND id = ?`,
			t.Name, foldKey(t.Name), t.Host, string(t.Transport), string(t.Auth), t.Username,
			t.AuthUsername, stored, t.Realm, t.Domain, t.ExpirySeconds, t.DefaultCallerID,
			t.StripDigits, t.Prefix, t.Enabled, toMS(s.now()), account, id)
		if err != nil {
			return dbErr("update trunk", err)
		}
		if err := writeTrunkSources(ctx, c, account, id, t.AllowedSources); err != nil {
			return err
		}
		if err := c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeTrunk, AccountID: account, ID: id}); err != nil {
			return err
		}
		out, err = loadTrunk(ctx, c, account, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteTrunk removes a trunk that no inbound number is bound to.
func (s *Store) DeleteTrunk(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		ok, err := inAccount(ctx, c, "trunks", account, id)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("trunk", id)
		}
		n, err := count(ctx, c, "count trunk numbers", `SELECT COUNT(*) FROM inbound_numbers WHERE account_id = ? AND trunk_id = ?`, account, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return callfloor.Errorf(callfloor.ErrInUse, "%d inbound numbers arrive on the trunk; move or delete them first", n)
		}
		for _, q := range []string{
			`DELETE FROM trunk_sources WHERE account_id = ? AND trunk_id = ?`,
			`DELETE FROM trunks WHERE account_id = ? AND id = ?`,
		} {
			if _, err := c.exec(ctx, q, account, id); err != nil {
				return dbErr("delete trunk", err)
			}
		}
		return c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeTrunk, AccountID: account, ID: id})
	})
}

// SealTrunkPasswords seals the trunk passwords stored in clear (before the
// store had a secret key), in every account, and returns how many it
// sealed. Without a key it does nothing. It tells no watcher: the
// passwords read back the same.
func (s *Store) SealTrunkPasswords(ctx context.Context) (int, error) {
	if s.box == nil {
		return 0, nil
	}
	n := 0
	err := s.write(ctx, 0, func(c conn) error {
		rows, err := c.query(ctx, `SELECT id, password FROM trunks WHERE password <> ''`)
		if err != nil {
			return dbErr("read trunk passwords", err)
		}
		plain := map[int64]string{}
		for rows.Next() {
			var id int64
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return dbErr("read trunk passwords", err)
			}
			if !sealed(v) {
				plain[id] = v
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dbErr("read trunk passwords", err)
		}
		for id, v := range plain {
			stored, err := s.box.seal(v)
			if err != nil {
				return err
			}
			if _, err := c.exec(ctx, `UPDATE trunks SET password = ? WHERE id = ?`, stored, id); err != nil {
				return dbErr("seal trunk password", err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
