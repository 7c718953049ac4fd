package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
)

const callRowColumns = `extension_id, call_id, direction, number, queue_id, campaign_id, start_at, answered_at,
	ended_at, end_reason, category, outcome, notes, tags, incomplete, seq`

// CallHistoryCursor returns how far the account's call history has read
// its journal.
func (s *Store) CallHistoryCursor(ctx context.Context, accountID int64) (int64, error) {
	var seq int64
	err := s.read(ctx, func(c conn) error {
		err := c.row(ctx, `SELECT seq FROM call_history_cursors WHERE account_id = ?`, accountID).Scan(&seq)
		if err == nil || errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return dbErr("read call history cursor", err)
	})
	return seq, err
}

// FindCallRows returns the rows of keys that exist.
func (s *Store) FindCallRows(ctx context.Context, accountID int64, keys []callfloor.CallKey) ([]*callfloor.CallRow, error) {
	out := []*callfloor.CallRow{}
	if len(keys) == 0 {
		return out, nil
	}
	err := s.read(ctx, func(c conn) error {
		for start := 0; start < len(keys); start += 200 {
			end := min(start+200, len(keys))
			var q strings.Builder
			args := []any{accountID}
			q.WriteString(`SELECT ` + callRowColumns + ` FROM call_history WHERE account_id = ? AND (`)
			for i, k := range keys[start:end] {
				if i > 0 {
					q.WriteString(" OR ")
				}
				q.WriteString("(extension_id = ? AND call_id = ?)")
				args = append(args, k.ExtensionID, k.CallID)
			}
			q.WriteString(")")
			rows, err := s.queryCallRows(ctx, c, accountID, q.String(), args...)
			if err != nil {
				return err
			}
			out = append(out, rows...)
		}
		return nil
	})
	return out, err
}

