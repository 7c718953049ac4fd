package owner_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/cluster/owner"
	"github.com/callfloor/callfloor/floor"
)

func wantCode(t *testing.T, what string, err error, codes ...string) {
	t.Helper()
	got := callfloor.ErrorCode(err)
	for _, c := range codes {
		if got == c {
			return
		}
	}
	t.Fatalf("%s: %v (code %q), want %q", what, err, got, codes)
}

func do(t *testing.T, n *node, accountID int64, in floor.Input) []callfloor.Event {
	t.Helper()
	evs, err := n.floor.Do(context.Background(), accountID, in)
	if err != nil {
		t.Fatalf("%s: %T: %v", n.name, in, err)
	}
	return evs
}

// TestFencedOwnerHandsOver: node A owns an account and applies commands;
// its lease goes (as if A were paused past its TTL) and B takes the
// account under the next epoch, recovering every change A acknowledged.
// A, which does not know yet, decides its next command but the journal
// refuses it as fenced; A then stops deciding and gives the account up
// without touching B's lease.
func TestFencedOwnerHandsOver(t *testing.T) {
	c := newCluster(t)
	acc := c.account("Acme")
	a, b := c.node("node-a"), c.node("node-b")
	ctx := context.Background()

	oa := a.own(acc)
	if oa.Epoch != 1 || oa.Node != "node-a" || c.holder(acc) != "node-a" {
		t.Fatalf("A's ownership %+v, lease held by %q", oa, c.holder(acc))
	}
	var acked []callfloor.Event
	for _, ext := range agents {
		acked = append(acked, do(t, a, acc, floor.Login{Ext: ext})...)
	}
	acked = append(acked, do(t, a, acc, floor.Pause{Ext: agents[0], ReasonID: lunch})...)
	_, err := b.m.Own(ctx, acc)
	wantCode(t, "B takes a held lease", err, callfloor.ErrLeaseHeld)
	_, err = b.floor.Do(ctx, acc, floor.Logoff{Ext: agents[1]})
	wantCode(t, "a command on B before it owns", err, callfloor.ErrNotOwner)

	c.expire(acc)
	ob := b.own(acc)
	if ob.Epoch != 2 || c.holder(acc) != "node-b" {
		t.Fatalf("B's ownership %+v, lease held by %q", ob, c.holder(acc))
	}
	states, seq := b.states(acc)
	if seq != acked[len(acked)-1].Seq || states[agents[0]] != callfloor.StatePaused || states[agents[1]] != callfloor.StateIdle {
		t.Fatalf("B recovered %v at seq %d, want agent %d paused at %d", states, seq, agents[0], acked[len(acked)-1].Seq)
	}

	// A's stale append is refused; its command fails, and so does the next.
	_, err = a.floor.Do(ctx, acc, floor.Logoff{Ext: agents[1]})
	wantCode(t, "A's command after B took the account", err, callfloor.ErrFenced)
	_, err = a.floor.Do(ctx, acc, floor.Logoff{Ext: agents[2]})
	wantCode(t, "A's next command", err, callfloor.ErrNotOwner)
	a.waitOwnedNone()
	if h := c.holder(acc); h != "node-b" {
		t.Fatalf("the lease is held by %q after A gave up, want node-b", h)
	}

	acked = append(acked, do(t, b, acc, floor.Logoff{Ext: agents[1]})...)
	// A's keeper now learns of the loss too; nothing changes.
	a.clock.Advance(ttl)
	if h := c.holder(acc); h != "node-b" {
		t.Fatalf("the lease is held by %q, want node-b", h)
	}
	evs := c.journal(acc)
	checkAcked(t, evs, acked)
	c.checkJournal(acc, evs)
	if len(evs) != len(acked) {
		t.Fatalf("journal %d events, %d acknowledged", len(evs), len(acked))
	}
	if got := b.m.Owned(); len(got) != 1 || got[0].AccountID != acc || got[0].Epoch != 2 {
		t.Fatalf("B owns %+v", got)
	}
}

