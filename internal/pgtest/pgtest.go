// Package pgtest gives tests a PostgreSQL schema of their own on the test
// database (CALLFLOOR_TEST_POSTGRES, which the Makefile and .ci/run set).
// Without the variable a test is skipped, except under CI, where it
// fails: CI must never skip the PostgreSQL half.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// URL returns the test database's URL, or skips t (fails it under CI).
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("CALLFLOOR_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CALLFLOOR_TEST_POSTGRES is not set: CI must run the PostgreSQL tests")
		}
		t.Skip("CALLFLOOR_TEST_POSTGRES is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable): skipping the PostgreSQL tests")
	}
	return u
}

// Schema creates a schema named prefix and a random suffix, dropped when
// t ends, and returns the URL that uses it.
func Schema(t testing.TB, prefix string) string {
	t.Helper()
	base := URL(t)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	schema := prefix + Suffix()
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(t, base, schema)
}

// WithSearchPath returns base (a URL or a key=value string) using schema.
func WithSearchPath(t testing.TB, base, schema string) string {
	if !strings.Contains(base, "://") {
		return base + " search_path=" + schema
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Suffix is 12 random hex digits, to keep names of parallel runs apart.
func Suffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
