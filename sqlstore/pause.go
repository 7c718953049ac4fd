package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/callfloor/callfloor"
)

const pauseCols = `id, account_id, name, code, threshold_seconds, productive, system`

func scanPause(sc scanner) (*callfloor.PauseReason, error) {
	var p callfloor.PauseReason
	err := sc.Scan(&p.ID, &p.AccountID, &p.Name, &p.Code, &p.ThresholdSeconds, &p.Productive, &p.System)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func loadPause(ctx context.Context, c conn, account, id int64) (*callfloor.PauseReason, error) {
	p, err := scanPause(c.row(ctx, `SELECT `+pauseCols+` FROM pause_reasons WHERE account_id = ? AND id = ?`, account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("pause reason", id)
	}
	if err != nil {
		return nil, dbErr("load pause reason", err)
	}
	return p, nil
}

// CreatePauseReason stores a pause reason of the caller's account. Only
// CreateAccount makes the system reason.
func (s *Store) CreatePauseReason(ctx context.Context, p *callfloor.PauseReason) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if p.System {
		return callfloor.FieldError(callfloor.ErrInvalidField, "system", "only the system makes system pause reasons")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	err = s.write(ctx, account, func(c conn) error {
		if err := checkPause(ctx, c, account, p, 0); err != nil {
			return err
		}
		err := c.row(ctx, `INSERT INTO pause_reasons (account_id, name, name_key, code, threshold_seconds, productive, system)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			account, p.Name, foldKey(p.Name), p.Code, p.ThresholdSeconds, p.Productive, false).Scan(&p.ID)
		if err != nil {
			return dbErr("insert pause reason", err)
		}
		return nil
	})
	if err != nil {
		p.ID = 0
		return err
	}
	p.AccountID = account
	return nil
}

// checkPause requires a code and a name (ignoring case) no other reason of
// the account has.
func checkPause(ctx context.Context, c conn, account int64, p *callfloor.PauseReason, self int64) error {
	taken, err := c.exists(ctx, `SELECT 1 FROM pause_reasons WHERE account_id = ? AND code = ? AND id <> ?`, account, p.Code, self)
	if err != nil {
		return dbErr("check pause code", err)
	}
	if taken {
		return callfloor.FieldError(callfloor.ErrPauseCodeTaken, "code", "another pause reason has code %d", p.Code)
	}
	taken, err = c.exists(ctx, `SELECT 1 FROM pause_reasons WHERE account_id = ? AND name_key = ? AND id <> ?`, account, foldKey(p.Name), self)
	if err != nil {
		return dbErr("check pause name", err)
	}
	if taken {
		return callfloor.FieldError(callfloor.ErrNameTaken, "name", "another pause reason is named %q", p.Name)
	}
	return nil
}

// FindPauseReasonByID returns one pause reason of the caller's account.
func (s *Store) FindPauseReasonByID(ctx context.Context, id int64) (*callfloor.PauseReason, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var p *callfloor.PauseReason
	err = s.read(ctx, func(c conn) (err error) {
		p, err = loadPause(ctx, c, account, id)
		return err
	})
	return p, err
}

// ListPauseReasons returns the pause reasons of the caller's account by
// code, Wrapup (code 0) first.
func (s *Store) ListPauseReasons(ctx context.Context) ([]*callfloor.PauseReason, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	list := []*callfloor.PauseReason{}
	err = s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT `+pauseCols+` FROM pause_reasons WHERE account_id = ? ORDER BY code, id`, account)
		if err != nil {
			return dbErr("list pause reasons", err)
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPause(rows)
			if err != nil {
				return dbErr("list pause reasons", err)
			}
			list = append(list, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// UpdatePauseReason lets fn change a pause reason other than the system
// one. ID, AccountID and System are kept.
func (s *Store) UpdatePauseReason(ctx context.Context, id int64, fn func(*callfloor.PauseReason) error) (*callfloor.PauseReason, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.PauseReason
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadPause(ctx, c, account, id)
		if err != nil {
			return err
		}
		if old.System {
			return systemReason()
		}
		p := *old
		if err := fn(&p); err != nil {
			return err
		}
		p.ID, p.AccountID, p.System = old.ID, old.AccountID, old.System
		if err := p.Validate(); err != nil {
			return err
		}
		if err := checkPause(ctx, c, account, &p, id); err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE pause_reasons SET name = ?, name_key = ?, code = ?, threshold_seconds = ?, productive = ?
			WHERE account_id = ? AND id = ?`, p.Name, foldKey(p.Name), p.Code, p.ThresholdSeconds, p.Productive, account, id)
		if err != nil {
			return dbErr("update pause reason", err)
		}
		out = &p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func systemReason() error {
	return callfloor.Errorf(callfloor.ErrSystemReason, "the system pause reason %s cannot be changed or deleted", callfloor.WrapupReasonName)
}

// DeletePauseReason removes a pause reason other than the system one.
func (s *Store) DeletePauseReason(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		p, err := loadPause(ctx, c, account, id)
		if err != nil {
			return err
		}
		if p.System {
			return systemReason()
		}
		if _, err := c.exec(ctx, `DELETE FROM pause_reasons WHERE account_id = ? AND id = ?`, account, id); err != nil {
			return dbErr("delete pause reason", err)
		}
		return nil
	})
}
