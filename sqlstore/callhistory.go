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
// its journal, and the zone of its rollups.
func (s *Store) CallHistoryCursor(ctx context.Context, accountID int64) (callfloor.HistoryCursor, error) {
	var cur callfloor.HistoryCursor
	err := s.read(ctx, func(c conn) error {
		var last int64
		err := c.row(ctx, `SELECT seq, time_zone, last_at, late_seq FROM call_history_cursors WHERE account_id = ?`, accountID).
			Scan(&cur.Seq, &cur.TimeZone, &last, &cur.LateSeq)
		switch {
		case err == nil:
			cur.LastAt = fromMS(last)
			return nil
		case errors.Is(err, sql.ErrNoRows):
			return nil
		}
		return dbErr("read call history cursor", err)
	})
	return cur, err
}

// FindCallRows returns the rows of keys that exist, 200 keys to a query
// that looks each up by the primary key: the keys are the outer loop
// (SQLite keeps a CROSS JOIN's order), where a list of ORs, or a plain
// join, had SQLite scan all the account's rows for each query. Each key
// carries the account too, so the join is on the whole primary key:
// with the account as a constant instead, PostgreSQL could pick the
// account's index and scan every row of an account it thought small.
func (s *Store) FindCallRows(ctx context.Context, accountID int64, keys []callfloor.CallKey) ([]*callfloor.CallRow, error) {
	out := []*callfloor.CallRow{}
	if len(keys) == 0 {
		return out, nil
	}
	err := s.read(ctx, func(c conn) error {
		for start := 0; start < len(keys); start += 200 {
			end := min(start+200, len(keys))
			args := make([]any, 0, 3*(end-start))
			for _, k := range keys[start:end] {
				args = append(args, accountID, k.ExtensionID, k.CallID)
			}
			q := `SELECT ` + qualified("h.", callRowColumns) + ` FROM (VALUES ` +
				strings.TrimSuffix(strings.Repeat("(CAST(? AS BIGINT), CAST(? AS BIGINT), ?), ", end-start), ", ") +
				`) AS k CROSS JOIN call_history h WHERE h.account_id = k.column1 AND h.extension_id = k.column2 AND h.call_id = k.column3`
			rows, err := s.queryCallRows(ctx, c, accountID, q, args...)
			if err != nil {
				return err
			}
			out = append(out, rows...)
		}
		return nil
	})
	return out, err
}

// qualified puts prefix before each of the columns.
func qualified(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, col := range cols {
		cols[i] = prefix + strings.TrimSpace(col)
	}
	return strings.Join(cols, ", ")
}

