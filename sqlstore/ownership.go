package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/callfloor/callfloor"
)

// TakeOwnership raises the account's ownership epoch and records node as
// its owner, in one statement. It locks the owner row only: appends that
// checked the old epoch (fence) hold it shared and finish first.
func (s *Store) TakeOwnership(ctx context.Context, accountID int64, node string) (callfloor.Ownership, error) {
	if node == "" {
		return callfloor.Ownership{}, callfloor.FieldError(callfloor.ErrFieldRequired, "node", "a node takes ownership under its name")
	}
	o := callfloor.Ownership{AccountID: accountID, Node: node, Since: s.now()}
	err := s.write(ctx, 0, func(c conn) error {
		// Not lockAccount: the journal's inserts hold the account row
		// (their foreign key) after the owner row, so a claim that
		// locked it first could deadlock with them.
		known, err := c.exists(ctx, `SELECT 1 FROM accounts WHERE id = ?`, accountID)
		if err != nil {
			return dbErr("take ownership", err)
		}
		if !known {
			return notFound("account", accountID)
		}
		err = c.row(ctx, `INSERT INTO account_owners (account_id, node, epoch, since) VALUES (?, ?, 1, ?)
			ON CONFLICT (account_id) DO UPDATE SET node = excluded.node, epoch = account_owners.epoch + 1, since = excluded.since
			RETURNING epoch`, accountID, node, toMS(o.Since)).Scan(&o.Epoch)
		if err != nil {
			return dbErr("take ownership", err)
		}
		return nil
	})
	if err != nil {
		return callfloor.Ownership{}, err
	}
	return o, nil
}

// AccountOwnership returns the account's owner and epoch, Epoch 0 when no
// node ever took it.
func (s *Store) AccountOwnership(ctx context.Context, accountID int64) (callfloor.Ownership, error) {
	o := callfloor.Ownership{AccountID: accountID}
	err := s.read(ctx, func(c conn) error {
		var since int64
		err := c.row(ctx, `SELECT node, epoch, since FROM account_owners WHERE account_id = ?`, accountID).Scan(&o.Node, &o.Epoch, &since)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return dbErr("read ownership", err)
		}
		o.Since = fromMS(since)
		return nil
	})
	return o, err
}

// fence refuses, with ErrFenced, an append whose epoch is not the
// account's current one (none when no node took it). Where the database
// locks rows the owner row is read FOR SHARE, so that a TakeOwnership
// under way waits for this transaction or this one for it: no append
// checked against an old epoch commits after the new one was taken.
// SQLite's one writer runs the two one after the other anyway.
func (s *Store) fence(ctx context.Context, c conn, accountID, epoch int64) error {
	q := `SELECT epoch FROM account_owners WHERE account_id = ?`
	if s.d.LockRows {
		q += ` FOR SHARE`
	}
	var current int64
	err := c.row(ctx, q, accountID).Scan(&current)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return dbErr("read ownership epoch", err)
	}
	if current != epoch {
		return callfloor.Errorf(callfloor.ErrFenced,
			"account %d: epoch %d is not the current ownership epoch (%d): another node took the account", accountID, epoch, current)
	}
	return nil
}

// fenceBatch checks the epoch of each account of the batch that carries
// one, once per account and in account order (so that two batches lock
// owner rows in one order). A batch without epochs costs nothing.
func (s *Store) fenceBatch(ctx context.Context, c conn, batch []callfloor.AccountEvents) error {
	type fenced struct{ account, epoch int64 }
	var fences []fenced
	for _, b := range batch {
		if b.Epoch != 0 {
			fences = append(fences, fenced{b.AccountID, b.Epoch})
		}
	}
	slices.SortFunc(fences, func(a, b fenced) int {
		return cmp.Or(cmp.Compare(a.account, b.account), cmp.Compare(a.epoch, b.epoch))
	})
	for _, f := range slices.Compact(fences) {
		if err := s.fence(ctx, c, f.account, f.epoch); err != nil {
			return err
		}
	}
	return nil
}

// PutClusterNode writes the node's row, stamped with the clock now.
func (s *Store) PutClusterNode(ctx context.Context, n callfloor.ClusterNode) (callfloor.ClusterNode, error) {
	if err := n.Validate(); err != nil {
		return callfloor.ClusterNode{}, err
	}
	n.SeenAt = s.now()
	err := s.write(ctx, 0, func(c conn) error {
		_, err := c.exec(ctx, `INSERT INTO cluster_nodes (name, sip_uri, http_url, seen_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET sip_uri = excluded.sip_uri, http_url = excluded.http_url, seen_at = excluded.seen_at`,
			n.Name, n.SIPURI, n.HTTPURL, toMS(n.SeenAt))
		if err != nil {
			return dbErr("put cluster node", err)
		}
		return nil
	})
	if err != nil {
		return callfloor.ClusterNode{}, err
	}
	return n, nil
}

// ClusterNodes lists the nodes by name.
func (s *Store) ClusterNodes(ctx context.Context) ([]callfloor.ClusterNode, error) {
	var out []callfloor.ClusterNode
	err := s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT name, sip_uri, http_url, seen_at FROM cluster_nodes ORDER BY name`)
		if err != nil {
			return dbErr("list cluster nodes", err)
		}
		defer rows.Close()
		for rows.Next() {
			var n callfloor.ClusterNode
			var seen int64
			if err := rows.Scan(&n.Name, &n.SIPURI, &n.HTTPURL, &seen); err != nil {
				return dbErr("list cluster nodes", err)
			}
			n.SeenAt = fromMS(seen)
			out = append(out, n)
		}
		if err := rows.Err(); err != nil {
			return dbErr("list cluster nodes", err)
		}
		return nil
	})
	return out, err
}

// DeleteClusterNode removes the node's row.
func (s *Store) DeleteClusterNode(ctx context.Context, name string) error {
	if name == "" {
		return callfloor.FieldError(callfloor.ErrFieldRequired, "name", "which node to delete")
	}
	return s.write(ctx, 0, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM cluster_nodes WHERE name = ?`, name)
		if err != nil {
			return dbErr("delete cluster node", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbErr("delete cluster node", err)
		} else if n == 0 {
			return callfloor.Errorf(callfloor.ErrNotFound, "cluster node %q not found", name)
		}
		return nil
	})
}
