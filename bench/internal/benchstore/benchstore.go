// Package benchstore opens the store a load benchmark runs on: SQLite in
// a temporary directory, or PostgreSQL at a URL.
package benchstore

import (
	"context"
	"os"
	"path/filepath"

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

// Open opens PostgreSQL at db, or when db is empty SQLite in a new
// temporary directory named after prefix; the func closes the store and
// removes the directory.
func Open(ctx context.Context, db, prefix string) (*sqlstore.Store, func(), error) {
	if db != "" {
		st, err := postgres.Open(ctx, db, sqlstore.Options{})
		return st, func() { st.Close() }, err
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "bench.db"), sqlstore.Options{})
	return st, func() { st.Close(); os.RemoveAll(dir) }, err
}
