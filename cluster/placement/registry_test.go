package placement

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/internal/natstest"
	"github.com/callfloor/callfloor/internal/pgtest"
)

var t0 = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)

// testBuckets names a fresh pair of buckets and deletes them when t ends.
func testBuckets(t *testing.T, js jetstream.JetStream, ttl time.Duration) RegistryConfig {
	t.Helper()
	suffix := pgtest.Suffix()
	cfg := RegistryConfig{Nodes: "cftest_nodes_" + suffix, Drain: "cftest_drain_" + suffix, TTL: ttl}
	t.Cleanup(func() {
		for _, b := range []string{cfg.Nodes, cfg.Drain} {
			if err := js.DeleteKeyValue(context.Background(), b); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
				t.Errorf("delete bucket %s: %v", b, err)
			}
		}
	})
	return cfg
}

// openRegistry opens the buckets of cfg with its own clock.
func openRegistry(t *testing.T, js jetstream.JetStream, cfg RegistryConfig, clock callfloor.TimerClock) *Registry {
	t.Helper()
	cfg.Clock = clock
	r, err := OpenRegistry(context.Background(), js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func names(t *testing.T, r *Registry) []string {
	t.Helper()
	nodes, err := r.Nodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	return out
}

// eventually polls cond every 50 ms for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: %s", what)
		}
	}
}

// TestHeartbeat: a node whose clock moves on rewrites its entry and stays
// listed past the TTL; one whose clock stands still stops and is gone a
// TTL later; one that closes is gone at once.
func TestHeartbeat(t *testing.T) {
	const ttl = time.Second
	js := natstest.JetStream(t, "callfloor placement test")
	cfg := testBuckets(t, js, ttl)
	ctx := context.Background()
	alive, stuck := clocktest.New(t0), clocktest.New(t0)
	ra, rb := openRegistry(t, js, cfg, alive), openRegistry(t, js, cfg, stuck)
	a, err := ra.Join(ctx, Node{Name: "node-a", HTTPURL: "http://10.0.0.11:8080", SIPURI: "sip:10.0.0.11:5060"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := rb.Join(ctx, Node{Name: "node-b"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	nodes, err := ra.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Node{{Name: "node-a", HTTPURL: "http://10.0.0.11:8080", SIPURI: "sip:10.0.0.11:5060", Started: t0}, {Name: "node-b", Started: t0}}
	if !slices.Equal(nodes, want) {
		t.Fatalf("nodes %+v, want %+v", nodes, want)
	}

	// node-a's clock moves a third of the TTL every 100 ms: it writes its
	// entry about every 100 ms of real time.
	start := time.Now()
	for time.Since(start) < 2*ttl+500*time.Millisecond {
		alive.Advance(ttl / 3)
		time.Sleep(100 * time.Millisecond)
	}
	if got := names(t, ra); !slices.Equal(got, []string{"node-a"}) {
		t.Fatalf("%v after 2.5 TTLs, want node-a alone", got)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := names(t, rb); len(got) != 0 {
		t.Fatalf("%v after node-a left, want none", got)
	}
}

// TestDrain: draining and undraining, live or not, twice or not at all.
func TestDrain(t *testing.T) {
	js := natstest.JetStream(t, "callfloor placement test")
	cfg := testBuckets(t, js, time.Minute)
	r := openRegistry(t, js, cfg, clocktest.New(t0))
	ctx := context.Background()
	draining := func() []string {
		t.Helper()
		d, err := r.Draining(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	steps := []struct {
		op   func(context.Context, string) error
		node string
		want []string
	}{
		{r.Drain, "node-2", []string{"node-2"}},
		{r.Drain, "node-1", []string{"node-1", "node-2"}},
		{r.Drain, "node-1", []string{"node-1", "node-2"}},
		{r.Undrain, "node-2", []string{"node-1"}},
		{r.Undrain, "node-3", []string{"node-1"}},
		{r.Undrain, "node-1", []string{}},
		{r.Drain, "node-2", []string{"node-2"}},
	}
	if got := draining(); len(got) != 0 {
		t.Fatalf("draining %v at first", got)
	}
	for i, s := range steps {
		if err := s.op(ctx, s.node); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := draining(); !slices.Equal(got, s.want) {
			t.Fatalf("step %d: draining %v, want %v", i, got, s.want)
		}
	}
	for _, bad := range []string{"", "node.1", "node 1", "node*"} {
		if err := r.Drain(ctx, bad); callfloor.ErrorCode(err) != callfloor.ErrInvalidField {
			t.Errorf("Drain(%q): %v, want %s", bad, err, callfloor.ErrInvalidField)
		}
	}
}

// TestOpenRegistry: a bucket of nodes with another TTL is refused, the
// same one opened again.
func TestOpenRegistry(t *testing.T) {
	js := natstest.JetStream(t, "callfloor placement test")
	cfg := testBuckets(t, js, time.Minute)
	ctx := context.Background()
	if _, err := OpenRegistry(ctx, js, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRegistry(ctx, js, cfg); err != nil {
		t.Fatalf("opened again: %v", err)
	}
	other := cfg
	other.TTL = 2 * time.Minute
	if _, err := OpenRegistry(ctx, js, other); err == nil {
		t.Fatal("opened with another TTL")
	}
	for _, bad := range []RegistryConfig{{Nodes: cfg.Nodes, TTL: time.Minute}, {Nodes: "x", Drain: "x", TTL: time.Minute}, {Nodes: "x", Drain: "y"}} {
		if _, err := OpenRegistry(ctx, js, bad); callfloor.ErrorCode(err) != callfloor.ErrInvalidField {
			t.Errorf("OpenRegistry(%+v): %v, want %s", bad, err, callfloor.ErrInvalidField)
		}
	}
}
