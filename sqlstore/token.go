package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/callfloor/callfloor"
)

const tokenCols = `id, account_id, user_id, name, prefix, token_hash, last_used_at, created_at`

func scanToken(sc scanner) (*callfloor.APIToken, error) {
	var t callfloor.APIToken
	var used sql.NullInt64
	var created int64
	if err := sc.Scan(&t.ID, &t.AccountID, &t.UserID, &t.Name, &t.Prefix, &t.TokenHash, &used, &created); err != nil {
		return nil, err
	}
	t.LastUsedAt, t.CreatedAt = timePtr(used), fromMS(created)
	return &t, nil
}

// CreateAPIToken stores a token of the context's user; only its hash is
// kept.
func (s *Store) CreateAPIToken(ctx context.Context, t *callfloor.APIToken) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	actor, _ := callfloor.ActorFrom(ctx)
	if actor.UserID == 0 {
		return callfloor.Errorf(callfloor.ErrForbidden, "API tokens belong to a user; the system actor has none")
	}
	if err := t.Validate(); err != nil {
		return err
	}
	if len(t.TokenHash) == 0 {
		return errors.New("sqlstore: API token without a hash")
	}
	now := s.now()
	err = s.write(ctx, account, func(c conn) error {
		if _, err := loadUser(ctx, c, account, actor.UserID); err != nil {
			return err
		}
		err := c.row(ctx, `INSERT INTO api_tokens (account_id, user_id, name, prefix, token_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, account, actor.UserID, t.Name, t.Prefix, t.TokenHash, toMS(now)).Scan(&t.ID)
		if err != nil {
			return dbErr("insert API token", err)
		}
		return nil
	})
	if err != nil {
		t.ID = 0
		return err
	}
	t.AccountID, t.UserID, t.CreatedAt, t.LastUsedAt = account, actor.UserID, now, nil
	return nil
}

// ListAPITokens returns the tokens of the caller's account by name.
func (s *Store) ListAPITokens(ctx context.Context) ([]*callfloor.APIToken, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	list := []*callfloor.APIToken{}
	err = s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE account_id = ? ORDER BY name, id`, account)
		if err != nil {
			return dbErr("list API tokens", err)
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanToken(rows)
			if err != nil {
				return dbErr("list API tokens", err)
			}
			list = append(list, t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// DeleteAPIToken revokes a token of the caller's account.
func (s *Store) DeleteAPIToken(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM api_tokens WHERE account_id = ? AND id = ?`, account, id)
		if err != nil {
			return dbErr("delete API token", err)
		}
		return mustAffect(res, "API token", id)
	})
}
