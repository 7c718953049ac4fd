package dispatch

import (
	"time"

	"github.com/callfloor/callfloor"
)

// ticker is a repeating tick of a clock.
type ticker struct {
	c    func() <-chan time.Time
	stop func()
}

// tickerOf ticks every d on clock: on its timers when it makes them (a
// test's fake clock ticks only when moved on), else on the wall clock.
func tickerOf(clock callfloor.Clock, d time.Duration) *ticker {
	tc, ok := clock.(callfloor.TimerClock)
	if !ok {
		t := time.NewTicker(d)
		return &ticker{c: func() <-chan time.Time { return t.C }, stop: t.Stop}
	}
	// A timer re-armed after each tick, from the clock's own time.
	out := make(chan time.Time)
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		for {
			cur := tc.NewTimer(d)
			select {
			case at := <-cur.C():
				select {
				case out <- at:
				case <-quit:
					return
				}
			case <-quit:
				cur.Stop()
				return
			}
		}
	}()
	return &ticker{c: func() <-chan time.Time { return out }, stop: func() { close(quit); <-exited }}
}
