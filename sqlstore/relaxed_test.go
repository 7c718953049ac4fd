package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// TestWriteRelaxedRestoresDurableCommits checks that the writer
// connection goes back to synchronous=FULL after a relaxed write, whether
// it committed or failed, and that its changes are committed.
func TestWriteRelaxedRestoresDurableCommits(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "x.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	d := Dialect{Name: "sqlite", Relaxed: Relaxed{Before: `PRAGMA synchronous = NORMAL`, After: `PRAGMA synchronous = FULL`}}
	s, err := New(db, db, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	synchronous := func() (mode int) {
		t.Helper()
		if err := db.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		return mode
	}
	var inside int
	err = s.writeRelaxed(ctx, func(c conn) error {
		if err := c.row(ctx, `PRAGMA synchronous`).Scan(&inside); err != nil {
			return err
		}
		_, err := c.exec(ctx, `INSERT INTO t (v) VALUES (1)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if inside != 1 || synchronous() != 2 {
		t.Fatalf("synchronous %d inside the relaxed write and %d after, want 1 (NORMAL) and 2 (FULL)", inside, synchronous())
	}
	boom := errors.New("boom")
	err = s.writeRelaxed(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `INSERT INTO t (v) VALUES (2)`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || synchronous() != 2 {
		t.Fatalf("a failed relaxed write: %v, synchronous %d after", err, synchronous())
	}
	var n, sum int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), SUM(v) FROM t`).Scan(&n, &sum); err != nil || n != 1 || sum != 1 {
		t.Fatalf("rows %d (sum %d), %v: want the committed write alone", n, sum, err)
	}
}
