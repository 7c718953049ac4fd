package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/callfloor/callfloor"
)

// A loader writes a day straight into the tables, as the store writes
// them: the journal as AppendEvents stores events (account, seq, at,
// type, extension, the event as JSON), the call history and its daily
// rollups as SaveCallRows stores a HistoryBatch; and at the end the
// history's cursor. It drops the tables' secondary indexes first and
// finish makes them again: inserting into them a row at a time, at
// random places, is most of the time a bulk load takes.
type loader interface {
	load(ctx context.Context, account int64, d *dayOf) error
	cursor(ctx context.Context, account int64, cur callfloor.HistoryCursor) error
	finish(ctx context.Context) error
}

// secondary are the indexes a loader drops and makes again.
// (The journal's index by extension is a table the store fills after
// the fact: main runs IndexJournals once the load is done.)
var secondary = []string{"call_history_start", "call_history_agent"}

// table is one table's columns and rows.
type table struct {
	name string
	cols []string
	rows [][]any
}

// tables are the day's rows of each table.
func tables(account int64, d *dayOf) []table {
	journal := table{name: "journal", cols: []string{"account_id", "seq", "at", "type", "extension_id", "body"}}
	for i := range d.events {
		e := &d.events[i]
		journal.rows = append(journal.rows, []any{e.AccountID, e.Seq, e.At.UnixMilli(), string(e.Type), e.ExtensionID, d.bodies[i]})
	}
	calls := table{name: "call_history", cols: []string{"account_id", "extension_id", "call_id", "direction", "number", "queue_id",
		"campaign_id", "start_at", "answered_at", "ended_at", "end_reason", "category", "outcome", "notes", "tags", "incomplete", "seq"}}
	for _, r := range d.rows {
		tags, _ := json.Marshal(r.Tags) // Fold makes them never nil
		calls.rows = append(calls.rows, []any{account, r.ExtensionID, r.CallID, string(r.Direction), r.Number, r.QueueID, r.CampaignID,
			r.Start.UnixMilli(), ms64(r.AnsweredAt), ms64(r.EndedAt), r.EndReason, string(r.Category), r.Outcome, r.Notes, string(tags),
			r.Incomplete, r.Seq})
	}
	days := table{name: "report_daily", cols: []string{"account_id", "local_date", "extension_id", "queue_id", "campaign_id", "category",
		"outcome", "calls"}}
	for _, c := range d.counts {
		days.rows = append(days.rows, []any{account, c.Date, c.ExtensionID, c.QueueID, c.CampaignID, string(c.Category), c.Outcome, int64(c.Calls)})
	}
	return []table{journal, calls, days}
}

// ms64 is an optional time as the store keeps it: Unix ms, or NULL.
func ms64(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// bodies encodes the events as AppendEvents does.
func bodies(evs []callfloor.Event) ([]string, error) {
	out := make([]string, len(evs))
	for i := range evs {
		b, err := json.Marshal(evs[i])
		if err != nil {
			return nil, err
		}
		out[i] = string(b)
	}
	return out, nil
}

const cursorInsert = `INSERT INTO call_history_cursors (account_id, seq, time_zone, last_at, late_seq) VALUES `

// sqliteLoader writes an SQLite database file that no store has open,
// without a rollback journal or syncs (the file is the benchmark's own),
// a few rows to a prepared INSERT, a day to a transaction.
type sqliteLoader struct {
	db      *sql.DB
	indexes []string
}

func openSQLiteLoader(ctx context.Context, path string) (*sqliteLoader, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-1048576)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	l := &sqliteLoader{db: db}
	for _, name := range secondary {
		var ddl string
		if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&ddl); err != nil {
			db.Close()
			return nil, fmt.Errorf("index %s: %w", name, err)
		}
		if _, err := db.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			db.Close()
			return nil, err
		}
		l.indexes = append(l.indexes, ddl)
	}
	return l, nil
}

// insertRows is the INSERT of n rows of t.
func insertRows(t *table, n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(t.cols)), ",") + "),"
	return `INSERT INTO ` + t.name + ` (` + strings.Join(t.cols, ", ") + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row, n), ",")
}

func (l *sqliteLoader) load(ctx context.Context, account int64, d *dayOf) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range tables(account, d) {
		batch := 600 / len(t.cols)
		stmt, err := tx.PrepareContext(ctx, insertRows(&t, batch))
		if err != nil {
			return err
		}
		args := make([]any, 0, batch*len(t.cols))
		for start := 0; start < len(t.rows); start += batch {
			end := min(start+batch, len(t.rows))
			args = args[:0]
			for _, r := range t.rows[start:end] {
				args = append(args, r...)
			}
			if end-start == batch {
				_, err = stmt.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, insertRows(&t, end-start), args...)
			}
			if err != nil {
				stmt.Close()
				return fmt.Errorf("load %s: %w", t.name, err)
			}
		}
		stmt.Close()
	}
	return tx.Commit()
}

func (l *sqliteLoader) cursor(ctx context.Context, account int64, cur callfloor.HistoryCursor) error {
	_, err := l.db.ExecContext(ctx, cursorInsert+`(?, ?, ?, ?, ?)`, account, cur.Seq, cur.TimeZone, cur.LastAt.UnixMilli(), cur.LateSeq)
	return err
}

func (l *sqliteLoader) finish(ctx context.Context) error {
	defer l.db.Close()
	for _, ddl := range l.indexes {
		if _, err := l.db.ExecContext(ctx, ddl); err != nil {
			return err
		}
	}
	_, err := l.db.ExecContext(ctx, `PRAGMA journal_mode = WAL`)
	return err
}

// pgLoader copies the rows into the benchmark's schema with COPY, then
// makes the indexes again and analyses the tables, as autovacuum would
// after such growth.
type pgLoader struct {
	conn    *pgx.Conn
	indexes []string
}

func openPGLoader(ctx context.Context, url string) (*pgLoader, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	l := &pgLoader{conn: conn}
	for _, name := range secondary {
		var ddl string
		if err := conn.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1`, name).Scan(&ddl); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("index %s: %w", name, err)
		}
		if _, err := conn.Exec(ctx, `DROP INDEX `+name); err != nil {
			conn.Close(ctx)
			return nil, err
		}
		l.indexes = append(l.indexes, ddl)
	}
	return l, nil
}

func (l *pgLoader) load(ctx context.Context, account int64, d *dayOf) error {
	tx, err := l.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, t := range tables(account, d) {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	return tx.Commit(ctx)
}

func (l *pgLoader) cursor(ctx context.Context, account int64, cur callfloor.HistoryCursor) error {
	_, err := l.conn.Exec(ctx, cursorInsert+`($1, $2, $3, $4, $5)`, account, cur.Seq, cur.TimeZone, cur.LastAt.UnixMilli(), cur.LateSeq)
	return err
}

func (l *pgLoader) finish(ctx context.Context) error {
	defer l.conn.Close(ctx)
	for _, ddl := range l.indexes {
		if _, err := l.conn.Exec(ctx, ddl); err != nil {
			return err
		}
	}
	_, err := l.conn.Exec(ctx, `ANALYZE journal, call_history, report_daily`)
	return err
}
