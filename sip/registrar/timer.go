package registrar

import (
	"time"

	"github.com/callfloor/callfloor"
)

// timerAt returns a timer of clock that fires once the clock reads at.
// A clock can move between reading it and arming a timer relative to it
// (a test's fake clock does, in steps of seconds), which would make the
// timer fire that much late: arm again until the clock stood still in
// between.
func timerAt(clock callfloor.TimerClock, at time.Time) callfloor.Timer {
	for {
		now := clock.Now()
		t := clock.NewTimer(at.Sub(now))
		if clock.Now().Sub(now) < time.Millisecond {
			return t
		}
		t.Stop()
	}
}