// TestLostLeaseStopsTheEngine: when A's keeper learns that its lease is
// gone, A stops deciding at once (its commands fail, nothing is
// appended) and releases nothing: B's lease stays B's.
func TestLostLeaseStopsTheEngine(t *testing.T) {
	c := newCluster(t)
	acc := c.account("Acme")
	a, b := c.node("node-a"), c.node("node-b")
	ctx := context.Background()
	a.own(acc)
	acked := do(t, a, acc, floor.Login{Ext: agents[0]})
	c.expire(acc)
	b.own(acc)
	a.notice()
	_, err := a.floor.Do(ctx, acc, floor.Logoff{Ext: agents[0]})
	wantCode(t, "A's command after its keeper reported the loss", err, callfloor.ErrNotOwner)
	if h := c.holder(acc); h != "node-b" {
		t.Fatalf("the lease is held by %q, want node-b", h)
	}
	acked = append(acked, do(t, b, acc, floor.Logoff{Ext: agents[0]})...)
	evs := c.journal(acc)
	checkAcked(t, evs, acked)
	c.checkJournal(acc, evs)
	if len(evs) != 2 {
		t.Fatalf("journal %d events, want 2", len(evs))
	}
	// A can own the account again once B hands it over.
	if err := b.m.Disown(ctx, acc); err != nil {
		t.Fatal(err)
	}
	if h := c.holder(acc); h != "" {
		t.Fatalf("the lease is held by %q after B's Disown", h)
	}
	if o := a.own(acc); o.Epoch != 3 {
		t.Fatalf("A's ownership %+v, want epoch 3", o)
	}
	if st, _ := a.states(acc); st[agents[0]] != callfloor.StateLoggedOff {
		t.Fatalf("A recovered %v", st)
	}
}

// TestOwnIsRefusedTwice: a node does not take an account it owns.
func TestOwnIsRefusedTwice(t *testing.T) {
	c := newCluster(t)
	acc := c.account("Acme")
	a := c.node("node-a")
	a.own(acc)
	_, err := a.m.Own(context.Background(), acc)
	wantCode(t, "Own of an owned account", err, callfloor.ErrInUse)
	if got := a.m.Owned(); len(got) != 1 || got[0].Epoch != 1 {
		t.Fatalf("owned %+v", got)
	}
}

// slowClaims holds TakeOwnership until released.
type slowClaims struct {
	owner.Ownerships
	claiming, release chan struct{}
}

func (s slowClaims) TakeOwnership(ctx context.Context, accountID int64, node string) (callfloor.Ownership, error) {
	close(s.claiming)
	<-s.release
	return s.Ownerships.TakeOwnership(ctx, accountID, node)
}

// TestLeaseLostWhileTaking: a lease lost while the node takes the
// account (between the lease and the engine) fails Own with lease_lost;
// no engine runs, nothing is released, and the node can take the
// account again later.
func TestLeaseLostWhileTaking(t *testing.T) {
	c := newCluster(t)
	acc := c.account("Acme")
	a := c.node("node-a")
	claims := slowClaims{Ownerships: a.st, claiming: make(chan struct{}), release: make(chan struct{})}
	lost := make(chan struct{}, 1)
	m := owner.New(owner.Config{Node: a.name, Leases: a.leases, Store: claims, Floor: a.floor,
		Logger: slog.New(onMessage{"lease lost", lost})})
	ctx := context.Background()
	defer m.Close(ctx)
	owned := make(chan error, 1)
	go func() {
		_, err := m.Own(ctx, acc)
		owned <- err
	}()
	<-claims.claiming
	c.expire(acc)
	a.clock.Advance(ttl / 3) // the keeper's renewal is refused: lost
	<-lost
	close(claims.release)
	wantCode(t, "Own that lost its lease meanwhile", <-owned, callfloor.ErrLeaseLost)
	_, err := a.floor.Do(ctx, acc, floor.Login{Ext: agents[0]})
	wantCode(t, "a command after the failed Own", err, callfloor.ErrNotOwner)
	if got := m.Owned(); len(got) != 0 {
		t.Fatalf("owned %+v", got)
	}
	if o := a.own(acc); o.Epoch != 2 {
		t.Fatalf("the next Own: %+v, want epoch 2", o)
	}
	do(t, a, acc, floor.Login{Ext: agents[0]})
}

// onMessage is a log handler that signals each record whose message
// holds text: the manager's reports are the only sign of a keeper's.
type onMessage struct {
	text string
	ch   chan struct{}
}

func (h onMessage) Enabled(context.Context, slog.Level) bool { return true }
func (h onMessage) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h onMessage) WithGroup(string) slog.Handler            { return h }
func (h onMessage) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.text) {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	return nil
}
