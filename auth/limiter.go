package auth

import (
	"sync"
	"time"
)

// limiter counts attempts per key in fixed windows, on the injected clock.
// It forgets windows that are over once it holds more than maxKeys.
type limiter struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	maxKeys int
	seen    map[string]*window
}

type window struct {
	start time.Time
	count int
}

func newLimiter(limit int, per time.Duration) *limiter {
	return &limiter{limit: limit, window: per, maxKeys: 10000, seen: map[string]*window{}}
}

// allow counts one attempt for key at now. When the key is over its limit
// it returns false and how long until the window ends.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.seen[key]
	if w == nil || !now.Before(w.start.Add(l.window)) {
		if w == nil && len(l.seen) >= l.maxKeys {
			l.prune(now)
		}
		w = &window{start: now}
		l.seen[key] = w
	}
	if w.count >= l.limit {
		return false, w.start.Add(l.window).Sub(now)
	}
	w.count++
	return true, 0
}

func (l *limiter) prune(now time.Time) {
	for k, w := range l.seen {
		if !now.Before(w.start.Add(l.window)) {
			delete(l.seen, k)
		}
	}
}
