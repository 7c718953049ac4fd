package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
)

// SealingStore is a store that seals the trunks' passwords with its
// secret key (sqlstore.Store).
type SealingStore interface {
	callfloor.Store
	SealTrunkPasswords(ctx context.Context) (int, error)
}

// SecretsDB is one database, opened as often as a test asks.
type SecretsDB struct {
	// Open opens the store on the database with key as its secret key
	// (nil: none); the test closes it before opening it again.
	Open func(key []byte) SealingStore
	// StoredPassword reads a trunk's password column as it is stored.
	StoredPassword func(trunkID int64) string
}

// RunSecrets checks that trunk passwords are sealed at rest: a store with
// a key never writes one readable, opens what it sealed, takes up the
// ones stored in clear before it had a key, and a store with another key
// (or none) still lists the trunks, with the password to set again.
// newDB returns a fresh, empty database.
func RunSecrets(t *testing.T, newDB func(t *testing.T) SecretsDB) {
	const pw = "carrier-pass-1"
	keyA, keyB := []byte(strings.Repeat("a", 32)), []byte(strings.Repeat("b", 32))
	db := newDB(t)
	ctx := context.Background()
	password := func(st SealingStore, id int64) (string, bool) {
		t.Helper()
		all, err := st.ListEnabledTrunks(ctx)
		ok(t, err)
		for _, tr := range all {
			if tr.ID == id {
				return tr.Password, tr.HasPassword
			}
		}
		t.Fatalf("trunk %d is not listed: %+v", id, all)
		return "", false
	}

	// Before a key: stored as it was given.
	st := db.Open(nil)
	_, actx := newAccount(t, st, "Acme", callfloor.LicenceAgentExtensions, 2)
	old := mustTrunk(t, st, actx, regTrunk("Old carrier", func(tr *callfloor.Trunk) { tr.Password = pw }))
	if got := db.StoredPassword(old.ID); got != pw {
		t.Fatalf("without a key the password is stored as %q, want it as given", got)
	}
	ok(t, st.Close())

	// With a key: the clear one still opens, and sealing takes it up.
	st = db.Open(keyA)
	if got, _ := password(st, old.ID); got != pw {
		t.Errorf("a password stored in clear reads %q with a key", got)
	}
	n, err := st.SealTrunkPasswords(ctx)
	ok(t, err)
	if n != 1 {
		t.Errorf("sealed %d passwords, want 1", n)
	}
	if n, err := st.SealTrunkPasswords(ctx); err != nil || n != 0 {
		t.Errorf("sealing again: %d, %v; want nothing left to seal", n, err)
	}
	fresh := mustTrunk(t, st, actx, regTrunk("New carrier", func(tr *callfloor.Trunk) { tr.Password = pw }))
	_, err = st.UpdateTrunk(actx, old.ID, func(tr *callfloor.Trunk) error {
		if tr.Password != pw {
			t.Errorf("an update sees the password %q, want it opened", tr.Password)
		}
		tr.Name = "Old carrier (renamed)"
		return nil
	})
	ok(t, err)
	for _, id := range []int64{old.ID, fresh.ID} {
		if raw := db.StoredPassword(id); strings.Contains(raw, pw) || !strings.HasPrefix(raw, "sealed:v1:") {
			t.Errorf("trunk %d's password is stored as %q, want it sealed", id, raw)
		}
		if got, has := password(st, id); got != pw || !has {
			t.Errorf("trunk %d's password reads %q (has %v), want it opened", id, got, has)
		}
	}
	// Sealing draws a new nonce each time: equal passwords do not look
	// equal at rest.
	if db.StoredPassword(old.ID) == db.StoredPassword(fresh.ID) {
		t.Error("two trunks with one password store the same sealed value")
	}
	ok(t, st.Close())

	// Another key, or none: the trunks still list, without a password,
	// and a new one can be set.
	for _, key := range [][]byte{keyB, nil} {
		st = db.Open(key)
		got, has := password(st, fresh.ID)
		if got != "" || !has {
			t.Errorf("with another key the password reads %q (has %v), want none, still marked as set", got, has)
		}
		tr, err := st.FindTrunkByID(actx, fresh.ID)
		ok(t, err)
		if tr.Name != "New carrier" {
			t.Errorf("trunk %+v", tr)
		}
		ok(t, st.Close())
	}
	st = db.Open(keyB)
	_, err = st.UpdateTrunk(actx, fresh.ID, func(tr *callfloor.Trunk) error { tr.Password = "carrier-pass-2"; return nil })
	ok(t, err)
	if got, _ := password(st, fresh.ID); got != "carrier-pass-2" {
		t.Errorf("a password set again reads %q", got)
	}
	ok(t, st.Close())
}
