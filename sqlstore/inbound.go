package sqlstore

import (
	"context"
	"database/sql"

	"github.com/callfloor/callfloor"
)

const inboundCols = `id, account_id, number, name, trunk_id, extension_id, queue_id, enabled, created_at, updated_at`

func scanInbound(sc scanner) (*callfloor.InboundNumber, error) {
	var n callfloor.InboundNumber
	var trunk, ext, queue sql.NullInt64
	var created, updated int64
	err := sc.Scan(&n.ID, &n.AccountID, &n.Number, &n.Name, &trunk, &ext, &queue, &n.Enabled, &created, &updated)
	if err != nil {
		return nil, err
	}
	n.TrunkID = idPtr(trunk)
	switch {
	case ext.Valid:
		n.Destination = callfloor.Destination{Kind: callfloor.DestinationExtension, ID: ext.Int64}
	case queue.Valid:
		n.Destination = callfloor.Destination{Kind: callfloor.DestinationQueue, ID: queue.Int64}
	}
	n.CreatedAt, n.UpdatedAt = fromMS(created), fromMS(updated)
	return &n, nil
}

// destinationCols splits the destination into the extension and queue
// columns, which carry foreign keys.
func destinationCols(d callfloor.Destination) (ext, queue any) {
	if d.Kind == callfloor.DestinationExtension {
		return d.ID, nil
	}
	return nil, d.ID
}

func loadInbounds(ctx context.Context, c conn, where string, args ...any) ([]*callfloor.InboundNumber, error) {
	rows, err := c.query(ctx, `SELECT `+inboundCols+` FROM inbound_numbers WHERE `+where+` ORDER BY LENGTH(number_key), number_key, id`, args...)
	if err != nil {
		return nil, dbErr("load inbound numbers", err)
	}
	defer rows.Close()
	list := []*callfloor.InboundNumber{}
	for rows.Next() {
		n, err := scanInbound(rows)
		if err != nil {
			return nil, dbErr("load inbound numbers", err)
		}
		list = append(list, n)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("load inbound numbers", err)
	}
	return list, nil
}

func loadInbound(ctx context.Context, c conn, account, id int64) (*callfloor.InboundNumber, error) {
	list, err := loadInbounds(ctx, c, `account_id = ? AND id = ?`, account, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, notFound("inbound number", id)
	}
	return list[0], nil
}

func inboundTaken(number string) error {
	return callfloor.FieldError(callfloor.ErrInboundNumberTaken, "number", "%s is already an inbound number", number)
}

// checkInbound applies the rules that span rows: the number unique across
// every account, the trunk and the destination in the account.
func checkInbound(ctx context.Context, c conn, account int64, n *callfloor.InboundNumber, self int64) error {
	taken, err := c.exists(ctx, `SELECT 1 FROM inbound_numbers WHERE number_key = ? AND id <> ?`, callfloor.InboundNumberKey(n.Number), self)
	if err != nil {
		return dbErr("check inbound number", err)
	}
	if taken {
		return inboundTaken(n.Number)
	}
	if err := checkRef(ctx, c, "trunks", "trunk_id", account, n.TrunkID); err != nil {
		return err
	}
	table := "queues"
	if n.Destination.Kind == callfloor.DestinationExtension {
		table = "extensions"
	}
	return checkRef(ctx, c, table, "destination.id", account, &n.Destination.ID)
}

