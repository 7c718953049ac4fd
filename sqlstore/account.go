package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/callfloor/callfloor"
)

const accountCols = `a.id, a.name, a.time_zone, a.licence_kind, a.agent_licences,
	(SELECT COUNT(*) FROM extensions e WHERE e.account_id = a.id AND e.agent_enabled),
	a.created_at, a.updated_at`

func scanAccount(sc scanner) (*callfloor.Account, error) {
	var a callfloor.Account
	var created, updated int64
	err := sc.Scan(&a.ID, &a.Name, &a.TimeZone, &a.LicenceKind, &a.AgentLicences,
		&a.AgentsInUse, &created, &updated)
	if err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	return &a, nil
}

func loadAccount(ctx context.Context, c conn, where string, arg any) (*callfloor.Account, error) {
	a, err := scanAccount(c.row(ctx, `SELECT `+accountCols+` FROM accounts a WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "account not found")
	}
	if err != nil {
		return nil, dbErr("load account", err)
	}
	return a, nil
}

// CreateAccount stores a new account with its system pause reason Wrapup.
func (s *Store) CreateAccount(ctx context.Context, a *callfloor.Account) error {
	if err := a.Validate(); err != nil {
		return err
	}
	now := s.now()
	err := s.write(ctx, 0, func(c conn) error {
		if err := checkAccountName(ctx, c, a.Name, 0); err != nil {
			return err
		}
		err := c.row(ctx, `INSERT INTO accounts (name, name_key, time_zone, licence_kind, agent_licences, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.Name, foldKey(a.Name), a.TimeZone, string(a.LicenceKind), a.AgentLicences, toMS(now), toMS(now)).Scan(&a.ID)
		if c.d.uniqueViolation(err) {
			return accountNameTaken(a.Name)
		}
		if err != nil {
			return dbErr("insert account", err)
		}
		_, err = c.exec(ctx, `INSERT INTO pause_reasons (account_id, name, name_key, code, threshold_seconds, productive, system)
			VALUES (?, ?, ?, 0, 0, ?, ?)`, a.ID, callfloor.WrapupReasonName, foldKey(callfloor.WrapupReasonName), true, true)
		if err != nil {
			return dbErr("insert system pause reason", err)
		}
		return nil
	})
	if err != nil {
		a.ID = 0
		return err
	}
	a.AgentsInUse = 0
	a.CreatedAt, a.UpdatedAt = now, now
	s.log.InfoContext(ctx, "account created", "account", a.ID)
	return nil
}

func checkAccountName(ctx context.Context, c conn, name string, self int64) error {
	taken, err := c.exists(ctx, `SELECT 1 FROM accounts WHERE name_key = ? AND id <> ?`, foldKey(name), self)
	if err != nil {
		return dbErr("check account name", err)
	}
	if taken {
		return accountNameTaken(name)
	}
	return nil
}

func accountNameTaken(name string) error {
	return callfloor.FieldError(callfloor.ErrAccountNameTaken, "name", "an account named %q already exists", name)
}

// FindAccountByID returns one account.
func (s *Store) FindAccountByID(ctx context.Context, id int64) (*callfloor.Account, error) {
	var a *callfloor.Account
	err := s.read(ctx, func(c conn) (err error) {
		a, err = loadAccount(ctx, c, `a.id = ?`, id)
		return err
	})
	return a, err
}

// FindAccountByName returns the account with the name, ignoring case.
func (s *Store) FindAccountByName(ctx context.Context, name string) (*callfloor.Account, error) {
	var a *callfloor.Account
	err := s.read(ctx, func(c conn) (err error) {
		a, err = loadAccount(ctx, c, `a.name_key = ?`, foldKey(name))
		return err
	})
	return a, err
}

// ListAccounts returns every account, by name.
func (s *Store) ListAccounts(ctx context.Context) ([]*callfloor.Account, error) {
	list := []*callfloor.Account{}
	err := s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT `+accountCols+` FROM accounts a ORDER BY a.name_key, a.id`)
		if err != nil {
			return dbErr("list accounts", err)
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				return dbErr("list accounts", err)
			}
			list = append(list, a)
		}
		return rows.Err()
	})
	return list, err
}

// UpdateAccount lets fn change the account. ID, CreatedAt and AgentsInUse
// are kept; licences cannot drop below the agents in use.
func (s *Store) UpdateAccount(ctx context.Context, id int64, fn func(*callfloor.Account) error) (*callfloor.Account, error) {
	var out *callfloor.Account
	err := s.write(ctx, id, func(c conn) error {
		old, err := loadAccount(ctx, c, `a.id = ?`, id)
		if err != nil {
			return err
		}
		a := *old
		if err := fn(&a); err != nil {
			return err
		}
		a.ID, a.CreatedAt, a.AgentsInUse = old.ID, old.CreatedAt, old.AgentsInUse
		if err := a.Validate(); err != nil {
			return err
		}
		if err := checkAccountName(ctx, c, a.Name, id); err != nil {
			return err
		}
		if a.AgentsInUse > 0 && !a.Activated() {
			return callfloor.FieldError(callfloor.ErrLicenceExhausted, "licence_kind",
				"%d extensions have the agent feature enabled; disable it on them first", a.AgentsInUse)
		}
		if a.AgentLicences < a.AgentsInUse {
			return callfloor.FieldError(callfloor.ErrLicenceExhausted, "agent_licences",
				"%d extensions have the agent feature enabled, more than %d licences", a.AgentsInUse, a.AgentLicences)
		}
		a.UpdatedAt = s.now()
		_, err = c.exec(ctx, `UPDATE accounts SET name = ?, name_key = ?, time_zone = ?, licence_kind = ?, agent_licences = ?, updated_at = ?
			WHERE id = ?`, a.Name, foldKey(a.Name), a.TimeZone, string(a.LicenceKind), a.AgentLicences, toMS(a.UpdatedAt), id)
		if c.d.uniqueViolation(err) {
			return accountNameTaken(a.Name)
		}
		if err != nil {
			return dbErr("update account", err)
		}
		out = &a
		return c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeAccount, AccountID: id, ID: id})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
