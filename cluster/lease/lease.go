package lease

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor"
)

// Config sets up a bucket of leases.
type Config struct {
	// Bucket is the key-value bucket's name (letters, digits, - and _).
	Bucket string
	// TTL is how long a lease lives without a renewal: the bucket's
	// MaxAge, after which JetStream removes the value.
	TTL time.Duration
	// Replicas of the bucket's stream; 1 when 0.
	Replicas int
	// Clock drives the keepers' renewals and deadlines;
	// callfloor.SystemClock when nil.
	Clock callfloor.TimerClock
	// Logger receives a line for each lease lost; discarded when nil.
	Logger *slog.Logger
}

// Leases is a bucket of leases.
type Leases struct {
	kv    jetstream.KeyValue
	ttl   time.Duration
	clock callfloor.TimerClock
	log   *slog.Logger
}

// Open creates the bucket, or opens it when it exists with the same TTL.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Leases, error) {
	if cfg.Bucket == "" || cfg.TTL <= 0 {
		return nil, callfloor.Errorf(callfloor.ErrInvalidField, "lease: a bucket needs a name and a TTL")
	}
	if cfg.Clock == nil {
		cfg.Clock = callfloor.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "callfloor's ownership leases",
		TTL:         cfg.TTL,
		Replicas:    max(cfg.Replicas, 1),
		Storage:     jetstream.FileStorage,
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = existing(ctx, js, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("lease: open bucket %s: %w", cfg.Bucket, err)
	}
	return &Leases{kv: kv, ttl: cfg.TTL, clock: cfg.Clock, log: cfg.Logger}, nil
}

// existing opens a bucket another node created, if its TTL is ours: two
// nodes that disagree on it would misjudge each other's deadlines.
func existing(ctx context.Context, js jetstream.JetStream, cfg Config) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if err != nil {
		return nil, err
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, err
	}
	if st.TTL() != cfg.TTL {
		return nil, fmt.Errorf("the bucket exists with a TTL of %v, not %v", st.TTL(), cfg.TTL)
	}
	return kv, nil
}

// TTL is how long a lease lives without a renewal.
func (ls *Leases) TTL() time.Duration { return ls.ttl }

// AccountKey is the key of an account's lease.
func AccountKey(accountID int64) string { return "account." + strconv.FormatInt(accountID, 10) }

// Lease is a lease this node holds, as its last write left it.
type Lease struct {
	Key  string
	Node string
	ttl  time.Duration

	mu       sync.Mutex
	revision uint64
	sent     time.Time // when the last good write was sent
	deadline time.Time
}

// Revision is the bucket's revision of the lease's last write.
func (l *Lease) Revision() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.revision
}

// Deadline is when the holder must take the lease as lost unless a
// renewal came back: three quarters of the TTL after the last good write
// was sent, while the server keeps the value a whole TTL after it
// received it.
func (l *Lease) Deadline() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.deadline
}

// wrote records a good write of revision, sent at sent.
func (l *Lease) wrote(revision uint64, sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.revision = revision
	l.sent = sent
	l.deadline = sent.Add(l.ttl - l.ttl/4)
}

// times returns when the last good write was sent, and the deadline.
func (l *Lease) times() (sent, deadline time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent, l.deadline
}

// Acquire takes the lease on key for node. It fails with
// callfloor.ErrLeaseHeld while another holds it.
func (ls *Leases) Acquire(ctx context.Context, key, node string) (*Lease, error) {
	sent := ls.clock.Now()
	rev, err := ls.kv.Create(ctx, key, []byte(node))
	if conflict(err) {
		return nil, callfloor.Errorf(callfloor.ErrLeaseHeld, "lease %s is held by another node", key)
	}
	if err != nil {
		return nil, fmt.Errorf("lease: acquire %s: %w", key, err)
	}
	l := &Lease{Key: key, Node: node, ttl: ls.ttl}
	l.wrote(rev, sent)
	return l, nil
}

// Renew rewrites the lease under its last revision, so that it lives a
// TTL more. A revision that moved on (another took the key, or it
// expired) fails with callfloor.ErrLeaseLost.
func (ls *Leases) Renew(ctx context.Context, l *Lease) error {
	sent := ls.clock.Now()
	rev, err := ls.kv.Update(ctx, l.Key, []byte(l.Node), l.Revision())
	if conflict(err) {
		return callfloor.Errorf(callfloor.ErrLeaseLost, "lease %s expired or was taken by another node", l.Key)
	}
	if err != nil {
		return fmt.Errorf("lease: renew %s: %w", l.Key, err)
	}
	l.wrote(rev, sent)
	return nil
}

// Release deletes the lease under its last revision, so another can take
// it at once. A lease another took meanwhile stays theirs: the answer is
// callfloor.ErrLeaseLost.
func (ls *Leases) Release(ctx context.Context, l *Lease) error {
	err := ls.kv.Delete(ctx, l.Key, jetstream.LastRevision(l.Revision()))
	if conflict(err) {
		return callfloor.Errorf(callfloor.ErrLeaseLost, "lease %s expired or was taken by another node", l.Key)
	}
	if err != nil {
		return fmt.Errorf("lease: release %s: %w", l.Key, err)
	}
	l.mu.Lock()
	l.deadline = time.Time{}
	l.mu.Unlock()
	return nil
}

// Holder returns the node that holds key and the revision of its last
// write; "" when nobody does.
func (ls *Leases) Holder(ctx context.Context, key string) (string, uint64, error) {
	e, err := ls.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("lease: read %s: %w", key, err)
	}
	return string(e.Value()), e.Revision(), nil
}

// Holders returns the holder of every lease in the bucket, by key, read
// in one pass (a placer reads them all each round, not one by one).
func (ls *Leases) Holders(ctx context.Context) (map[string]string, error) {
	w, err := ls.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("lease: list holders: %w", err)
	}
	defer w.Stop()
	holders := map[string]string{}
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("lease: list holders: the watch ended early")
			}
			if e == nil { // the last of the current values
				return holders, nil
			}
			holders[e.Key()] = string(e.Value())
		case <-ctx.Done():
			return nil, fmt.Errorf("lease: list holders: %w", ctx.Err())
		}
	}
}

// conflict reports whether err is JetStream's refusal of a write whose
// expected revision is not the key's last one.
func conflict(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return true
	}
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
