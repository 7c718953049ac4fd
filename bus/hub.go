// Package bus fans the floor's events out to whoever watches them (the
// WebSocket stream, later webhooks and report views). The in-process Hub
// keeps the latest events of each account in a ring so that a client that
// reconnects with its last sequence number gets exactly what it missed.
package bus

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor"
)

// ErrTooOld means the events after the asked sequence number are no longer
// kept: the subscriber must start again from a fresh snapshot.
var ErrTooOld = errors.New("bus: events after that sequence number are no longer kept")

// Hub is the in-process event bus. Each account has its own lock and a
// ring of fixed size, so publishing costs the same however many events an
// account has had, and one account's traffic never waits for another's.
type Hub struct {
	size   int
	buffer int

	mu       sync.Mutex // guards accounts, not what they hold
	accounts map[int64]*account
}

type account struct {
	mu sync.Mutex
	// ring holds the latest events, at most size: it grows to size, then
	// the oldest, at start, is overwritten.
	ring  []callfloor.Event
	start int
	last  int64 // seq of the latest event published
	subs  map[*Subscription]struct{}
}

// NewHub keeps the last size events of each account and gives each
// subscriber a buffer of buffer events; a subscriber that falls further
// behind is closed and must resubscribe.
func NewHub(size, buffer int) *Hub {
	if size < 1 {
		size = 1
	}
	return &Hub{size: size, buffer: buffer, accounts: map[int64]*account{}}
}

func (h *Hub) account(id int64) *account {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.accounts[id]
	if a == nil {
		a = &account{subs: map[*Subscription]struct{}{}}
		h.accounts[id] = a
	}
	return a
}

// keep puts e in the ring. a.mu is held.
func (a *account) keep(e callfloor.Event, size int) {
	if len(a.ring) < size {
		a.ring = append(a.ring, e)
		return
	}
	a.ring[a.start] = e
	a.start = (a.start + 1) % size
}

// at is the i-th kept event, oldest first. a.mu is held.
func (a *account) at(i int) *callfloor.Event { return &a.ring[(a.start+i)%len(a.ring)] }

// Publish delivers events of one account, in order, as one Batch that
// every subscriber shares. It never blocks on a slow subscriber.
func (h *Hub) Publish(evs []callfloor.Event) {
	if len(evs) == 0 {
		return
	}
	a := h.account(evs[0].AccountID)
	a.mu.Lock()
	defer a.mu.Unlock()
	fresh := make([]callfloor.Event, 0, len(evs))
	for _, e := range evs {
		if e.Seq <= a.last {
			continue // already published (replayed after a restart)
		}
		a.last = e.Seq
		a.keep(e, h.size)
		fresh = append(fresh, e)
	}
	if len(fresh) == 0 {
		return
	}
	b := newBatch(evs[0].AccountID, fresh)
	for s := range a.subs {
		if !s.push(b) {
			delete(a.subs, s)
		}
	}
}

// PublishLive delivers events that are not part of an account's
// sequence (Seq 0: a queue's live figures) to the subscribers of the
// moment, in order with the others; they are not kept for replay, and a
// subscriber whose buffer is full misses them (the next figures replace
// them) rather than being dropped.
func (h *Hub) PublishLive(evs []callfloor.Event) {
	for _, e := range evs {
		e.Seq = 0
		b := newBatch(e.AccountID, []callfloor.Event{e})
		a := h.account(e.AccountID)
		a.mu.Lock()
		for s := range a.subs {
			s.offer(b)
		}
		a.mu.Unlock()
	}
}

// Batch is events of one account published together, in order. Every
// subscriber it reaches gets the same Batch: none may change it.
//
// What every subscriber would make of a batch alike (the stream's
// encoded messages) can be made once for them all: the one whose Claim
// succeeds makes it and must Share it; the others wait for it with
// Shared.
type Batch struct {
	AccountID int64
	Events    []callfloor.Event

	claimed atomic.Bool
	done    chan struct{} // closed by Share
	shared  any
}

func newBatch(accountID int64, evs []callfloor.Event) *Batch {
	return &Batch{AccountID: accountID, Events: evs, done: make(chan struct{})}
}

// Claim reports whether the caller is the first to ask: it then makes
// the batch's shared value, and must Share it.
func (b *Batch) Claim() bool { return b.claimed.CompareAndSwap(false, true) }

// Share gives the value made by the claimant to every caller of Shared.
func (b *Batch) Share(v any) {
	b.shared = v
	close(b.done)
}

