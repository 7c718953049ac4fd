package callfloor

import "time"

// Clock tells the time. Everything that reads the time takes a Clock, so
// that tests can drive it; SystemClock is the real one and clocktest.Clock
// a fake to advance by hand.
type Clock interface {
	Now() time.Time
}

// TimerClock is a Clock that also makes timers, for what waits (the floor
// engine's wrap-up, threshold and midnight timers).
type TimerClock interface {
	Clock
	// NewTimer returns a timer that fires once after d.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer of a Clock.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it did.
	Stop() bool
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer returns a real timer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time { return s.t.C }
func (s sysTimer) Stop() bool          { return s.t.Stop() }
