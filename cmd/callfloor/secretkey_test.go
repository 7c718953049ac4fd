package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
)

func TestSecretKeyFile(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Data = filepath.Join(t.TempDir(), "data")
	key, err := loadSecretKey(cfg)
	if err != nil || len(key) != sqlstore.SecretKeySize {
		t.Fatalf("first start: %d bytes, %v", len(key), err)
	}
	path := filepath.Join(cfg.Data, "secret.key")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v; want it readable by the owner only", fi, err)
	}
	again, err := loadSecretKey(cfg)
	if err != nil || !bytes.Equal(again, key) {
		t.Errorf("the next start reads another key (%v)", err)
	}

	// A key file elsewhere, and the errors.
	dir := t.TempDir()
	for _, tc := range []struct{ name, content, want string }{
		{"not hex", strings.Repeat("zz", 32), "want 64 hex digits"},
		{"short", strings.Repeat("ab", 16), "want 64 hex digits"},
		{"empty", "", "want 64 hex digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".key")
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			c := cfg
			c.SecretKeyFile = p
			_, err := loadSecretKey(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("error %v, want one naming %s", err, p)
			}
			if tc.content != "" && strings.Contains(err.Error(), tc.content) {
				t.Errorf("the error shows the file's content: %v", err)
			}
		})
	}
	c := cfg
	c.SecretKeyFile = filepath.Join(dir, "nested", "own.key")
	if _, err := loadSecretKey(c); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.SecretKeyFile); err != nil {
		t.Errorf("secret-key-file not used: %v", err)
	}
}

// TestTrunkPasswordSealedOnDisk: a trunk password written while the
// server had no key (an older version) is sealed when the server opens
// the database, and reads back the same through the store.
func TestTrunkPasswordSealedOnDisk(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.Data = t.TempDir()
	dbPath := filepath.Join(cfg.Data, "callfloor.db")

	old, err := sqlite.Open(ctx, dbPath, sqlstore.Options{}) // as a version without keys did
	if err != nil {
		t.Fatal(err)
	}
	acc := &callfloor.Account{Name: "acme", TimeZone: "UTC"}
	if err := old.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	tr := callfloor.NewTrunk("Carrier", "127.0.0.1:5080")
	tr.Username, tr.Password = "acme", "carrier-pass-1"
	if err := old.CreateTrunk(callfloor.SystemContext(ctx, acc.ID), tr); err != nil {
		t.Fatal(err)
	}
	old.Close()
	if got := storedPassword(t, dbPath, tr.ID); got != "carrier-pass-1" {
		t.Fatalf("before: stored %q", got)
	}

	st, err := openStore(ctx, cfg, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := storedPassword(t, dbPath, tr.ID); strings.Contains(got, "carrier-pass-1") || !strings.HasPrefix(got, "sealed:v1:") {
		t.Errorf("after the server opened the database the password is stored as %q", got)
	}
	all, err := st.ListEnabledTrunks(ctx)
	if err != nil || len(all) != 1 || all[0].Password != "carrier-pass-1" {
		t.Errorf("trunks %+v, %v; want the password opened", all, err)
	}
}

func storedPassword(t *testing.T, path string, id int64) string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow(`SELECT password FROM trunks WHERE id = ?`, id).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSIPNonceKey: nodes with one secret key sign nonces alike, nodes
// with another do not, and the nonce key is never the secret key.
func TestSIPNonceKey(t *testing.T) {
	a := bytes.Repeat([]byte{0xab}, 32)
	b := bytes.Repeat([]byte{0xcd}, 32)
	if !bytes.Equal(sipNonceKey(a), sipNonceKey(bytes.Clone(a))) {
		t.Fatal("one secret key, two nonce keys")
	}
	if bytes.Equal(sipNonceKey(a), sipNonceKey(b)) {
		t.Fatal("two secret keys, one nonce key")
	}
	if k := sipNonceKey(a); len(k) != 32 || bytes.Equal(k, a) {
		t.Fatalf("nonce key %x from secret %x", k, a)
	}
}
