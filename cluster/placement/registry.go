package placement

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor"
)

// RegistryConfig sets up the registry's two buckets.
type RegistryConfig struct {
	// Nodes is the bucket of live nodes (e.g. callfloor_nodes); its TTL
	// removes the entry of a node that stopped writing it.
	Nodes string
	// Drain is the bucket of draining nodes (e.g. callfloor_drain); it
	// has no TTL: a node drains until someone undrains it.
	Drain string
	// TTL is how long a node's entry lives without a heartbeat. A node
	// writes it every TTL/3.
	TTL time.Duration
	// Replicas of the buckets' streams; 1 when 0.
	Replicas int
	// Clock drives the heartbeats; callfloor.SystemClock when nil.
	Clock callfloor.TimerClock
	// Logger; discarded when nil.
	Logger *slog.Logger
}

// Registry is the cluster's list of live nodes and of draining ones.
type Registry struct {
	nodes jetstream.KeyValue
	drain jetstream.KeyValue
	ttl   time.Duration
	clock callfloor.TimerClock
	log   *slog.Logger
}

// Node is a live node's entry in the registry. Add fields freely: a node
// reads the entries of others with the fields it knows.
type Node struct {
	Name string `json:"name"`
	// HTTPURL is where other nodes reach the node's API.
	HTTPURL string `json:"http_url,omitempty"`
	// SIPURI is the node's SIP address, as the proxy dispatches to it.
	SIPURI  string    `json:"sip_uri,omitempty"`
	Started time.Time `json:"started"`
}

// OpenRegistry creates the two buckets, or opens them when they exist;
// the bucket of nodes must have the same TTL (nodes that disagreed on
// it would misjudge how often to write).
func OpenRegistry(ctx context.Context, js jetstream.JetStream, cfg RegistryConfig) (*Registry, error) {
	if cfg.Nodes == "" || cfg.Drain == "" || cfg.Nodes == cfg.Drain || cfg.TTL <= 0 {
		return nil, callfloor.Errorf(callfloor.ErrInvalidField, "placement: the registry needs two buckets, and a TTL")
	}
	if cfg.Clock == nil {
		cfg.Clock = callfloor.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	nodes, err := openBucket(ctx, js, cfg.Nodes, "callfloor's live nodes", cfg.TTL, cfg.Replicas)
	if err != nil {
		return nil, err
	}
	drain, err := openBucket(ctx, js, cfg.Drain, "callfloor's draining nodes", 0, cfg.Replicas)
	if err != nil {
		return nil, err
	}
	return &Registry{nodes: nodes, drain: drain, ttl: cfg.TTL, clock: cfg.Clock, log: cfg.Logger}, nil
}

// openBucket creates a bucket, or opens it when it exists with the same
// TTL (0: none).
func openBucket(ctx context.Context, js jetstream.JetStream, name, description string, ttl time.Duration, replicas int) (jetstream.KeyValue, error) {
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      name,
		Description: description,
		TTL:         ttl,
		Replicas:    max(replicas, 1),
		Storage:     jetstream.FileStorage,
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, name)
		if err == nil {
			var st jetstream.KeyValueStatus
			if st, err = kv.Status(ctx); err == nil && st.TTL() != ttl {
				err = fmt.Errorf("the bucket exists with a TTL of %v, not %v", st.TTL(), ttl)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("placement: open bucket %s: %w", name, err)
	}
	return kv, nil
}

// TTL is how long a node's entry lives without a heartbeat.
func (r *Registry) TTL() time.Duration { return r.ttl }

// checkName refuses a node name that cannot be a key: letters, digits,
// '-', '_' and '=' only (no dots, which NATS reads as levels).
func checkName(name string) error {
	ok := name != "" && strings.IndexFunc(name, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=')
	}) < 0
	if !ok {
		return callfloor.Errorf(callfloor.ErrInvalidField, "placement: node name %q: use letters, digits, '-', '_' and '=' only", name)
	}
	return nil
}

// Nodes returns the live nodes, by name.
func (r *Registry) Nodes(ctx context.Context) ([]Node, error) {
	entries, err := current(ctx, r.nodes)
	if err != nil {
		return nil, fmt.Errorf("placement: list nodes: %w", err)
	}
	nodes := make([]Node, 0, len(entries))
	for _, e := range entries {
		var n Node
		if err := json.Unmarshal(e.Value(), &n); err != nil || n.Name != e.Key() {
			r.log.Warn("placement: a node's entry is not one; skipped", "node", e.Key(), "err", err)
			continue
		}
		nodes = append(nodes, n)
	}
	slices.SortFunc(nodes, func(a, b Node) int { return strings.Compare(a.Name, b.Name) })
	return nodes, nil
}

// Drain marks a node as draining: the placers give it no account, and it
// gives up each of its own once idle. The node need not be live.
func (r *Registry) Drain(ctx context.Context, node string) error {
	if err := checkName(node); err != nil {
		return err
	}
	if _, err := r.drain.Put(ctx, node, []byte(r.clock.Now().UTC().Format(time.RFC3339))); err != nil {
		return fmt.Errorf("placement: drain %s: %w", node, err)
	}
	return nil
}

