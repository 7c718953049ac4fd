package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
	"github.com/callfloor/callfloor/storetest"
)

func open(t *testing.T, path string, opts sqlstore.Options) *sqlstore.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) callfloor.Store {
		return open(t, filepath.Join(t.TempDir(), "callfloor.db"), sqlstore.Options{})
	})
}

func TestClock(t *testing.T) {
	storetest.RunClock(t, func(t *testing.T, c callfloor.Clock) callfloor.Store {
		return open(t, filepath.Join(t.TempDir(), "callfloor.db"), sqlstore.Options{Clock: c})
	})
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "callfloor.db") // Open creates the directories
	st, err := sqlite.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := &callfloor.Account{Name: "Acme", TimeZone: "UTC", LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: 2}
	if err := st.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	actx := callfloor.SystemContext(ctx, a.ID)
	e := &callfloor.Extension{Number: "201", SIPUsername: callfloor.NewSIPUsername("201"), QueuesFeature: true,
		Agent: callfloor.DefaultAgentSettings()}
	e.Agent.Enabled = true
	if err := st.CreateExtension(actx, e); err != nil {
		t.Fatal(err)
	}
	before := migrations(t, path)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = open(t, path, sqlstore.Options{})
	got, err := st.FindAccountByName(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	a.AgentsInUse = 1
	if *got != *a {
		t.Fatalf("account after reopening: %+v, want %+v", got, a)
	}
	exts, err := st.ListExtensions(actx)
	if err != nil || len(exts) != 1 || exts[0].SIPUsername != e.SIPUsername {
		t.Fatalf("extensions after reopening: %v %v", exts, err)
	}
	if after := migrations(t, path); after != before {
		t.Fatalf("schema_migrations changed on reopening:\n%s\nwas\n%s", after, before)
	}
	// Migrating again applies nothing.
	db := rawDB(t, path)
	applied, err := sqlstore.Migrate(ctx, db, sqlstore.Dialect{Name: "sqlite"}, sqlite.Migrations())
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migration applied %v, %v", applied, err)
	}
}

// migrations lists schema_migrations as text.
func migrations(t *testing.T, path string) string {
	t.Helper()
	rows, err := rawDB(t, path).Query(`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out string
	n := 0
	for rows.Next() {
		var v, at int64
		var name string
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprintf("%d %s %d\n", v, name, at)
		n++
	}
	files, _ := fs.Glob(sqlite.Migrations(), "*.sql")
	if n != len(files) || n == 0 {
		t.Fatalf("%d migrations recorded, %d files", n, len(files))
	}
	return out
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callfloor.db")
	open(t, path, sqlstore.Options{})
	var mode string
	if err := rawDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
}

func TestBadPath(t *testing.T) {
	for _, p := range []string{"", "x.db?mode=ro", "file:x.db"} {
		if _, err := sqlite.Open(context.Background(), p, sqlstore.Options{}); err == nil {
			t.Errorf("Open(%q) worked", p)
		}
	}
}

// TestCheckpointer: the writer never checkpoints in a commit; the
// background checkpointer keeps the WAL from growing and closing the store
// truncates it.
func TestCheckpointer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.db")
	st, err := sqlite.Open(context.Background(), path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := &callfloor.Account{Name: "acme", TimeZone: "UTC"}
	if err := st.CreateAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 300; i++ {
		ev := callfloor.Event{AccountID: a.ID, Seq: i, Type: callfloor.EventLoggedIn, At: time.Now()}
		if err := st.AppendEvents(context.Background(), a.ID, []callfloor.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close() // a second close is harmless
	fi, err := os.Stat(path + "-wal")
	if err == nil && fi.Size() != 0 {
		t.Fatalf("WAL of %d bytes left after close", fi.Size())
	}
	st, err = sqlite.Open(context.Background(), path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.ReadEvents(context.Background(), a.ID, 0, 1000)
	if err != nil || len(evs) != 300 {
		t.Fatalf("after reopening: %d events, %v", len(evs), err)
	}
}

func TestTrunkPasswordsSealed(t *testing.T) {
	storetest.RunSecrets(t, func(t *testing.T) storetest.SecretsDB {
		path := filepath.Join(t.TempDir(), "callfloor.db")
		return storetest.SecretsDB{
			Open: func(key []byte) storetest.SealingStore {
				st, err := sqlite.Open(context.Background(), path, sqlstore.Options{SecretKey: key})
				if err != nil {
					t.Fatal(err)
				}
				return st
			},
			StoredPassword: func(id int64) string {
				var v string
				if err := rawDB(t, path).QueryRow(`SELECT password FROM trunks WHERE id = ?`, id).Scan(&v); err != nil {
					t.Fatal(err)
				}
				return v
			},
		}
	})
}

func TestSecretKeySize(t *testing.T) {
	_, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "callfloor.db"), sqlstore.Options{SecretKey: []byte("short")})
	if err == nil || !strings.Contains(err.Error(), "secret key has 5 bytes, want 32") {
		t.Errorf("a 5-byte key: %v", err)
	}
}

// TestFilesOnlyForTheOwner: the database and its WAL files are 0600, a
// directory it creates 0700, whatever the umask.
func TestFilesOnlyForTheOwner(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "callfloor.db")
	st := open(t, path, sqlstore.Options{})
	ctx := context.Background()
	if err := st.CreateAccount(ctx, &callfloor.Account{Name: "acme", TimeZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	check := func(name string, want os.FileMode) {
		t.Helper()
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", filepath.Base(name), got, want)
		}
	}
	check(dir, 0o700)
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		check(f, 0o600)
	}
}

// TestWebhookSecretsSealed: an endpoint's signing secrets are stored
// sealed with the secret key, and read back in clear.
func TestWebhookSecretsSealed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callfloor.db")
	st := open(t, path, sqlstore.Options{SecretKey: []byte(strings.Repeat("k", 32))})
	ctx := context.Background()
	acc := &callfloor.Account{Name: "Acme", TimeZone: "Europe/London"}
	if err := st.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	actx := callfloor.SystemContext(ctx, acc.ID)
	const current, previous = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
	w := &callfloor.WebhookEndpoint{URL: "https://hooks.example.com/", Enabled: true, Secret: previous}
	if err := st.CreateWebhookEndpoint(actx, w); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateWebhookEndpoint(actx, w.ID, func(x *callfloor.WebhookEndpoint) error {
		x.Rotate(current, time.Now(), time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var sec, prev string
	if err := rawDB(t, path).QueryRow(`SELECT secret, previous_secret FROM webhook_endpoints WHERE id = ?`, w.ID).Scan(&sec, &prev); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sec, "sealed:v1:") || !strings.HasPrefix(prev, "sealed:v1:") || strings.Contains(sec+prev, "whsec_") {
		t.Fatalf("stored %q and %q: want both sealed", sec, prev)
	}
	got, err := st.FindWebhookEndpointByID(actx, w.ID)
	if err != nil || got.Secret != current || got.PreviousSecret != previous {
		t.Fatalf("read back %+v, %v", got, err)
	}
}
