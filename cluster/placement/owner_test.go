package placement

import (
	"context"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/cluster/lease"
	"github.com/callfloor/callfloor/cluster/owner"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/internal/natstest"
	"github.com/callfloor/callfloor/internal/pgtest"
	"github.com/callfloor/callfloor/postgres"
	"github.com/callfloor/callfloor/sqlstore"
)

// TestWithOwnerManagers places accounts with cluster/owner's managers
// (real leases in NATS, epochs and engines on PostgreSQL): the owner of
// each account by Pick runs its floor, the other node answers
// not_owner; a drain moves the accounts under a new epoch.
func TestWithOwnerManagers(t *testing.T) {
	js := natstest.JetStream(t, "callfloor placement test")
	url := pgtest.Schema(t, "cftest_place_")
	ctx := context.Background()
	open := func() *sqlstore.Store {
		st, err := postgres.Open(ctx, url, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	st := open()
	var accounts []int64
	for i := range 6 {
		a := &callfloor.Account{Name: "placed-" + string(rune('a'+i)), TimeZone: "UTC"}
		if err := st.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, a.ID)
	}
	leaseBucket := "cftest_place_leases_" + pgtest.Suffix()
	t.Cleanup(func() { js.DeleteKeyValue(context.Background(), leaseBucket) })
	reg := openRegistry(t, js, testBuckets(t, js, time.Minute), clocktest.New(t0))
	clock := clocktest.New(t0)

	type node struct {
		floor  *floor.Floor
		m      *owner.Manager
		placer *Placer
	}
	names := []string{"node-1", "node-2"}
	nodes := map[string]*node{}
	for _, name := range names {
		// A minute's TTL on the real clock: no lease expires or is lost
		// during the test.
		ls, err := lease.Open(ctx, js, lease.Config{Bucket: leaseBucket, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		nst := open()
		w := floor.NewGroupWriter(nst)
		f := floor.New(floor.FloorConfig{Journal: w, Clock: clocktest.New(t0), Owned: true,
			LoadConfig: func(context.Context, int64) (*floor.Config, error) {
				return &floor.Config{Location: time.UTC, Agents: map[int64]*floor.AgentConfig{}, PauseReasons: map[int64]*callfloor.PauseReason{}}, nil
			}})
		m := owner.New(owner.Config{Node: name, Leases: ls, Store: nst, Floor: f})
		member, err := reg.Join(ctx, Node{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			member.Close(ctx)
			m.Close(ctx)
			f.Close()
			w.Close()
		})
		p := New(Config{Node: name, Registry: reg, Owner: m, Leases: ls, Clock: clock,
			Accounts: func(context.Context) ([]int64, error) { return accounts, nil }})
		nodes[name] = &node{floor: f, m: m, placer: p}
	}
	rounds := func(n int) {
		for range n {
			clock.Advance(time.Second)
			for _, name := range names {
				nodes[name].placer.round(ctx)
			}
		}
	}
	// check: each account is run by want(account) under epoch(account),
	// and the other node answers not_owner.
	check := func(want func(int64) string, epoch func(int64) int64) {
		t.Helper()
		for _, id := range accounts {
			for _, name := range names {
				err := nodes[name].floor.View(ctx, id, func(*floor.State, *floor.Config) {})
				switch {
				case name == want(id) && err != nil:
					t.Fatalf("account %d on its owner %s: %v", id, name, err)
				case name != want(id) && callfloor.ErrorCode(err) != callfloor.ErrNotOwner:
					t.Fatalf("account %d on %s, not its owner: %v, want %s", id, name, err, callfloor.ErrNotOwner)
				}
			}
			var got *callfloor.Ownership
			for _, o := range nodes[want(id)].m.Owned() {
				if o.AccountID == id {
					got = &o
				}
			}
			if got == nil || got.Epoch != epoch(id) || got.Node != want(id) {
				t.Fatalf("account %d: ownership %+v, want %s's under epoch %d", id, got, want(id), epoch(id))
			}
		}
	}

	rounds(2)
	check(func(id int64) string { return Pick(id, names) }, func(int64) int64 { return 1 })

	if err := reg.Drain(ctx, "node-2"); err != nil {
		t.Fatal(err)
	}
	rounds(2)
	check(func(int64) string { return "node-1" }, func(id int64) int64 {
		if Pick(id, names) == "node-2" {
			return 2 // taken from node-2
		}
		return 1
	})
}
