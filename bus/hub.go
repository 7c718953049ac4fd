// Package bus fans the floor's events out to whoever watches them (the
// WebSocket stream, later webhooks and report views). The in-process Hub
// keeps the latest events of each account in a ring so that a client that
// reconnects with its last sequence number gets exactly what it missed.
package bus

import (
	"errors"
	"sync"

	"github.com/callfloor/callfloor"
)

// ErrTooOld means the events after the asked sequence number are no longer
// kept: the subscriber must start again from a fresh snapshot.
var ErrTooOld = errors.New("bus: events after that sequence number are no longer kept")

// Hub is the in-process event bus.
type Hub struct {
	mu       sync.Mutex
	size     int
	buffer   int
	accounts map[int64]*account
}

type account struct {
	ring []callfloor.Event // the latest events, oldest first, at most size
	last int64             // seq of the latest event published
	subs map[*Subscription]struct{}
}

// NewHub keeps the last size events of each account and gives each
// subscriber a buffer of buffer events; a subscriber that falls further
// behind is closed and must resubscribe.
func NewHub(size, buffer int) *Hub {
	return &Hub{size: size, buffer: buffer, accounts: map[int64]*account{}}
}

func (h *Hub) account(id int64) *account {
	a := h.accounts[id]
	if a == nil {
		a = &account{subs: map[*Subscription]struct{}{}}
		h.accounts[id] = a
	}
	return a
}

// Publish delivers events of one account, in order. It never blocks on a
// slow subscriber.
func (h *Hub) Publish(evs []callfloor.Event) {
	if len(evs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.account(evs[0].AccountID)
	for _, e := range evs {
		if e.Seq <= a.last {
			continue // already published (replayed after a restart)
		}
		a.last = e.Seq
		a.ring = append(a.ring, e)
		if len(a.ring) > h.size {
			n := copy(a.ring, a.ring[len(a.ring)-h.size:])
			a.ring = a.ring[:n]
		}
		for s := range a.subs {
			select {
			case s.ch <- e:
			default:
				s.overflow = true
				delete(a.subs, s)
				close(s.ch)
			}
		}
	}
}

// PublishLive delivers events that are not part of an account's
// sequence (Seq 0: a queue's live figures) to the subscribers of the
// moment, in order with the others; they are not kept for replay, and a
// subscriber whose buffer is full misses them (the next figures replace
// them) rather than being dropped.
func (h *Hub) PublishLive(evs []callfloor.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range evs {
		e.Seq = 0
		for s := range h.account(e.AccountID).subs {
			select {
			case s.ch <- e:
			default:
			}
		}
	}
}

// Subscription receives an account's events in order.
type Subscription struct {
	hub      *Hub
	account  int64
	ch       chan callfloor.Event
	overflow bool
}

// Subscribe returns the account's events after seq: those still kept, then
// every new one. current is the sequence number the subscriber knows the
// account has reached (the floor's, from a snapshot); it fails with
// ErrTooOld when some events up to it are not kept (fallen out of the ring,
// or published before a restart).
func (h *Hub) Subscribe(accountID, after, current int64) (*Subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.account(accountID)
	if after > current || (after < current && a.last < current) {
		return nil, ErrTooOld
	}
	var missed []callfloor.Event
	if after < a.last {
		if len(a.ring) == 0 || a.ring[0].Seq > after+1 {
			return nil, ErrTooOld
		}
		for _, e := range a.ring {
			if e.Seq > after {
				missed = append(missed, e)
			}
		}
	}
	s := &Subscription{hub: h, account: accountID, ch: make(chan callfloor.Event, h.buffer+len(missed))}
	for _, e := range missed {
		s.ch <- e
	}
	a.subs[s] = struct{}{}
	return s, nil
}

// Last returns the sequence number of the account's latest event.
func (h *Hub) Last(accountID int64) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.account(accountID).last
}

// C delivers the events; it is closed when the subscription ends, by Close
// or because the subscriber fell too far behind (see Overflowed).
func (s *Subscription) C() <-chan callfloor.Event { return s.ch }

// Overflowed reports whether the hub closed the subscription because its
// reader fell behind.
func (s *Subscription) Overflowed() bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.overflow
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	a := s.hub.accounts[s.account]
	if _, ok := a.subs[s]; ok {
		delete(a.subs, s)
		close(s.ch)
	}
}
