package auth

import (
	"sync"
	"time"
)

// limiter counts attempts per key in fixed windows, on the injected clock,
// for a bounded number of keys (see tallies): a flood of addresses costs
// the same per attempt and no more memory than maxKeys windows.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	keys   *tallies
}

func newLimiter(limit int, per time.Duration) *limiter {
	return &limiter{limit: limit, window: per, keys: newTallies(10000)}
}

// allow counts one attempt for key at now. When the key is over its limit
// it returns false and how long until the window ends.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.keys.get(key)
	if w == nil || !now.Before(w.first.Add(l.window)) {
		w = l.keys.start(key, now)
	}
	if w.n >= l.limit {
		return false, w.first.Add(l.window).Sub(now)
	}
	w.n++
	return true, 0
}
