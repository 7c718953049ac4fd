// Package postgres opens callfloor's store in a PostgreSQL database, the
// choice for running several nodes, with github.com/jackc/pgx/v5 through
// its database/sql driver.
//
// The URL is a pgx connection string; its runtime parameters, such as
// search_path, apply to every connection. The schema is migrations/*.sql,
// embedded and applied at Open under an advisory lock, so that two
// processes starting together migrate once.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/callfloor/callfloor/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded schema migrations.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}

// maxConns is the size of the connection pool.
const maxConns = 10

var dialect = sqlstore.Dialect{
	Name:                 "postgres",
	NumberedPlaceholders: true,
	LockRows:             true,
	IsUniqueViolation:    isUniqueViolation,
	// One lock per schema: tests and tenants in other schemas of the
	// database migrate independently.
	MigrationLock: `SELECT pg_advisory_xact_lock(hashtext('callfloor.migrate.' || current_schema()))`,
	AnalyzeLeads:  `ANALYZE leads, lead_numbers`,
	// An asynchronous commit: PostgreSQL keeps such commits in order and
	// whole, and may lose the last of them if the server crashes.
	Relaxed: sqlstore.Relaxed{Inside: `SET LOCAL synchronous_commit = off`},
	// The notification is delivered when the transaction commits, and
	// not at all when it rolls back. See Listener.
	NotifyChange: `SELECT pg_notify(` + channelExpr + `, ?)`,
}

// channelExpr is the notification channel of the schema's changes: one
// per schema, as tests and tenants in other schemas of the database
// must not hear each other, and short enough for a channel name (63
// bytes) whatever the schema's name.
const channelExpr = `'callfloor_' || md5(current_schema())`

func isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// Open connects to the database at url, applies the migrations it lacks
// and returns the store.
func Open(ctx context.Context, url string, opts sqlstore.Options) (*sqlstore.Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect to %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	applied, err := sqlstore.Migrate(ctx, db, dialect, Migrations())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if opts.Logger != nil {
		for _, m := range applied {
			opts.Logger.InfoContext(ctx, "applied migration", "db", "postgres", "migration", m)
		}
	}
	st, err := sqlstore.New(db, db, dialect, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	return st, nil
}
