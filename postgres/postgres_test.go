package postgres_test

import (
	"context"
	"database/sql"
	"io/fs"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/pgtest"
	"github.com/callfloor/callfloor/postgres"
	"github.com/callfloor/callfloor/sqlstore"
	"github.com/callfloor/callfloor/storetest"
)

// baseURL is the test database, or the test is skipped (failed under CI).
func baseURL(t *testing.T) string { return pgtest.URL(t) }

// freshSchema creates a uniquely named schema, dropped when t ends, and
// returns the URL that uses it.
func freshSchema(t *testing.T) string { return pgtest.Schema(t, "cftest_") }

func open(t *testing.T, url string, opts sqlstore.Options) *sqlstore.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformance(t *testing.T) {
	baseURL(t)
	storetest.Run(t, func(t *testing.T) callfloor.Store {
		return open(t, freshSchema(t), sqlstore.Options{})
	})
}

func TestClock(t *testing.T) {
	storetest.RunClock(t, func(t *testing.T, c callfloor.Clock) callfloor.Store {
		return open(t, freshSchema(t), sqlstore.Options{Clock: c})
	})
}

// TestOpenTwice: two processes starting together on a fresh schema migrate
// once, and reopening applies nothing.
func TestOpenTwice(t *testing.T) {
	ctx := context.Background()
	u := freshSchema(t)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			st, err := postgres.Open(ctx, u, sqlstore.Options{})
			if err == nil {
				err = st.Close()
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	st := open(t, u, sqlstore.Options{})
	a := &callfloor.Account{Name: "Acme", TimeZone: "UTC"}
	if err := st.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files, _ := fs.Glob(postgres.Migrations(), "*.sql")
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Fatalf("%d migrations recorded (%v), %d files", n, err, len(files))
	}
	applied, err := sqlstore.Migrate(ctx, db, sqlstore.Dialect{Name: "postgres", NumberedPlaceholders: true}, postgres.Migrations())
	if err != nil || len(applied) != 0 {
		t.Fatalf("migrating again applied %v, %v", applied, err)
	}
	// The tables live in the schema of the URL, not in public.
	var schema string
	err = db.QueryRow(`SELECT table_schema FROM information_schema.tables WHERE table_name = 'accounts' AND table_schema = current_schema()`).Scan(&schema)
	if err != nil || !strings.HasPrefix(schema, "cftest_") {
		t.Fatalf("accounts is in schema %q (%v)", schema, err)
	}
	st2 := open(t, u, sqlstore.Options{})
	got, err := st2.FindAccountByName(ctx, "ACME")
	if err != nil || got.ID != a.ID {
		t.Fatalf("reopened store finds %+v, %v", got, err)
	}
}

func TestBadURL(t *testing.T) {
	if _, err := postgres.Open(context.Background(), "postgres://nobody@127.0.0.1:1/x?connect_timeout=1", sqlstore.Options{}); err == nil {
		t.Fatal("Open of a closed port worked")
	}
	if _, err := postgres.Open(context.Background(), "::not a url", sqlstore.Options{}); err == nil {
		t.Fatal("Open of a bad URL worked")
	}
}

func TestTrunkPasswordsSealed(t *testing.T) {
	baseURL(t)
	storetest.RunSecrets(t, func(t *testing.T) storetest.SecretsDB {
		url := freshSchema(t)
		return storetest.SecretsDB{
			Open: func(key []byte) storetest.SealingStore {
				st, err := postgres.Open(context.Background(), url, sqlstore.Options{SecretKey: key})
				if err != nil {
					t.Fatal(err)
				}
				return st
			},
			StoredPassword: func(id int64) string {
				db, err := sql.Open("pgx", url)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				var v string
				if err := db.QueryRow(`SELECT password FROM trunks WHERE id = $1`, id).Scan(&v); err != nil {
					t.Fatal(err)
				}
				return v
			},
		}
	})
}