// CreateInboundNumber stores an inbound number of the caller's account.
// The number is unique across every account (ignoring a leading "+").
func (s *Store) CreateInboundNumber(ctx context.Context, n *callfloor.InboundNumber) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if err := n.Validate(); err != nil {
		return err
	}
	now := s.now()
	err = s.write(ctx, account, func(c conn) error {
		if err := checkInbound(ctx, c, account, n, 0); err != nil {
			return err
		}
		ext, queue := destinationCols(n.Destination)
		err := c.row(ctx, `INSERT INTO inbound_numbers (account_id, number, number_key, name, trunk_id, extension_id, queue_id,
			enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			account, n.Number, callfloor.InboundNumberKey(n.Number), n.Name, nullID(n.TrunkID), ext, queue,
			n.Enabled, toMS(now), toMS(now)).Scan(&n.ID)
		if c.d.uniqueViolation(err) {
			return inboundTaken(n.Number) // another account took it meanwhile
		}
		if err != nil {
			return dbErr("insert inbound number", err)
		}
		return c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeInboundNumber, AccountID: account, ID: n.ID})
	})
	if err != nil {
		n.ID = 0
		return err
	}
	n.AccountID = account
	n.CreatedAt, n.UpdatedAt = now, now
	return nil
}

// FindInboundNumberByID returns one inbound number of the caller's account.
func (s *Store) FindInboundNumberByID(ctx context.Context, id int64) (*callfloor.InboundNumber, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var n *callfloor.InboundNumber
	err = s.read(ctx, func(c conn) (err error) {
		n, err = loadInbound(ctx, c, account, id)
		return err
	})
	return n, err
}

// ListInboundNumbers returns the inbound numbers of the caller's account,
// shorter numbers first, then in order.
func (s *Store) ListInboundNumbers(ctx context.Context) ([]*callfloor.InboundNumber, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var list []*callfloor.InboundNumber
	err = s.read(ctx, func(c conn) (err error) {
		list, err = loadInbounds(ctx, c, `account_id = ?`, account)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// UpdateInboundNumber lets fn change an inbound number. ID, AccountID and
// CreatedAt are kept.
func (s *Store) UpdateInboundNumber(ctx context.Context, id int64, fn func(*callfloor.InboundNumber) error) (*callfloor.InboundNumber, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.InboundNumber
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadInbound(ctx, c, account, id)
		if err != nil {
			return err
		}
		n := *old
		n.TrunkID = cloneID(old.TrunkID)
		if err := fn(&n); err != nil {
			return err
		}
		n.ID, n.AccountID, n.CreatedAt = old.ID, old.AccountID, old.CreatedAt
		if err := n.Validate(); err != nil {
			return err
		}
		if err := checkInbound(ctx, c, account, &n, id); err != nil {
			return err
		}
		ext, queue := destinationCols(n.Destination)
		_, err = c.exec(ctx, `UPDATE inbound_numbers SET number = ?, number_key = ?, name = ?, trunk_id = ?, extension_id = ?,
			queue_id = ?, enabled = ?, updated_at = ? WHERE account_id = ? AND id = ?`,
			n.Number, callfloor.InboundNumberKey(n.Number), n.Name, nullID(n.TrunkID), ext,
			queue, n.Enabled, toMS(s.now()), account, id)
		if c.d.uniqueViolation(err) {
			return inboundTaken(n.Number)
		}
		if err != nil {
			return dbErr("update inbound number", err)
		}
		if err := c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeInboundNumber, AccountID: account, ID: id}); err != nil {
			return err
		}
		out, err = loadInbound(ctx, c, account, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteInboundNumber removes an inbound number.
func (s *Store) DeleteInboundNumber(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM inbound_numbers WHERE account_id = ? AND id = ?`, account, id)
		if err != nil {
			return dbErr("delete inbound number", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return notFound("inbound number", id)
		}
		return c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeInboundNumber, AccountID: account, ID: id})
	})
}

// inboundTargetInUse fails with ErrInUse when inbound numbers ring the
// extension or queue id: DeleteExtension and DeleteQueue refuse then.
func inboundTargetInUse(ctx context.Context, c conn, account int64, kind callfloor.DestinationKind, id int64) error {
	col := "queue_id"
	if kind == callfloor.DestinationExtension {
		col = "extension_id"
	}
	n, err := count(ctx, c, "count inbound numbers", `SELECT COUNT(*) FROM inbound_numbers WHERE account_id = ? AND `+col+` = ?`, account, id)
	if err != nil {
		return err
	}
	if n > 0 {
		return callfloor.Errorf(callfloor.ErrInUse, "%d inbound numbers ring the %s; point them elsewhere first", n, kind)
	}
	return nil
}
