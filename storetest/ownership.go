package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/callfloor/callfloor"
)

var ownershipTests = []test{
	{"ownership/the later claim wins and fences the earlier owner", testOwnershipLaterClaimWins},
	{"ownership/epoch 0 appends as a single server does", testOwnershipEpochZero},
	{"ownership/a batch with one fenced account writes nothing", testOwnershipBatchFenced},
	{"ownership/claims at once: each epoch once, one owner decides", testOwnershipRace},
	{"ownership/claims name a known account and a node", testOwnershipClaimErrors},
}

// journalLen fails unless the account's journal holds n events.
func journalLen(t *testing.T, st callfloor.Store, accountID int64, n int) {
	t.Helper()
	got, err := st.ReadEvents(context.Background(), accountID, 0, 1000)
	ok(t, err)
	if len(got) != n {
		t.Fatalf("account %d's journal has %d events, want %d", accountID, len(got), n)
	}
}

func claim(t *testing.T, st callfloor.Store, accountID int64, node string) callfloor.Ownership {
	t.Helper()
	o, err := st.TakeOwnership(context.Background(), accountID, node)
	ok(t, err)
	return o
}

func testOwnershipLaterClaimWins(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	ctx := context.Background()
	none, err := st.AccountOwnership(ctx, a.ID)
	ok(t, err)
	same(t, "ownership before any claim", none, callfloor.Ownership{AccountID: a.ID})

	first := claim(t, st, a.ID, "node-1")
	if first.Epoch != 1 || first.Node != "node-1" || first.AccountID != a.ID || first.Since.IsZero() {
		t.Fatalf("first claim: %+v, want node-1 at epoch 1", first)
	}
	ok(t, st.AppendFenced(ctx, a.ID, first.Epoch, journalEvents(a.ID, 1, 3)))

	second := claim(t, st, a.ID, "node-2")
	if second.Epoch != 2 || second.Node != "node-2" {
		t.Fatalf("second claim: %+v, want node-2 at epoch 2", second)
	}
	got, err := st.AccountOwnership(ctx, a.ID)
	ok(t, err)
	same(t, "ownership after the second claim", got, second)

	// The earlier owner's appends are refused, alone or in a batch, and
	// leave the journal as it was.
	wantErr(t, st.AppendFenced(ctx, a.ID, first.Epoch, journalEvents(a.ID, 4, 2)), callfloor.ErrFenced, "")
	wantErr(t, st.AppendBatch(ctx, []callfloor.AccountEvents{{AccountID: a.ID, Epoch: first.Epoch, Events: journalEvents(a.ID, 4, 2)}}),
		callfloor.ErrFenced, "")
	// An epoch nobody took yet is no better.
	wantErr(t, st.AppendFenced(ctx, a.ID, second.Epoch+1, journalEvents(a.ID, 4, 2)), callfloor.ErrFenced, "")
	journalLen(t, st, a.ID, 3)

	// The owner's append goes through, after the earlier owner's events.
	ok(t, st.AppendFenced(ctx, a.ID, second.Epoch, journalEvents(a.ID, 4, 2)))
	ok(t, st.AppendBatch(ctx, []callfloor.AccountEvents{{AccountID: a.ID, Epoch: second.Epoch, Events: journalEvents(a.ID, 6, 1)}}))
	journalLen(t, st, a.ID, 6)

	// The first node takes the account back: now the second is stale.
	third := claim(t, st, a.ID, "node-1")
	if third.Epoch != 3 {
		t.Fatalf("third claim: %+v, want epoch 3", third)
	}
	wantErr(t, st.AppendFenced(ctx, a.ID, second.Epoch, journalEvents(a.ID, 7, 1)), callfloor.ErrFenced, "")
	ok(t, st.AppendFenced(ctx, a.ID, third.Epoch, journalEvents(a.ID, 7, 1)))
	journalLen(t, st, a.ID, 7)
}