// SaveCallRows writes rows and moves the cursor from from to to, or
// writes nothing when the cursor is elsewhere.
func (s *Store) SaveCallRows(ctx context.Context, accountID, from, to int64, rows []*callfloor.CallRow) error {
	return s.write(ctx, 0, func(c conn) error {
		var res sql.Result
		var err error
		if from == 0 {
			res, err = c.exec(ctx, `INSERT INTO call_history_cursors (account_id, seq) SELECT ?, ? WHERE NOT EXISTS
				(SELECT 1 FROM call_history_cursors WHERE account_id = ?)`, accountID, to, accountID)
		} else {
			res, err = c.exec(ctx, `UPDATE call_history_cursors SET seq = ? WHERE account_id = ? AND seq = ?`, to, accountID, from)
		}
		if err != nil {
			if s.d.uniqueViolation(err) {
				return callfloor.ErrHistoryMoved
			}
			return dbErr("move call history cursor", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return callfloor.ErrHistoryMoved
		}
		return saveCallRows(ctx, c, accountID, rows)
	})
}

// callRowBatch is how many rows one statement of SaveCallRows writes
// (17 parameters a row).
const callRowBatch = 100

// saveCallRows inserts or replaces rows, callRowBatch to a statement,
// with the statement of a whole batch prepared once when there are
// several batches.
func saveCallRows(ctx context.Context, c conn, accountID int64, rows []*callfloor.CallRow) error {
	var batch *sql.Stmt
	if len(rows) >= 2*callRowBatch {
		if batch = c.prepare(ctx, upsertCallRows(callRowBatch)); batch != nil {
			defer batch.Close()
		}
	}
	args := make([]any, 0, 17*callRowBatch)
	for start := 0; start < len(rows); start += callRowBatch {
		chunk := rows[start:min(start+callRowBatch, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			tags, err := json.Marshal(nonNil(r.Tags))
			if err != nil {
				return fmt.Errorf("sqlstore: encode tags: %w", err)
			}
			args = append(args, accountID, r.ExtensionID, r.CallID, string(r.Direction), r.Number, r.QueueID, r.CampaignID, toMS(r.Start),
				msPtr(r.AnsweredAt), msPtr(r.EndedAt), r.EndReason, string(r.Category), r.Outcome, r.Notes, string(tags),
				r.Incomplete, r.Seq)
		}
		var err error
		if len(chunk) == callRowBatch && batch != nil {
			_, err = batch.ExecContext(ctx, args...)
		} else {
			_, err = c.exec(ctx, upsertCallRows(len(chunk)), args...)
		}
		if err != nil {
			return dbErr("save call history", err)
		}
	}
	return nil
}

// upsertCallRows inserts n rows, each replacing the row of its key if
// there is one.
func upsertCallRows(n int) string {
	set := make([]string, 0, 14)
	for _, col := range strings.Split(callRowColumns, ",") {
		if col = strings.TrimSpace(col); col != "extension_id" && col != "call_id" {
			set = append(set, col+" = excluded."+col)
		}
	}
	return `INSERT INTO call_history (account_id, ` + callRowColumns + `) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", n), ", ") +
		` ON CONFLICT (account_id, extension_id, call_id) DO UPDATE SET ` + strings.Join(set, ", ")
}

// ListCallRows returns the rows f selects, newest first.
func (s *Store) ListCallRows(ctx context.Context, accountID int64, f callfloor.CallFilter) ([]*callfloor.CallRow, error) {
	var out []*callfloor.CallRow
	where := []string{"account_id = ?"}
	args := []any{accountID}
	add := func(cond string, v ...any) {
		where = append(where, cond)
		args = append(args, v...)
	}
	if !f.From.IsZero() {
		add("start_at >= ?", toMS(f.From))
	}
	if !f.To.IsZero() {
		add("start_at < ?", toMS(f.To))
	}
	if f.ExtensionID != 0 {
		add("extension_id = ?", f.ExtensionID)
	}
	if f.QueueID != 0 {
		add("queue_id = ?", f.QueueID)
	}
	if f.Direction != "" {
		add("direction = ?", string(f.Direction))
	}
	if f.Category != "" {
		add("category = ?", string(f.Category))
	}
	if f.Number != "" {
		add("number LIKE ? ESCAPE '\\'", "%"+likeEscape(f.Number)+"%")
	}
	if b := f.Before; b != nil {
		add("(start_at < ? OR (start_at = ? AND (call_id < ? OR (call_id = ? AND extension_id < ?))))",
			toMS(b.Start), toMS(b.Start), b.CallID, b.CallID, b.ExtensionID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	q := `SELECT ` + callRowColumns + ` FROM call_history WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY start_at DESC, call_id DESC, extension_id DESC LIMIT ?`
	args = append(args, limit)
	err := s.read(ctx, func(c conn) error {
		var err error
		out, err = s.queryCallRows(ctx, c, accountID, q, args...)
		return err
	})
	return out, err
}

// ResetCallHistory deletes the account's rows and cursor.
func (s *Store) ResetCallHistory(ctx context.Context, accountID int64) error {
	return s.write(ctx, 0, func(c conn) error {
		if _, err := c.exec(ctx, `DELETE FROM call_history WHERE account_id = ?`, accountID); err != nil {
			return dbErr("reset call history", err)
		}
		if _, err := c.exec(ctx, `DELETE FROM call_history_cursors WHERE account_id = ?`, accountID); err != nil {
			return dbErr("reset call history", err)
		}
		return nil
	})
}

func (s *Store) queryCallRows(ctx context.Context, c conn, accountID int64, q string, args ...any) ([]*callfloor.CallRow, error) {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, dbErr("read call history", err)
	}
	defer rows.Close()
	var out []*callfloor.CallRow
	for rows.Next() {
		r := &callfloor.CallRow{AccountID: accountID}
		var dir, cat, tags string
		var start int64
		var answered, ended sql.NullInt64
		if err := rows.Scan(&r.ExtensionID, &r.CallID, &dir, &r.Number, &r.QueueID, &r.CampaignID, &start, &answered,
			&ended, &r.EndReason, &cat, &r.Outcome, &r.Notes, &tags, &r.Incomplete, &r.Seq); err != nil {
			return nil, dbErr("read call history", err)
		}
		r.Direction, r.Category, r.Start = callfloor.Direction(dir), callfloor.Category(cat), fromMS(start)
		r.AnsweredAt, r.EndedAt = timePtr(answered), timePtr(ended)
		if err := json.Unmarshal([]byte(tags), &r.Tags); err != nil {
			return nil, fmt.Errorf("sqlstore: decode tags: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// msPtr stores an optional time: nil for NULL.
func msPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return toMS(*t)
}

func nonNil(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return tags
}

// likeEscape makes s match itself inside a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
