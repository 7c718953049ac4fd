package clocktest

import (
	"testing"
	"time"
)

func TestTimersFireInOrderAndAreCounted(t *testing.T) {
	c := New(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	a, b := c.NewTimer(time.Minute), c.NewTimer(2*time.Minute)
	stopped := c.NewTimer(30 * time.Second)
	if !stopped.Stop() {
		t.Fatal("a waiting timer did not stop")
	}
	c.Advance(59 * time.Second)
	if c.Fired() != 0 || c.Timers() != 2 {
		t.Fatalf("before any is due: %d fired, %d waiting", c.Fired(), c.Timers())
	}
	c.Advance(time.Minute)
	if c.Fired() != 1 || c.Timers() != 1 {
		t.Fatalf("after the first is due: %d fired, %d waiting", c.Fired(), c.Timers())
	}
	if at := <-a.C(); !at.Equal(time.Date(2026, 12, 4, 9, 1, 0, 0, time.UTC)) {
		t.Errorf("fired at %v", at)
	}
	c.Advance(time.Hour)
	if c.Fired() != 2 || c.Timers() != 0 {
		t.Fatalf("after both: %d fired, %d waiting", c.Fired(), c.Timers())
	}
	<-b.C()
}