func testOwnershipEpochZero(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	b, _ := newAccount(t, st, "globex", callfloor.LicenceNone, 0)
	ctx := context.Background()
	// No node ever took the accounts: epoch 0 appends, any other is
	// refused.
	ok(t, st.AppendEvents(ctx, a.ID, journalEvents(a.ID, 1, 2)))
	ok(t, st.AppendFenced(ctx, a.ID, 0, journalEvents(a.ID, 3, 1)))
	ok(t, st.AppendBatch(ctx, []callfloor.AccountEvents{{AccountID: a.ID, Events: journalEvents(a.ID, 4, 1)}}))
	wantErr(t, st.AppendFenced(ctx, b.ID, 1, journalEvents(b.ID, 1, 1)), callfloor.ErrFenced, "")
	journalLen(t, st, a.ID, 4)
	journalLen(t, st, b.ID, 0)
	// Epoch 0 is not checked even once a node took the account.
	claim(t, st, a.ID, "node-1")
	claim(t, st, a.ID, "node-2")
	ok(t, st.AppendEvents(ctx, a.ID, journalEvents(a.ID, 5, 1)))
	ok(t, st.AppendBatch(ctx, []callfloor.AccountEvents{{AccountID: a.ID, Events: journalEvents(a.ID, 6, 1)}}))
	journalLen(t, st, a.ID, 6)
	// The other rules still hold under an epoch: a taken sequence
	// number fails the append.
	o, err := st.AccountOwnership(ctx, a.ID)
	ok(t, err)
	if err := st.AppendFenced(ctx, a.ID, o.Epoch, journalEvents(a.ID, 6, 1)); err == nil || callfloor.ErrorCode(err) == callfloor.ErrFenced {
		t.Fatalf("a taken sequence number under the current epoch: %v", err)
	}
	journalLen(t, st, a.ID, 6)
}

func testOwnershipBatchFenced(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	b, _ := newAccount(t, st, "globex", callfloor.LicenceNone, 0)
	c, _ := newAccount(t, st, "initech", callfloor.LicenceNone, 0)
	ctx := context.Background()
	stale := claim(t, st, a.ID, "node-1")
	claim(t, st, a.ID, "node-2")
	good := claim(t, st, b.ID, "node-1")
	batch := []callfloor.AccountEvents{
		{AccountID: b.ID, Epoch: good.Epoch, Events: journalEvents(b.ID, 1, 3)},
		{AccountID: c.ID, Events: journalEvents(c.ID, 1, 2)}, // a single server's
		{AccountID: a.ID, Epoch: stale.Epoch, Events: journalEvents(a.ID, 1, 2)},
	}
	wantErr(t, st.AppendBatch(ctx, batch), callfloor.ErrFenced, "")
	journalLen(t, st, a.ID, 0)
	journalLen(t, st, b.ID, 0)
	journalLen(t, st, c.ID, 0)
	// Without the fenced account the same batch goes through.
	ok(t, st.AppendBatch(ctx, batch[:2]))
	journalLen(t, st, b.ID, 3)
	journalLen(t, st, c.ID, 2)
}

// testOwnershipRace: nodes claim one account at once. Each claim gets an
// epoch of its own; then each node appends the account's first event
// under the epoch it got, and only the last claim's goes through.
func testOwnershipRace(t *testing.T, st callfloor.Store) {
	const nodes = 8
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	ctx := context.Background()
	epochs := make([]int64, nodes)
	codes := race(nodes, func(i int) error {
		o, err := st.TakeOwnership(ctx, a.ID, fmt.Sprintf("node-%d", i))
		epochs[i] = o.Epoch
		return err
	})
	same(t, "claims", codes, map[string]int{"": nodes})
	seen := map[int64]bool{}
	for _, e := range epochs {
		if e < 1 || e > nodes || seen[e] {
			t.Fatalf("epochs %v: want each of 1..%d once", epochs, nodes)
		}
		seen[e] = true
	}
	owner, err := st.AccountOwnership(ctx, a.ID)
	ok(t, err)
	if owner.Epoch != nodes || owner.Node != fmt.Sprintf("node-%d", indexOf(epochs, nodes)) {
		t.Fatalf("owner %+v after claims with epochs %v", owner, epochs)
	}
	codes = race(nodes, func(i int) error {
		return st.AppendFenced(ctx, a.ID, epochs[i], journalEvents(a.ID, 1, 1))
	})
	same(t, "appends", codes, map[string]int{"": 1, callfloor.ErrFenced: nodes - 1})
	journalLen(t, st, a.ID, 1)
}

func indexOf(s []int64, v int64) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func testOwnershipClaimErrors(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	ctx := context.Background()
	_, err := st.TakeOwnership(ctx, a.ID+1000, "node-1")
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, err = st.TakeOwnership(ctx, a.ID, "")
	wantErr(t, err, callfloor.ErrFieldRequired, "node")
	o, err := st.AccountOwnership(ctx, a.ID)
	ok(t, err)
	same(t, "ownership after refused claims", o, callfloor.Ownership{AccountID: a.ID})
}
