package callfloor

import "time"

// Clock tells the time. Everything that reads the time takes a Clock so that
// tests can drive it; SystemClock is the real one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }
