package postgres_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sqlstore"
)

// blocker is a transaction on its own connection that holds a lock on an
// account's owner row, as a claim or an append of another node would.
type blocker struct {
	tx  *sql.Tx
	pid int
}

func hold(t *testing.T, db *sql.DB, stmt string, args ...any) *blocker {
	t.Helper()
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	b := &blocker{tx: tx}
	if err := tx.QueryRow(`SELECT pg_backend_pid()`).Scan(&b.pid); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(stmt, args...); err != nil {
		t.Fatal(err)
	}
	return b
}

// waitBlocked returns once some backend waits for b's locks.
func waitBlocked(t *testing.T, db *sql.DB, b *blocker) {
	t.Helper()
	for range 1000 {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, b.pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("nothing waits for the held owner row")
}

func rawDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestAppendWaitsForAClaimInFlight: an append fenced by the current epoch
// that meets a claim not yet committed waits for it, then reads the new
// epoch and is refused: no stale append commits after a claim.
func TestAppendWaitsForAClaimInFlight(t *testing.T) {
	u := freshSchema(t)
	st := open(t, u, sqlstore.Options{})
	ctx := context.Background()
	a := &callfloor.Account{Name: "Acme", TimeZone: "UTC"}
	if err := st.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	o, err := st.TakeOwnership(ctx, a.ID, "node-1")
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, u)
	claim := hold(t, db, `UPDATE account_owners SET epoch = epoch + 1, node = 'node-2' WHERE account_id = $1`, a.ID)
	done := make(chan error, 1)
	go func() {
		done <- st.AppendFenced(ctx, a.ID, o.Epoch, []callfloor.Event{{AccountID: a.ID, Seq: 1, Type: callfloor.EventLoggedIn}})
	}()
	waitBlocked(t, db, claim)
	if err := claim.tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; callfloor.ErrorCode(err) != callfloor.ErrFenced {
		t.Fatalf("append under the epoch a claim in flight replaced: %v, want %s", err, callfloor.ErrFenced)
	}
	if evs, err := st.ReadEvents(ctx, a.ID, 0, 10); err != nil || len(evs) != 0 {
		t.Fatalf("journal after the refused append: %v, %v", evs, err)
	}
}

// TestClaimWaitsForAnAppendInFlight: a claim that meets an append which
// already checked its epoch (it holds the owner row shared) waits for it
// to commit, so the new owner finds those events in the journal.
func TestClaimWaitsForAnAppendInFlight(t *testing.T) {
	u := freshSchema(t)
	st := open(t, u, sqlstore.Options{})
	ctx := context.Background()
	a := &callfloor.Account{Name: "Acme", TimeZone: "UTC"}
	if err := st.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TakeOwnership(ctx, a.ID, "node-1"); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, u)
	appending := hold(t, db, `SELECT epoch FROM account_owners WHERE account_id = $1 FOR SHARE`, a.ID)
	done := make(chan callfloor.Ownership, 1)
	go func() {
		o, err := st.TakeOwnership(ctx, a.ID, "node-2")
		if err != nil {
			t.Error(err)
		}
		done <- o
	}()
	waitBlocked(t, db, appending)
	if err := appending.tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if o := <-done; o.Epoch != 2 || o.Node != "node-2" {
		t.Fatalf("claim after the append: %+v, want node-2 at epoch 2", o)
	}
}