// Shared waits for the value the claimant shares.
func (b *Batch) Shared(ctx context.Context) (any, error) {
	select {
	case <-b.done:
		return b.shared, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Subscription receives an account's events in order, as the batches
// they were published in.
type Subscription struct {
	a     *account
	ready chan struct{} // signalled when there is something to Take

	mu       sync.Mutex
	queue    []*Batch
	pending  int // events in queue
	limit    int // the most events queue may hold
	closed   bool
	overflow bool
}

// push queues b, or closes the subscription when that would take it
// past its limit: it then gets what fits of b, and no more. It reports
// whether the subscription is still open. s.a.mu is held.
func (s *Subscription) push(b *Batch) bool {
	s.mu.Lock()
	defer s.signal()
	defer s.mu.Unlock()
	if room := s.limit - s.pending; len(b.Events) > room {
		if room > 0 {
			s.queue = append(s.queue, newBatch(b.AccountID, b.Events[:room:room]))
		}
		s.closed, s.overflow = true, true
		return false
	}
	s.queue = append(s.queue, b)
	s.pending += len(b.Events)
	return true
}

// offer queues b if it fits, and drops it otherwise. s.a.mu is held.
func (s *Subscription) offer(b *Batch) {
	s.mu.Lock()
	fits := s.pending+len(b.Events) <= s.limit
	if fits {
		s.queue = append(s.queue, b)
		s.pending += len(b.Events)
	}
	s.mu.Unlock()
	if fits {
		s.signal()
	}
}

func (s *Subscription) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Subscribe returns the account's events after seq: those still kept, then
// every new one. current is the sequence number the subscriber knows the
// account has reached (the floor's, from a snapshot); it fails with
// ErrTooOld when some events up to it are not kept (fallen out of the ring,
// or published before a restart).
func (h *Hub) Subscribe(accountID, after, current int64) (*Subscription, error) {
	a := h.account(accountID)
	a.mu.Lock()
	defer a.mu.Unlock()
	if after > current || (after < current && a.last < current) {
		return nil, ErrTooOld
	}
	var missed []callfloor.Event
	if after < a.last {
		n := len(a.ring)
		if n == 0 || a.at(0).Seq > after+1 {
			return nil, ErrTooOld
		}
		from := sort.Search(n, func(i int) bool { return a.at(i).Seq > after })
		missed = make([]callfloor.Event, 0, n-from)
		for i := from; i < n; i++ {
			missed = append(missed, *a.at(i))
		}
	}
	// The events missed come on top of the buffer.
	s := &Subscription{a: a, ready: make(chan struct{}, 1), limit: h.buffer + len(missed)}
	if len(missed) > 0 {
		s.push(newBatch(accountID, missed))
	}
	a.subs[s] = struct{}{}
	return s, nil
}

// Last returns the sequence number of the account's latest event.
func (h *Hub) Last(accountID int64) int64 {
	a := h.account(accountID)
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// Await waits until the account's latest event is at least seq, and
// reports whether it came before ctx ended. A cluster node's hub gets an
// account's events from its owner a little after the owner's floor has
// them; a stream that starts from the owner's snapshot waits for it.
func (h *Hub) Await(ctx context.Context, accountID, seq int64) bool {
	if h.Last(accountID) >= seq {
		return true
	}
	t := time.NewTicker(awaitPoll)
	defer t.Stop()
	for h.Last(accountID) < seq {
		select {
		case <-ctx.Done():
			return h.Last(accountID) >= seq
		case <-t.C:
		}
	}
	return true
}

// awaitPoll is how often Await looks at the account's latest event.
const awaitPoll = 5 * time.Millisecond

// Ready is signalled when there may be batches to Take, or the
// subscription has ended.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Take appends every batch queued, oldest first, to dst and empties the
// queue. ok is false once the subscription has ended and all it got has
// been taken: it was closed, by Close or because the subscriber fell too
// far behind (see Overflowed).
func (s *Subscription) Take(dst []*Batch) (_ []*Batch, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return dst, !s.closed
	}
	dst = append(dst, s.queue...)
	clear(s.queue)
	s.queue = s.queue[:0]
	s.pending = 0
	if s.closed {
		s.signal() // the end is still to be seen
	}
	return dst, true
}

// Overflowed reports whether the hub closed the subscription because its
// reader fell behind.
func (s *Subscription) Overflowed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overflow
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.a.mu.Lock()
	delete(s.a.subs, s)
	s.a.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.signal()
}
