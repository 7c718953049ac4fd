package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one versioned schema change: the file NNNN_name.sql.
type Migration struct {
	Version int64
	Name    string
	SQL     string
}

// ReadMigrations returns the migrations in the *.sql files at the top of
// fsys, ordered by version. Each file is named NNNN_what.sql; two files with
// one version are an error.
func ReadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	seen := map[int64]string{}
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlstore: migration %s is not named NNNN_what.sql", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("sqlstore: migrations %s and %s have one version", prev, name)
		}
		seen[v] = name
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(path.Base(name), ".sql"), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Migrate applies, in one transaction, the migrations of fsys that the
// schema_migrations table does not list yet, recording each there. It
// returns the names of those it applied. The dialect's MigrationLock runs
// first in the transaction.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, fsys fs.FS) ([]string, error) {
	ms, err := ReadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, dbErr("begin migration", err)
	}
	defer tx.Rollback()
	c := conn{q: tx, d: &d}
	if d.MigrationLock != "" {
		if _, err := c.exec(ctx, d.MigrationLock); err != nil {
			return nil, dbErr("lock for migration", err)
		}
	}
	if _, err := c.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return nil, dbErr("create schema_migrations", err)
	}
	done := map[int64]bool{}
	rows, err := c.query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, dbErr("read schema_migrations", err)
	}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, dbErr("read schema_migrations", err)
		}
		done[v] = true
	}
	if err := rows.Close(); err != nil {
		return nil, dbErr("read schema_migrations", err)
	}
	var applied []string
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return nil, dbErr("apply migration "+m.Name, err)
		}
		if _, err := c.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UnixMilli()); err != nil {
			return nil, dbErr("record migration "+m.Name, err)
		}
		applied = append(applied, m.Name)
	}
	if err := tx.Commit(); err != nil {
		return nil, dbErr("commit migration", err)
	}
	return applied, nil
}
