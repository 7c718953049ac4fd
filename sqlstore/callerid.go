package sqlstore

import (
	"context"

	"github.com/callfloor/callfloor"
)

// loadPools loads the account's caller-ID pools, or the one with id when
// id is not 0, with their numbers in order.
func loadPools(ctx context.Context, c conn, account, id int64) ([]*callfloor.CallerIDPool, error) {
	where, args := `account_id = ?`, []any{account}
	if id != 0 {
		where, args = where+` AND id = ?`, append(args, id)
	}
	rows, err := c.query(ctx, `SELECT id, account_id, name FROM caller_id_pools WHERE `+where+` ORDER BY name_key, id`, args...)
	if err != nil {
		return nil, dbErr("load caller-ID pools", err)
	}
	defer rows.Close()
	list := []*callfloor.CallerIDPool{}
	byID := map[int64]*callfloor.CallerIDPool{}
	for rows.Next() {
		p := &callfloor.CallerIDPool{Numbers: []string{}}
		if err := rows.Scan(&p.ID, &p.AccountID, &p.Name); err != nil {
			return nil, dbErr("load caller-ID pools", err)
		}
		list = append(list, p)
		byID[p.ID] = p
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("load caller-ID pools", err)
	}
	if len(list) == 0 {
		return list, nil
	}
	where = `account_id = ?`
	if id != 0 {
		where = `account_id = ? AND pool_id = ?`
	}
	nums, err := c.query(ctx, `SELECT pool_id, number FROM caller_id_numbers WHERE `+where+` ORDER BY pool_id, position`, args...)
	if err != nil {
		return nil, dbErr("load caller-ID numbers", err)
	}
	defer nums.Close()
	for nums.Next() {
		var pid int64
		var n string
		if err := nums.Scan(&pid, &n); err != nil {
			return nil, dbErr("load caller-ID numbers", err)
		}
		if p := byID[pid]; p != nil {
			p.Numbers = append(p.Numbers, n)
		}
	}
	if err := nums.Err(); err != nil {
		return nil, dbErr("load caller-ID numbers", err)
	}
	return list, nil
}

func loadPool(ctx context.Context, c conn, account, id int64) (*callfloor.CallerIDPool, error) {
	list, err := loadPools(ctx, c, account, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, notFound("caller-ID pool", id)
	}
	return list[0], nil
}

func checkPoolName(ctx context.Context, c conn, account int64, name string, self int64) error {
	taken, err := c.exists(ctx, `SELECT 1 FROM caller_id_pools WHERE account_id = ? AND name_key = ? AND id <> ?`, account, foldKey(name), self)
	if err != nil {
		return dbErr("check pool name", err)
	}
	if taken {
		return callfloor.FieldError(callfloor.ErrNameTaken, "name", "another caller-ID pool is named %q", name)
	}
	return nil
}

func writeNumbers(ctx context.Context, c conn, account, pool int64, numbers []string) error {
	if _, err := c.exec(ctx, `DELETE FROM caller_id_numbers WHERE account_id = ? AND pool_id = ?`, account, pool); err != nil {
		return dbErr("replace caller-ID numbers", err)
	}
	for i, n := range numbers {
		_, err := c.exec(ctx, `INSERT INTO caller_id_numbers (account_id, pool_id, position, number) VALUES (?, ?, ?, ?)`,
			account, pool, i, n)
		if err != nil {
			return dbErr("insert caller-ID number", err)
		}
	}
	return nil
}

// CreateCallerIDPool stores a pool of the caller's account; its name is
// unique in the account, ignoring case.
func (s *Store) CreateCallerIDPool(ctx context.Context, p *callfloor.CallerIDPool) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	err = s.write(ctx, account, func(c conn) error {
		if err := checkPoolName(ctx, c, account, p.Name, 0); err != nil {
			return err
		}
		err := c.row(ctx, `INSERT INTO caller_id_pools (account_id, name, name_key) VALUES (?, ?, ?) RETURNING id`,
			account, p.Name, foldKey(p.Name)).Scan(&p.ID)
		if err != nil {
			return dbErr("insert caller-ID pool", err)
		}
		if err := writeNumbers(ctx, c, account, p.ID, p.Numbers); err != nil {
			return err
		}
		return c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeCallerIDPool, AccountID: account, ID: p.ID})
	})
	if err != nil {
		p.ID = 0
		return err
	}
	p.AccountID = account
	return nil
}

// FindCallerIDPoolByID returns one pool of the caller's account.
func (s *Store) FindCallerIDPoolByID(ctx context.Context, id int64) (*callfloor.CallerIDPool, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var p *callfloor.CallerIDPool
	err = s.read(ctx, func(c conn) (err error) {
		p, err = loadPool(ctx, c, account, id)
		return err
	})
	return p, err
}

// ListCallerIDPools returns the pools of the caller's account by name.
func (s *Store) ListCallerIDPools(ctx context.Context) ([]*callfloor.CallerIDPool, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var list []*callfloor.CallerIDPool
	err = s.read(ctx, func(c conn) (err error) {
		list, err = loadPools(ctx, c, account, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// UpdateCallerIDPool lets fn change a pool; its numbers are replaced by
// fn's list. ID and AccountID are kept.
func (s *Store) UpdateCallerIDPool(ctx context.Context, id int64, fn func(*callfloor.CallerIDPool) error) (*callfloor.CallerIDPool, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.CallerIDPool
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadPool(ctx, c, account, id)
		if err != nil {
			return err
		}
		p := *old
		p.Numbers = append([]string{}, old.Numbers...)
		if err := fn(&p); err != nil {
			return err
		}
		p.ID, p.AccountID = old.ID, old.AccountID
		if err := p.Validate(); err != nil {
			return err
		}
		if err := checkPoolName(ctx, c, account, p.Name, id); err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE caller_id_pools SET name = ?, name_key = ? WHERE account_id = ? AND id = ?`,
			p.Name, foldKey(p.Name), account, id)
		if err != nil {
			return dbErr("update caller-ID pool", err)
		}
		if err := writeNumbers(ctx, c, account, id, p.Numbers); err != nil {
			return err
		}
		if err := c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeCallerIDPool, AccountID: account, ID: id}); err != nil {
			return err
		}
		out = &p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteCallerIDPool removes a pool that no extension uses.
func (s *Store) DeleteCallerIDPool(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		ok, err := inAccount(ctx, c, "caller_id_pools", account, id)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("caller-ID pool", id)
		}
		n, err := count(ctx, c, "count pool users", `SELECT COUNT(*) FROM extensions WHERE account_id = ? AND caller_id_pool_id = ?`, account, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return callfloor.Errorf(callfloor.ErrInUse, "%d extensions use the caller-ID pool", n)
		}
		n, err = count(ctx, c, "count pool campaigns", `SELECT COUNT(*) FROM campaigns WHERE account_id = ? AND caller_id_pool_id = ?`, account, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return callfloor.Errorf(callfloor.ErrInUse, "%d campaigns use the caller-ID pool", n)
		}
		for _, q := range []string{
			`DELETE FROM caller_id_numbers WHERE account_id = ? AND pool_id = ?`,
			`DELETE FROM caller_id_pools WHERE account_id = ? AND id = ?`,
		} {
			if _, err := c.exec(ctx, q, account, id); err != nil {
				return dbErr("delete caller-ID pool", err)
			}
		}
		return c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeCallerIDPool, AccountID: account, ID: id})
	})
}
