package registrar

import (
	"testing"
	"time"

	"github.com/callfloor/callfloor/clocktest"
)

// movingClock moves 5 s forward right after being read, moves times: the
// race between reading a clock and arming a timer.
type movingClock struct {
	*clocktest.Clock
	moves int
}

func (m *movingClock) Now() time.Time {
	n := m.Clock.Now()
	if m.moves > 0 {
		m.moves--
		m.Clock.Advance(5 * time.Second)
	}
	return n
}

func TestTimerAt(t *testing.T) {
	for moves := range 3 {
		c := &movingClock{Clock: clocktest.New(t0), moves: moves}
		tm := timerAt(c, t0.Add(30*time.Second))
		c.Set(t0.Add(30*time.Second - time.Nanosecond))
		select {
		case <-tm.C():
			t.Fatalf("%d moves: fired early", moves)
		default:
		}
		c.Set(t0.Add(30 * time.Second))
		select {
		case <-tm.C():
		default:
			t.Fatalf("%d moves: did not fire on time", moves)
		}
	}
}
