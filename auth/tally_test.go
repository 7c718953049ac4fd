package auth

import (
	"fmt"
	"testing"
	"time"
)

// TestTalliesStayBounded: a flood of new keys never holds more than
// maxKeys, forgets the oldest first, and keeps counting the newest.
func TestTalliesStayBounded(t *testing.T) {
	l := newLimiter(3, time.Minute)
	l.keys = newTallies(100)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for i := range 10000 {
		l.allow(fmt.Sprintf("198.51.100.%d/%d", i%250, i), now)
		if n := l.keys.len(); n > 100 {
			t.Fatalf("after %d keys the limiter holds %d", i+1, n)
		}
	}
	if len(l.keys.order) > 2*100+1 {
		t.Fatalf("the queue holds %d entries for 100 keys", len(l.keys.order))
	}
	// The newest key is still counted: its fourth attempt is refused.
	key := fmt.Sprintf("198.51.100.%d/%d", 9999%250, 9999)
	for range 2 {
		l.allow(key, now)
	}
	if ok, _ := l.allow(key, now); ok {
		t.Fatal("the newest key was forgotten")
	}
	// A key counted again after being forgotten starts over.
	if ok, _ := l.allow("198.51.100.0/0", now); !ok {
		t.Fatal("a forgotten key is refused")
	}
}

func BenchmarkLimiterNewKeys(b *testing.B) {
	l := newLimiter(20, time.Minute)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for i := range b.N {
		l.allow(fmt.Sprint(i), now)
	}
}
