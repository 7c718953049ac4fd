package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/callfloor/callfloor"
)

// journalChunk is how many events one INSERT statement carries (6
// parameters each, well under both databases' limits).
const journalChunk = 400

// AppendEvents stores the events in one transaction. A sequence number
// already taken (another writer for the same account) fails it whole.
func (s *Store) AppendEvents(ctx context.Context, accountID int64, evs []callfloor.Event) error {
	return s.AppendFenced(ctx, accountID, 0, evs)
}

// AppendFenced stores the events in one transaction, first checking that
// epoch (unless 0) is the account's ownership epoch (see fence).
func (s *Store) AppendFenced(ctx context.Context, accountID, epoch int64, evs []callfloor.Event) error {
	if len(evs) == 0 {
		return nil
	}
	return s.write(ctx, 0, func(c conn) error {
		if epoch != 0 {
			if err := s.fence(ctx, c, accountID, epoch); err != nil {
				return err
			}
		}
		return s.appendIn(ctx, c, accountID, evs)
	})
}

// AppendBatch stores the events of several accounts in one transaction:
// the floor's group writer merges concurrent appends into it. The epochs
// are checked first, in the order of the accounts; one that fails leaves
// the whole batch unwritten.
func (s *Store) AppendBatch(ctx context.Context, batch []callfloor.AccountEvents) error {
	return s.write(ctx, 0, func(c conn) error {
		if err := s.fenceBatch(ctx, c, batch); err != nil {
			return err
		}
		for _, b := range batch {
			if err := s.appendIn(ctx, c, b.AccountID, b.Events); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) appendIn(ctx context.Context, c conn, accountID int64, evs []callfloor.Event) error {
	for start := 0; start < len(evs); start += journalChunk {
		end := min(start+journalChunk, len(evs))
		var q strings.Builder
		q.WriteString(`INSERT INTO journal (account_id, seq, at, type, extension_id, body) VALUES `)
		args := make([]any, 0, 6*(end-start))
		for i, e := range evs[start:end] {
			if e.AccountID != accountID {
				return callfloor.Errorf(callfloor.ErrInternal, "event of account %d appended to account %d", e.AccountID, accountID)
			}
			body, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("sqlstore: encode event: %w", err)
			}
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?,?,?,?,?,?)")
			args = append(args, accountID, e.Seq, toMS(e.At), string(e.Type), e.ExtensionID, string(body))
		}
		if _, err := c.exec(ctx, q.String(), args...); err != nil {
			if s.d.uniqueViolation(err) {
				return callfloor.Errorf(callfloor.ErrInternal, "journal sequence already taken for account %d: another writer", accountID)
			}
			return dbErr("append journal", err)
		}
	}
	return nil
}

// ReadEvents returns up to limit events of the account after seq.
func (s *Store) ReadEvents(ctx context.Context, accountID, after int64, limit int) ([]callfloor.Event, error) {
	return s.readJournal(ctx, `SELECT body FROM journal WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		accountID, after, limit)
}

func (s *Store) readJournal(ctx context.Context, q string, args ...any) ([]callfloor.Event, error) {
	out := []callfloor.Event{}
	err := s.read(ctx, func(c conn) error {
		var err error
		out, err = scanEvents(ctx, c, out, q, args...)
		return err
	})
	return out, err
}

// scanEvents appends the events (bodies) q selects to out.
func scanEvents(ctx context.Context, c conn, out []callfloor.Event, q string, args ...any) ([]callfloor.Event, error) {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return out, dbErr("read journal", err)
	}
	defer rows.Close()
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return out, dbErr("read journal", err)
		}
		var e callfloor.Event
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return out, fmt.Errorf("sqlstore: decode journal event: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SaveSnapshot replaces the account's snapshot unless a newer one is there.
func (s *Store) SaveSnapshot(ctx context.Context, accountID, seq int64, body []byte) error {
	return s.write(ctx, 0, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE floor_snapshots SET seq = ?, at = ?, body = ? WHERE account_id = ? AND seq < ?`,
			seq, toMS(s.now()), string(body), accountID, seq)
		if err != nil {
			return dbErr("save snapshot", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		have, err := c.exists(ctx, `SELECT 1 FROM floor_snapshots WHERE account_id = ?`, accountID)
		if err != nil || have {
			return err
		}
		if _, err := c.exec(ctx, `INSERT INTO floor_snapshots (account_id, seq, at, body) VALUES (?, ?, ?, ?)`,
			accountID, seq, toMS(s.now()), string(body)); err != nil {
			return dbErr("save snapshot", err)
		}
		return nil
	})
}

// LoadSnapshot returns the account's snapshot, if any.
func (s *Store) LoadSnapshot(ctx context.Context, accountID int64) (int64, []byte, error) {
	var seq int64
	var body string
	err := s.read(ctx, func(c conn) error {
		err := c.row(ctx, `SELECT seq, body FROM floor_snapshots WHERE account_id = ?`, accountID).Scan(&seq, &body)
		if err == nil || errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return dbErr("load snapshot", err)
	})
	if err != nil || seq == 0 {
		return 0, nil, err
	}
	return seq, []byte(body), nil
}