// SaveCallRows writes the batch's rows and rollup changes and moves the
// cursor from b.From to b.To, or writes nothing when the cursor is
// elsewhere or in another zone.
func (s *Store) SaveCallRows(ctx context.Context, accountID int64, b callfloor.HistoryBatch) error {
	return s.write(ctx, 0, func(c conn) error {
		var res sql.Result
		var err error
		if b.From == 0 {
			res, err = c.exec(ctx, `INSERT INTO call_history_cursors (account_id, seq, time_zone, last_at, late_seq) SELECT ?, ?, ?, ?, ?
				WHERE NOT EXISTS (SELECT 1 FROM call_history_cursors WHERE account_id = ?)`,
				accountID, b.To, b.TimeZone, toMS(b.LastAt), b.LateSeq, accountID)
		} else {
			res, err = c.exec(ctx, `UPDATE call_history_cursors SET seq = ?, last_at = ?, late_seq = ?
				WHERE account_id = ? AND seq = ? AND time_zone = ?`, b.To, toMS(b.LastAt), b.LateSeq, accountID, b.From, b.TimeZone)
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
		if err := saveCallRows(ctx, c, accountID, b.Rows); err != nil {
			return err
		}
		if b.LateFrom != "" {
			if _, err := c.exec(ctx, `DELETE FROM attendance_days WHERE account_id = ? AND local_date >= ?`, accountID, b.LateFrom); err != nil {
				return dbErr("drop attendance days", err)
			}
		}
		return addDayCounts(ctx, c, accountID, b.Days)
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

// dayCountBatch is how many rollup lines one statement adds to (8
// parameters a line).
const dayCountBatch = 200

const dayCountKey = `account_id, local_date, extension_id, queue_id, campaign_id, category, outcome`

// addDayCounts adds the changes to the rollups, dayCountBatch to an
// upsert, then deletes the lines the negative ones took to 0.
func addDayCounts(ctx context.Context, c conn, accountID int64, days []callfloor.DayCount) error {
	args := make([]any, 0, 8*dayCountBatch)
	for start := 0; start < len(days); start += dayCountBatch {
		chunk := days[start:min(start+dayCountBatch, len(days))]
		args = args[:0]
		for _, d := range chunk {
			args = append(args, accountID, d.Date, d.ExtensionID, d.QueueID, d.CampaignID, string(d.Category), d.Outcome, d.Calls)
		}
		q := `INSERT INTO report_daily (` + dayCountKey + `, calls) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", len(chunk)), ", ") +
			` ON CONFLICT (` + dayCountKey + `) DO UPDATE SET calls = report_daily.calls + excluded.calls`
		if _, err := c.exec(ctx, q, args...); err != nil {
			return dbErr("add to the daily rollups", err)
		}
	}
	for _, d := range days {
		if d.Calls >= 0 {
			continue
		}
		if _, err := c.exec(ctx, `DELETE FROM report_daily WHERE account_id = ? AND local_date = ? AND extension_id = ? AND queue_id = ?
			AND campaign_id = ? AND category = ? AND outcome = ? AND calls = 0`,
			accountID, d.Date, d.ExtensionID, d.QueueID, d.CampaignID, string(d.Category), d.Outcome); err != nil {
			return dbErr("add to the daily rollups", err)
		}
	}
	return nil
}

// ListDayCounts returns the account's rollup lines between two local
// dates, both included.
func (s *Store) ListDayCounts(ctx context.Context, accountID int64, from, to string) ([]callfloor.DayCount, error) {
	out := []callfloor.DayCount{}
	err := s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT local_date, extension_id, queue_id, campaign_id, category, outcome, calls FROM report_daily
			WHERE account_id = ? AND local_date >= ? AND local_date <= ? AND calls <> 0 ORDER BY `+dayCountKey, accountID, from, to)
		if err != nil {
			return dbErr("read the daily rollups", err)
		}
		defer rows.Close()
		for rows.Next() {
			var d callfloor.DayCount
			var cat string
			if err := rows.Scan(&d.Date, &d.ExtensionID, &d.QueueID, &d.CampaignID, &cat, &d.Outcome, &d.Calls); err != nil {
				return dbErr("read the daily rollups", err)
			}
			d.Category = callfloor.Category(cat)
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, err
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

// ResetCallHistory deletes the account's rows, rollups, attendance days
// and cursor.
func (s *Store) ResetCallHistory(ctx context.Context, accountID int64) error {
	return s.write(ctx, 0, func(c conn) error {
		for _, table := range []string{"call_history", "report_daily", "attendance_days", "call_history_cursors"} {
			if _, err := c.exec(ctx, `DELETE FROM `+table+` WHERE account_id = ?`, accountID); err != nil {
				return dbErr("reset call history", err)
			}
		}
		return nil
	})
}

// ListAttendanceDays returns the account's kept attendance days of one
// date made in the zone.
func (s *Store) ListAttendanceDays(ctx context.Context, accountID int64, date, timeZone string) ([]callfloor.AttendanceDay, error) {
	out := []callfloor.AttendanceDay{}
	err := s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT extension_id, summary FROM attendance_days WHERE account_id = ? AND local_date = ? AND time_zone = ?
			ORDER BY extension_id`, accountID, date, timeZone)
		if err != nil {
			return dbErr("read attendance days", err)
		}
		defer rows.Close()
		for rows.Next() {
			d := callfloor.AttendanceDay{Date: date, TimeZone: timeZone}
			var summary string
			if err := rows.Scan(&d.ExtensionID, &summary); err != nil {
				return dbErr("read attendance days", err)
			}
			d.Summary = []byte(summary)
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, err
}

// attendanceBatch is how many days one statement of SaveAttendanceDays
// writes (5 parameters a day).
const attendanceBatch = 200

// SaveAttendanceDays keeps days folded when the cursor was at seq, unless
// a late event has been folded since.
func (s *Store) SaveAttendanceDays(ctx context.Context, accountID, seq int64, days []callfloor.AttendanceDay) error {
	return s.write(ctx, 0, func(c conn) error {
		// The cursor's row is locked (PostgreSQL) so that no projector
		// step drops days between this check and the write.
		q := `SELECT late_seq FROM call_history_cursors WHERE account_id = ?`
		if s.d.LockRows {
			q += ` FOR UPDATE`
		}
		var late int64
		err := c.row(ctx, q, accountID).Scan(&late)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return dbErr("keep attendance days", err)
		}
		if late > seq {
			return callfloor.ErrHistoryMoved
		}
		args := make([]any, 0, 5*attendanceBatch)
		for start := 0; start < len(days); start += attendanceBatch {
			chunk := days[start:min(start+attendanceBatch, len(days))]
			args = args[:0]
			for _, d := range chunk {
				args = append(args, accountID, d.Date, d.ExtensionID, d.TimeZone, string(d.Summary))
			}
			q := `INSERT INTO attendance_days (account_id, local_date, extension_id, time_zone, summary) VALUES ` +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(chunk)), ", ") +
				` ON CONFLICT (account_id, local_date, extension_id) DO UPDATE SET time_zone = excluded.time_zone, summary = excluded.summary`
			if _, err := c.exec(ctx, q, args...); err != nil {
				return dbErr("keep attendance days", err)
			}
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
