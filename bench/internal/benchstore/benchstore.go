// Package benchstore opens the store a load benchmark runs on: SQLite in
// a temporary directory, or PostgreSQL at a URL, in a schema of its own
// that is dropped afterwards.
package benchstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the schema

	"github.com/callfloor/callfloor/postgres"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
)

// Name is the store's name for the benchmark's header.
func Name(db string) string {
	if db == "" {
		return "sqlite"
	}
	return "postgres"
}

// Open opens PostgreSQL at db (a postgres:// URL), or when db is empty
// SQLite in a new temporary directory named after prefix; the func closes
// the store and removes the directory or the schema.
func Open(ctx context.Context, db, prefix string) (*sqlstore.Store, func(), error) {
	st, _, done, err := OpenAt(ctx, db, prefix)
	return st, done, err
}

// OpenAt is Open, and also says where the store is, for a loader that
// writes tables directly: the SQLite database file, or the PostgreSQL URL
// whose search_path is the benchmark's schema.
func OpenAt(ctx context.Context, db, prefix string) (*sqlstore.Store, string, func(), error) {
	if db != "" {
		return openPostgres(ctx, db)
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, "", nil, err
	}
	path := filepath.Join(dir, "bench.db")
	st, err := sqlite.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", nil, err
	}
	return st, path, func() { st.Close(); os.RemoveAll(dir) }, nil
}

// openPostgres creates a schema named callfloor_bench_<random>, so that a
// run leaves the database as it found it.
func openPostgres(ctx context.Context, db string) (*sqlstore.Store, string, func(), error) {
	u, err := url.Parse(db)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, "", nil, fmt.Errorf("benchstore: -database must be a postgres:// URL")
	}
	admin, err := sql.Open("pgx", db)
	if err != nil {
		return nil, "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "callfloor_bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return nil, "", nil, fmt.Errorf("benchstore: create schema: %w", err)
	}
	drop := func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			fmt.Fprintf(os.Stderr, "benchstore: drop schema %s: %v\n", schema, err)
		}
		admin.Close()
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	st, err := postgres.Open(ctx, u.String(), sqlstore.Options{})
	if err != nil {
		drop()
		return nil, "", nil, err
	}
	return st, u.String(), func() { st.Close(); drop() }, nil
}
