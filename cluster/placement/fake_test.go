package placement

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/cluster/lease"
)

// leaseTable is the test's leases: one holder per account, shared by
// the nodes' fake owners, so an account has one owner at most.
type leaseTable struct {
	mu     sync.Mutex
	holder map[int64]string
	epoch  int64
}

func newLeaseTable() *leaseTable { return &leaseTable{holder: map[int64]string{}} }

func (l *leaseTable) Holders(context.Context) (map[string]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]string{}
	for id, n := range l.holder {
		out[lease.AccountKey(id)] = n
	}
	return out, nil
}

// expire drops a node's leases, as their TTL does when the node dies.
func (l *leaseTable) expire(node string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	maps.DeleteFunc(l.holder, func(_ int64, n string) bool { return n == node })
}

// byNode counts the accounts each node holds.
func (l *leaseTable) byNode() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, n := range l.holder {
		out[n]++
	}
	return out
}

func (l *leaseTable) holderOf(id int64) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.holder[id]
}

var errBroken = errors.New("the journal cannot be read")

// fakeOwner is a node's owner manager over the lease table: Own takes
// the account's lease, Disown releases it.
type fakeOwner struct {
	node  string
	table *leaseTable
	delay time.Duration // each Own takes this long

	mu       sync.Mutex
	owned    map[int64]callfloor.Ownership
	busy     map[int64]bool
	broken   bool // Own fails (after taking and releasing the lease)
	calls    int  // Own and Disown calls
	inFlight int
	maxIn    int
}

func newFakeOwner(node string, table *leaseTable) *fakeOwner {
	return &fakeOwner{node: node, table: table, owned: map[int64]callfloor.Ownership{}, busy: map[int64]bool{}}
}

func (f *fakeOwner) enter() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.inFlight++
	f.maxIn = max(f.maxIn, f.inFlight)
}

func (f *fakeOwner) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight--
}

func (f *fakeOwner) Own(ctx context.Context, id int64) (callfloor.Ownership, error) {
	f.enter()
	defer f.leave()
	t := f.table
	t.mu.Lock()
	switch h := t.holder[id]; h {
	case "":
	case f.node:
		t.mu.Unlock()
		return callfloor.Ownership{}, callfloor.Errorf(callfloor.ErrInUse, "owned")
	default:
		t.mu.Unlock()
		return callfloor.Ownership{}, callfloor.Errorf(callfloor.ErrLeaseHeld, "held by %s", h)
	}
	t.holder[id] = f.node
	t.epoch++
	o := callfloor.Ownership{AccountID: id, Node: f.node, Epoch: t.epoch}
	t.mu.Unlock()
	time.Sleep(f.delay)
	f.mu.Lock()
	broken := f.broken
	if !broken {
		f.owned[id] = o
	}
	f.mu.Unlock()
	if broken {
		f.table.release(id, f.node)
		return callfloor.Ownership{}, errBroken
	}
	return o, nil
}

func (l *leaseTable) release(id int64, node string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder[id] == node {
		delete(l.holder, id)
	}
}

func (f *fakeOwner) Disown(ctx context.Context, id int64) error {
	f.enter()
	defer f.leave()
	f.mu.Lock()
	_, ok := f.owned[id]
	delete(f.owned, id)
	f.mu.Unlock()
	if ok {
		f.table.release(id, f.node)
	}
	return nil
}

func (f *fakeOwner) Owned() []callfloor.Ownership {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Collect(maps.Values(f.owned))
	slices.SortFunc(out, func(a, b callfloor.Ownership) int { return int(a.AccountID - b.AccountID) })
	return out
}

func (f *fakeOwner) isBusy(id int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.busy[id]
}

func (f *fakeOwner) setBusy(id int64, busy bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.busy[id] = busy
}

func (f *fakeOwner) setBroken(b bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.broken = b
}

// die forgets every account at once, as a process that ended.
func (f *fakeOwner) die() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.owned = map[int64]callfloor.Ownership{}
}

func (f *fakeOwner) stats() (calls, maxIn int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.maxIn
}
