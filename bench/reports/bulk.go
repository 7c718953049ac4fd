package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/callfloor/callfloor"
)

// A loader writes journal rows straight into the table, as AppendEvents
// stores them (account, seq, at, type, extension, the event as JSON),
// but without the journal's extension index, which finish makes again
// at the end: inserting into it one event at a time, at random places,
// is most of the time a bulk load takes.
type loader interface {
	load(ctx context.Context, evs []callfloor.Event, bodies []string) error
	finish(ctx context.Context) error
}

// journalRow is one event's row of the journal table.
func journalRow(e *callfloor.Event, body string) []any {
	return []any{e.AccountID, e.Seq, e.At.UnixMilli(), string(e.Type), e.ExtensionID, body}
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

const journalIndex = "journal_extension"

// sqliteLoader writes an SQLite database file that no store has open,
// without a rollback journal or syncs (the file is the benchmark's own),
// 100 events to a prepared INSERT, a day to a transaction.
type sqliteLoader struct {
	db    *sql.DB
	index string
}

const sqliteBatch = 100

func openSQLiteLoader(ctx context.Context, path string) (*sqliteLoader, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-262144)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	l := &sqliteLoader{db: db}
	if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`, journalIndex).Scan(&l.index); err != nil {
		db.Close()
		return nil, fmt.Errorf("the journal's index: %w", err)
	}
	if _, err := db.ExecContext(ctx, `DROP INDEX `+journalIndex); err != nil {
		db.Close()
		return nil, err
	}
	return l, nil
}

func insertJournal(n int) string {
	return `INSERT INTO journal (account_id, seq, at, type, extension_id, body) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?),", n), ",")
}

func (l *sqliteLoader) load(ctx context.Context, evs []callfloor.Event, bodies []string) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, insertJournal(sqliteBatch))
	if err != nil {
		return err
	}
	defer stmt.Close()
	args := make([]any, 0, 6*sqliteBatch)
	for start := 0; start < len(evs); start += sqliteBatch {
		end := min(start+sqliteBatch, len(evs))
		args = args[:0]
		for i := start; i < end; i++ {
			args = append(args, journalRow(&evs[i], bodies[i])...)
		}
		if end-start == sqliteBatch {
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertJournal(end-start), args...)
		}
		if err != nil {
			return fmt.Errorf("load journal: %w", err)
		}
	}
	return tx.Commit()
}

func (l *sqliteLoader) finish(ctx context.Context) error {
	defer l.db.Close()
	if _, err := l.db.ExecContext(ctx, `PRAGMA threads = 2`); err != nil {
		return err
	}
	if _, err := l.db.ExecContext(ctx, l.index); err != nil {
		return err
	}
	_, err := l.db.ExecContext(ctx, `PRAGMA journal_mode = WAL`)
	return err
}

// pgLoader copies the events into the benchmark's schema with COPY, then
// makes the index again and analyses the table, as autovacuum would
// after such growth.
type pgLoader struct {
	conn  *pgx.Conn
	index string
}

func openPGLoader(ctx context.Context, url string) (*pgLoader, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	l := &pgLoader{conn: conn}
	if err := conn.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1`, journalIndex).Scan(&l.index); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("the journal's index: %w", err)
	}
	if _, err := conn.Exec(ctx, `DROP INDEX `+journalIndex); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	return l, nil
}

func (l *pgLoader) load(ctx context.Context, evs []callfloor.Event, bodies []string) error {
	_, err := l.conn.CopyFrom(ctx, pgx.Identifier{"journal"}, []string{"account_id", "seq", "at", "type", "extension_id", "body"},
		pgx.CopyFromSlice(len(evs), func(i int) ([]any, error) { return journalRow(&evs[i], bodies[i]), nil }))
	if err != nil {
		return fmt.Errorf("copy journal: %w", err)
	}
	return nil
}

func (l *pgLoader) finish(ctx context.Context) error {
	defer l.conn.Close(ctx)
	if _, err := l.conn.Exec(ctx, l.index); err != nil {
		return err
	}
	_, err := l.conn.Exec(ctx, `ANALYZE journal`)
	return err
}
