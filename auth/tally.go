package auth

import "time"

// tallies counts attempts per key in memory, for at most maxKeys keys:
// the keys live in a queue in the order they were first counted, so
// making room forgets the oldest first, one at a time, and no insert
// ever scans them all. Forgetting a key only resets its count.
type tallies struct {
	maxKeys int
	seen    map[string]*tally
	order   []queued
	head    int
	next    uint64
}

type tally struct {
	n           int
	first, last time.Time
	lockedUntil time.Time
	gen         uint64
}

type queued struct {
	key string
	gen uint64
}

func newTallies(maxKeys int) *tallies {
	return &tallies{maxKeys: maxKeys, seen: map[string]*tally{}}
}

// get returns key's tally, or nil.
func (t *tallies) get(key string) *tally { return t.seen[key] }

// start gives key a fresh tally, making room first when full.
func (t *tallies) start(key string, now time.Time) *tally {
	if old := t.seen[key]; old != nil {
		delete(t.seen, key)
	}
	for len(t.seen) >= t.maxKeys && t.head < len(t.order) {
		q := t.order[t.head]
		t.head++
		if cur := t.seen[q.key]; cur != nil && cur.gen == q.gen {
			delete(t.seen, q.key)
		}
	}
	if t.head > len(t.order)/2 {
		t.order = append(t.order[:0], t.order[t.head:]...)
		t.head = 0
	}
	t.next++
	tl := &tally{first: now, last: now, gen: t.next}
	t.seen[key] = tl
	t.order = append(t.order, queued{key: key, gen: tl.gen})
	return tl
}

// forget drops key's tally.
func (t *tallies) forget(key string) { delete(t.seen, key) }

// len is how many keys are counted.
func (t *tallies) len() int { return len(t.seen) }
