// Package sqlite opens callfloor's store in an SQLite database file, the
// single-node default, with the pure-Go modernc.org/sqlite driver.
//
// The database runs in WAL mode with synchronous=FULL and foreign keys on.
// All writes go through one connection that begins its transactions
// IMMEDIATE, so writers never race; reads use a separate pool of read-only
// connections. The schema is migrations/*.sql, embedded and applied at
// Open.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

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

// readers is the size of the read pool.
const readers = 4

// busyTimeoutMS is how long a connection waits for a lock.
const busyTimeoutMS = 10000

var dialect = sqlstore.Dialect{Name: "sqlite", IsUniqueViolation: isUniqueViolation,
	// In WAL mode, synchronous=NORMAL commits without an fsync and
	// survives the process's crash; a crash of the machine may roll back
	// the last such commits, never part of one. The next FULL commit's
	// fsync takes them to the disk too.
	Relaxed: sqlstore.Relaxed{Before: `PRAGMA synchronous = NORMAL`, After: `PRAGMA synchronous = FULL`}}

func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// Open opens (creating it and its directory if needed) the database file at
// path, applies the migrations it lacks and returns the store.
func Open(ctx context.Context, path string, opts sqlstore.Options) (*sqlstore.Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: %q is not a plain file path", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// The database holds password hashes, SIP HA1s and sealed trunk
	// secrets: only its owner reads it. SQLite gives its -wal and -shm
	// files the database file's mode, so creating it 0600 covers them.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	f.Close()
	// The writer never checkpoints: a checkpoint in a commit would stall
	// every command waiting behind it. The checkpointer does it instead.
	// Statement journals (a statement's own undo inside a transaction)
	// stay in memory rather than in a temporary file: they matter only
	// until the statement ends, and durability is the WAL's.
	writer, err := openPool(ctx, path, 1,
		"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "wal_autocheckpoint(0)", "temp_store(2)")
	if err != nil {
		return nil, err
	}
	applied, err := sqlstore.Migrate(ctx, writer, dialect, Migrations())
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if opts.Logger != nil {
		for _, m := range applied {
			opts.Logger.InfoContext(ctx, "applied migration", "db", "sqlite", "migration", m)
		}
	}
	reader, err := openPool(ctx, path, readers, "foreign_keys(1)", "query_only(1)")
	if err != nil {
		writer.Close()
		return nil, err
	}
	cp, err := startCheckpointer(ctx, path)
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, err
	}
	st, err := sqlstore.New(writer, reader, dialect, opts)
	if err != nil {
		_ = cp.stop()
		writer.Close()
		reader.Close()
		return nil, err
	}
	st.OnClose(cp.stop)
	return st, nil
}

// checkpointEvery is how often the checkpointer copies the WAL into the
// database file.
const checkpointEvery = 250 * time.Millisecond

// checkpointer runs PASSIVE checkpoints on its own connection: they copy
// what they can of the WAL into the database without ever blocking the
// writer or the readers. At close it truncates the WAL.
type checkpointer struct {
	db   *sql.DB
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
	err  error
}

func startCheckpointer(ctx context.Context, path string) (*checkpointer, error) {
	db, err := openPool(ctx, path, 1, "synchronous(FULL)")
	if err != nil {
		return nil, err
	}
	c := &checkpointer{db: db, done: make(chan struct{})}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-c.done:
				return
			case <-t.C:
				db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
			}
		}
	}()
	return c, nil
}

// stop ends the checkpointer; closing a store twice stops it once.
func (c *checkpointer) stop() error {
	c.once.Do(func() {
		close(c.done)
		c.wg.Wait()
		_, err := c.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		c.err = errors.Join(err, c.db.Close())
	})
	return c.err
}

// openPool opens a pool of at most n connections to path, each set up with
// the busy timeout and the pragmas. The one-connection pool is the writer:
// its transactions begin IMMEDIATE.
func openPool(ctx context.Context, path string, n int, pragmas ...string) (*sql.DB, error) {
	dsn := path + "?_pragma=busy_timeout(" + fmt.Sprint(busyTimeoutMS) + ")"
	for _, p := range pragmas {
		dsn += "&_pragma=" + p
	}
	if n == 1 {
		dsn += "&_txlock=immediate"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}