// Undrain ends a node's draining; a node that is not draining is not an
// error.
func (r *Registry) Undrain(ctx context.Context, node string) error {
	if err := checkName(node); err != nil {
		return err
	}
	if err := r.drain.Delete(ctx, node); err != nil {
		return fmt.Errorf("placement: undrain %s: %w", node, err)
	}
	return nil
}

// Draining returns the names of the draining nodes, live or not, sorted.
func (r *Registry) Draining(ctx context.Context) ([]string, error) {
	entries, err := current(ctx, r.drain)
	if err != nil {
		return nil, fmt.Errorf("placement: list draining nodes: %w", err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Key()
	}
	slices.Sort(names)
	return names, nil
}

// current reads the current value of every key of a bucket in one pass.
func current(ctx context.Context, kv jetstream.KeyValue) ([]jetstream.KeyValueEntry, error) {
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	var out []jetstream.KeyValueEntry
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("the watch ended early")
			}
			if e == nil { // the last of the current values
				return out, nil
			}
			out = append(out, e)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Member is this node's entry in the registry, kept alive by a
// heartbeat.
type Member struct {
	r     *Registry
	node  Node
	value []byte

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// Join writes the node's entry and rewrites it every TTL/3 in a
// goroutine of its own, until Close. A Started left zero is set to now.
// A heartbeat that fails is logged, and the next one tries again; the
// entry is gone a TTL after the last one that went through.
func (r *Registry) Join(ctx context.Context, n Node) (*Member, error) {
	if err := checkName(n.Name); err != nil {
		return nil, err
	}
	if n.Started.IsZero() {
		n.Started = r.clock.Now().UTC()
	}
	value, err := json.Marshal(n)
	if err != nil {
		return nil, err
	}
	m := &Member{r: r, node: n, value: value, stop: make(chan struct{}), done: make(chan struct{})}
	if _, err := r.nodes.Put(ctx, n.Name, value); err != nil {
		return nil, fmt.Errorf("placement: join as %s: %w", n.Name, err)
	}
	r.log.Info("placement: node joined", "node", n.Name)
	go m.beat()
	return m, nil
}

// Node is the entry the member writes.
func (m *Member) Node() Node { return m.node }

// beat rewrites the entry every TTL/3 until stopped.
func (m *Member) beat() {
	defer close(m.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-m.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	log := m.r.log.With("node", m.node.Name)
	failing := false
	for {
		t := m.r.clock.NewTimer(m.r.ttl / 3)
		select {
		case <-m.stop:
			t.Stop()
			return
		case <-t.C():
		}
		pctx, pcancel := context.WithTimeout(ctx, m.r.ttl/3)
		_, err := m.r.nodes.Put(pctx, m.node.Name, m.value)
		pcancel()
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !failing:
			log.Warn("placement: the node's heartbeat failed; the next one tries again", "err", err)
		case err == nil && failing:
			log.Info("placement: the node's heartbeat goes through again")
		}
		failing = err != nil
	}
}

// Close stops the heartbeat and deletes the entry, so the other nodes
// see at once that this one left.
func (m *Member) Close(ctx context.Context) error {
	m.stopOnce.Do(func() { close(m.stop) })
	<-m.done
	if err := m.r.nodes.Delete(ctx, m.node.Name); err != nil {
		return fmt.Errorf("placement: leave as %s: %w", m.node.Name, err)
	}
	m.r.log.Info("placement: node left", "node", m.node.Name)
	return nil
}

// watch sends on changed (without blocking: one waiting signal is
// enough) when a node joins or leaves, or a drain starts or ends, until
// ctx ends. Heartbeats of known nodes are not changes. A node whose
// entry expired shows no change (the placer's next round sees it gone),
// but its return does.
// A watch that cannot start or ends early is logged; the rounds go on.
func (r *Registry) watch(ctx context.Context, changed chan<- struct{}) {
	poke := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	nw, err := r.nodes.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		r.log.Warn("placement: cannot watch the registry; placing on the interval only", "err", err)
		return
	}
	defer nw.Stop()
	dw, err := r.drain.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		r.log.Warn("placement: cannot watch the draining nodes; placing on the interval only", "err", err)
		return
	}
	defer dw.Stop()
	known := map[string]time.Time{} // node → its last write seen
	nodes, drains := nw.Updates(), dw.Updates()
	for nodes != nil || drains != nil {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-nodes:
			switch {
			case !ok:
				nodes = nil
			case e == nil:
			case e.Operation() != jetstream.KeyValuePut:
				delete(known, e.Key())
				poke()
			default:
				// New, or back after its entry expired.
				last, ok := known[e.Key()]
				known[e.Key()] = e.Created()
				if !ok || e.Created().Sub(last) >= r.ttl {
					poke()
				}
			}
		case e, ok := <-drains:
			switch {
			case !ok:
				drains = nil
			case e != nil:
				poke()
			}
		}
	}
	if ctx.Err() == nil {
		r.log.Warn("placement: the registry's watch ended; placing on the interval only")
	}
}
