package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/callfloor/callfloor"
)

const directoryCols = `id, account_id, name, number, company, notes`

func scanDirectory(sc scanner) (*callfloor.DirectoryEntry, error) {
	var d callfloor.DirectoryEntry
	if err := sc.Scan(&d.ID, &d.AccountID, &d.Name, &d.Number, &d.Company, &d.Notes); err != nil {
		return nil, err
	}
	return &d, nil
}

func loadDirectory(ctx context.Context, c conn, account, id int64) (*callfloor.DirectoryEntry, error) {
	d, err := scanDirectory(c.row(ctx, `SELECT `+directoryCols+` FROM directory_entries WHERE account_id = ? AND id = ?`, account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("directory entry", id)
	}
	if err != nil {
		return nil, dbErr("load directory entry", err)
	}
	return d, nil
}

// CreateDirectoryEntry stores an entry of the caller's account.
func (s *Store) CreateDirectoryEntry(ctx context.Context, d *callfloor.DirectoryEntry) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return err
	}
	err = s.write(ctx, account, func(c conn) error {
		err := c.row(ctx, `INSERT INTO directory_entries (account_id, name, name_key, number, company, notes)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, account, d.Name, foldKey(d.Name), d.Number, d.Company, d.Notes).Scan(&d.ID)
		if err != nil {
			return dbErr("insert directory entry", err)
		}
		return nil
	})
	if err != nil {
		d.ID = 0
		return err
	}
	d.AccountID = account
	return nil
}

// FindDirectoryEntryByID returns one entry of the caller's account.
func (s *Store) FindDirectoryEntryByID(ctx context.Context, id int64) (*callfloor.DirectoryEntry, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var d *callfloor.DirectoryEntry
	err = s.read(ctx, func(c conn) (err error) {
		d, err = loadDirectory(ctx, c, account, id)
		return err
	})
	return d, err
}

// ListDirectoryEntries returns the entries of the caller's account by name,
// ignoring case.
func (s *Store) ListDirectoryEntries(ctx context.Context) ([]*callfloor.DirectoryEntry, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	list := []*callfloor.DirectoryEntry{}
	err = s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT `+directoryCols+` FROM directory_entries WHERE account_id = ? ORDER BY name_key, id`, account)
		if err != nil {
			return dbErr("list directory", err)
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDirectory(rows)
			if err != nil {
				return dbErr("list directory", err)
			}
			list = append(list, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// UpdateDirectoryEntry lets fn change an entry; ID and AccountID are kept.
func (s *Store) UpdateDirectoryEntry(ctx context.Context, id int64, fn func(*callfloor.DirectoryEntry) error) (*callfloor.DirectoryEntry, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.DirectoryEntry
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadDirectory(ctx, c, account, id)
		if err != nil {
			return err
		}
		d := *old
		if err := fn(&d); err != nil {
			return err
		}
		d.ID, d.AccountID = old.ID, old.AccountID
		if err := d.Validate(); err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE directory_entries SET name = ?, name_key = ?, number = ?, company = ?, notes = ?
			WHERE account_id = ? AND id = ?`, d.Name, foldKey(d.Name), d.Number, d.Company, d.Notes, account, id)
		if err != nil {
			return dbErr("update directory entry", err)
		}
		out = &d
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteDirectoryEntry removes an entry of the caller's account.
func (s *Store) DeleteDirectoryEntry(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM directory_entries WHERE account_id = ? AND id = ?`, account, id)
		if err != nil {
			return dbErr("delete directory entry", err)
		}
		return mustAffect(res, "directory entry", id)
	})
}
