package floor

import (
	"time"

	"github.com/callfloor/callfloor"
)

// Step decides in and applies the resulting events to s, returning them
// with their resulting states set. On error s is unchanged.
func Step(cfg *Config, s *State, in Input, now time.Time) ([]callfloor.Event, error) {
	evs, err := Decide(cfg, s, in, now)
	if err != nil {
		return nil, err
	}
	for i := range evs {
		s.Apply(&evs[i])
	}
	return evs, nil
}

// RunTimers fires every timer due at or before now, in order.
func RunTimers(cfg *Config, s *State, now time.Time) []callfloor.Event {
	var all []callfloor.Event
	for !s.NextDue().After(now) {
		evs, _ := Step(cfg, s, Timer{}, now)
		if len(evs) == 0 {
			break
		}
		all = append(all, evs...)
	}
	return all
}
