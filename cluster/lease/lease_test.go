package lease_test

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/cluster/lease"
	"github.com/callfloor/callfloor/internal/natstest"
	"github.com/callfloor/callfloor/internal/pgtest"
)

// jetStream connects to the test NATS server (see natstest).
func jetStream(t *testing.T) jetstream.JetStream {
	return natstest.JetStream(t, "callfloor lease test")
}

// bucketName is unique to the test run, so parallel runs never share one.
func bucketName(t *testing.T) string {
	return "cftest_lease_" + pgtest.Suffix()
}

// openBucket opens a fresh bucket of leases, deleted when t ends.
func openBucket(t *testing.T, js jetstream.JetStream, ttl time.Duration) (*lease.Leases, jetstream.KeyValue) {
	t.Helper()
	name := bucketName(t)
	ctx := context.Background()
	ls, err := lease.Open(ctx, js, lease.Config{Bucket: name, TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := js.DeleteKeyValue(context.Background(), name); err != nil {
			t.Errorf("delete bucket %s: %v", name, err)
		}
	})
	kv, err := js.KeyValue(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return ls, kv
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := callfloor.ErrorCode(err); got != code {
		t.Fatalf("%s: %v (code %q), want code %q", what, err, got, code)
	}
}

func holder(t *testing.T, ls *lease.Leases, key string) string {
	t.Helper()
	node, _, err := ls.Holder(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return node
}

func acquire(t *testing.T, ls *lease.Leases, key, node string) *lease.Lease {
	t.Helper()
	l, err := ls.Acquire(context.Background(), key, node)
	if err != nil {
		t.Fatalf("%s acquires %s: %v", node, key, err)
	}
	return l
}

// TestOneHolder: contenders for one lease at once: exactly one holds it.
func TestOneHolder(t *testing.T) {
	ls, _ := openBucket(t, jetStream(t), time.Minute)
	const contenders = 5
	key := lease.AccountKey(42)
	var wg sync.WaitGroup
	errs := make([]error, contenders)
	start := make(chan struct{})
	for i := range contenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = ls.Acquire(context.Background(), key, fmt.Sprintf("node-%d", i))
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch callfloor.ErrorCode(err) {
		case "":
			if winner >= 0 {
				t.Fatalf("node-%d and node-%d both hold the lease", winner, i)
			}
			winner = i
		case callfloor.ErrLeaseHeld:
		default:
			t.Fatalf("node-%d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("nobody holds the lease")
	}
	if got := holder(t, ls, key); got != fmt.Sprintf("node-%d", winner) {
		t.Fatalf("holder %q, want node-%d", got, winner)
	}
	if got := holder(t, ls, lease.AccountKey(43)); got != "" {
		t.Fatalf("an untaken lease is held by %q", got)
	}
}

// TestHolders: every lease held, renewed or not, and none released.
func TestHolders(t *testing.T) {
	ls, _ := openBucket(t, jetStream(t), time.Minute)
	ctx := context.Background()
	holders, err := ls.Holders(ctx)
	if err != nil || len(holders) != 0 {
		t.Fatalf("an empty bucket: %v, %v", holders, err)
	}
	a := acquire(t, ls, lease.AccountKey(1), "node-a")
	acquire(t, ls, lease.AccountKey(2), "node-b")
	released := acquire(t, ls, lease.AccountKey(3), "node-a")
	if err := ls.Renew(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := ls.Release(ctx, released); err != nil {
		t.Fatal(err)
	}
	holders, err = ls.Holders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{lease.AccountKey(1): "node-a", lease.AccountKey(2): "node-b"}
	if !maps.Equal(holders, want) {
		t.Fatalf("holders %v, want %v", holders, want)
	}
}

// TestReleaseHandsOver: the loser gets the lease once the holder
// releases it, and the old holder can neither renew nor release it.
func TestReleaseHandsOver(t *testing.T) {
	ls, _ := openBucket(t, jetStream(t), time.Minute)
	ctx := context.Background()
	key := lease.AccountKey(42)
	a := acquire(t, ls, key, "node-a")
	_, err := ls.Acquire(ctx, key, "node-b")
	wantCode(t, "node-b while node-a holds", err, callfloor.ErrLeaseHeld)
	if err := ls.Renew(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := ls.Release(ctx, a); err != nil {
		t.Fatal(err)
	}
	acquire(t, ls, key, "node-b")
	wantCode(t, "node-a renews after handing over", ls.Renew(ctx, a), callfloor.ErrLeaseLost)
	wantCode(t, "node-a releases after handing over", ls.Release(ctx, a), callfloor.ErrLeaseLost)
	if got := holder(t, ls, key); got != "node-b" {
		t.Fatalf("holder %q, want node-b", got)
	}
}

// TestExpiryHandsOver: a holder that stops renewing loses the lease once
// the TTL has passed, and another takes it.
func TestExpiryHandsOver(t *testing.T) {
	const ttl = 2 * time.Second
	ls, _ := openBucket(t, jetStream(t), ttl)
	ctx := context.Background()
	key := lease.AccountKey(42)
	a := acquire(t, ls, key, "node-a")
	_, err := ls.Acquire(ctx, key, "node-b")
	wantCode(t, "node-b while node-a holds", err, callfloor.ErrLeaseHeld)
	// Generous: the server removes expired values on a timer of its own.
	give := time.Now().Add(ttl + 20*time.Second)
	for {
		_, err := ls.Acquire(ctx, key, "node-b")
		if err == nil {
			break
		}
		wantCode(t, "node-b before the expiry", err, callfloor.ErrLeaseHeld)
		if time.Now().After(give) {
			t.Fatalf("the lease is still held %v after its last write, with a TTL of %v", time.Since(give.Add(-ttl-20*time.Second)), ttl)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantCode(t, "node-a renews after the expiry", ls.Renew(ctx, a), callfloor.ErrLeaseLost)
	if got := holder(t, ls, key); got != "node-b" {
		t.Fatalf("holder %q, want node-b", got)
	}
}

// TestKeeperLearnsOfATakeover: a kept lease whose key another took (it
// was deleted under the holder, then created by node-b) is lost at the
// keeper's next renewal: lost is called once, and node-b keeps the key.
func TestKeeperLearnsOfATakeover(t *testing.T) {
	const ttl = 3 * time.Second
	ls, kv := openBucket(t, jetStream(t), ttl)
	ctx := context.Background()
	key := lease.AccountKey(42)
	a := acquire(t, ls, key, "node-a")
	var mu sync.Mutex
	var lost []error
	lostCh := make(chan struct{}, 1)
	k := ls.Keep(ctx, a, func(err error) {
		mu.Lock()
		lost = append(lost, err)
		mu.Unlock()
		lostCh <- struct{}{}
	})
	defer k.Stop()
	if err := kv.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	acquire(t, ls, key, "node-b")
	select {
	case <-lostCh:
	case <-time.After(10 * ttl):
		t.Fatalf("node-a's keeper has not noticed the takeover %v later", 10*ttl)
	}
	<-k.Done()
	mu.Lock()
	defer mu.Unlock()
	if len(lost) != 1 {
		t.Fatalf("lost called %d times: %v", len(lost), lost)
	}
	wantCode(t, "the loss", lost[0], callfloor.ErrLeaseLost)
	if got := holder(t, ls, key); got != "node-b" {
		t.Fatalf("holder %q after node-a's keeper ended, want node-b", got)
	}
}

// TestKeeperHoldsPastTheTTL: a kept lease outlives its TTL, and nobody
// else gets it meanwhile.
func TestKeeperHoldsPastTheTTL(t *testing.T) {
	const ttl = 2 * time.Second
	ls, _ := openBucket(t, jetStream(t), ttl)
	ctx := context.Background()
	key := lease.AccountKey(42)
	a := acquire(t, ls, key, "node-a")
	k := ls.Keep(ctx, a, func(err error) { t.Errorf("lost: %v", err) })
	end := time.Now().Add(3 * ttl)
	for time.Now().Before(end) {
		_, err := ls.Acquire(ctx, key, "node-b")
		wantCode(t, "node-b while node-a keeps the lease", err, callfloor.ErrLeaseHeld)
		time.Sleep(200 * time.Millisecond)
	}
	k.Stop()
	if err := ls.Release(ctx, a); err != nil {
		t.Fatalf("release after keeping: %v", err)
	}
	acquire(t, ls, key, "node-b")
}

// TestStaleLease: what a holder that was overtaken gets back.
func TestStaleLease(t *testing.T) {
	ls, kv := openBucket(t, jetStream(t), time.Minute)
	ctx := context.Background()
	tests := []struct {
		name string
		// overtake does something to node-a's lease on key.
		overtake func(t *testing.T, key string, a *lease.Lease)
		op       func(a *lease.Lease) error
		code     string
		holder   string
	}{
		{name: "renew after releasing",
			overtake: func(t *testing.T, _ string, a *lease.Lease) {
				if err := ls.Release(ctx, a); err != nil {
					t.Fatal(err)
				}
			},
			op: func(a *lease.Lease) error { return ls.Renew(ctx, a) }, code: callfloor.ErrLeaseLost, holder: ""},
		{name: "renew after another took the key",
			overtake: func(t *testing.T, key string, _ *lease.Lease) {
				if err := kv.Delete(ctx, key); err != nil {
					t.Fatal(err)
				}
				acquire(t, ls, key, "node-b")
			},
			op: func(a *lease.Lease) error { return ls.Renew(ctx, a) }, code: callfloor.ErrLeaseLost, holder: "node-b"},
		{name: "release after another took the key",
			overtake: func(t *testing.T, key string, _ *lease.Lease) {
				if err := kv.Delete(ctx, key); err != nil {
					t.Fatal(err)
				}
				acquire(t, ls, key, "node-b")
			},
			op: func(a *lease.Lease) error { return ls.Release(ctx, a) }, code: callfloor.ErrLeaseLost, holder: "node-b"},
		{name: "renew after another renewed it",
			overtake: func(t *testing.T, key string, a *lease.Lease) {
				if _, err := kv.Update(ctx, key, []byte("node-b"), a.Revision()); err != nil {
					t.Fatal(err)
				}
			},
			op: func(a *lease.Lease) error { return ls.Renew(ctx, a) }, code: callfloor.ErrLeaseLost, holder: "node-b"},
		{name: "acquire again while holding",
			overtake: func(*testing.T, string, *lease.Lease) {},
			op: func(a *lease.Lease) error {
				_, err := ls.Acquire(ctx, a.Key, a.Node)
				return err
			}, code: callfloor.ErrLeaseHeld, holder: "node-a"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := lease.AccountKey(int64(100 + i))
			a := acquire(t, ls, key, "node-a")
			tc.overtake(t, key, a)
			wantCode(t, tc.name, tc.op(a), tc.code)
			if got := holder(t, ls, key); got != tc.holder {
				t.Fatalf("holder %q, want %q", got, tc.holder)
			}
		})
	}
}

// TestOpen: the bucket's TTL is its MaxAge; a second node opens the
// bucket with the same TTL, and one with another TTL is refused.
func TestOpen(t *testing.T) {
	js := jetStream(t)
	ctx := context.Background()
	name := bucketName(t)
	for _, cfg := range []lease.Config{{TTL: time.Minute}, {Bucket: name}} {
		if _, err := lease.Open(ctx, js, cfg); callfloor.ErrorCode(err) != callfloor.ErrInvalidField {
			t.Fatalf("Open(%+v): %v, want %s", cfg, err, callfloor.ErrInvalidField)
		}
	}
	if _, err := lease.Open(ctx, js, lease.Config{Bucket: name, TTL: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := js.DeleteKeyValue(context.Background(), name); err != nil {
			t.Errorf("delete bucket %s: %v", name, err)
		}
	})
	kv, err := js.KeyValue(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.TTL() != 10*time.Second {
		t.Fatalf("bucket TTL %v, want 10s", st.TTL())
	}
	if _, err := lease.Open(ctx, js, lease.Config{Bucket: name, TTL: 10 * time.Second}); err != nil {
		t.Fatalf("a second node opening the bucket: %v", err)
	}
	if _, err := lease.Open(ctx, js, lease.Config{Bucket: name, TTL: 20 * time.Second}); err == nil {
		t.Fatal("a node with another TTL opened the bucket")
	}
}
