package dtmf

import (
	"fmt"
	"time"
)

// Packet is one telephone-event packet to send: every packet of an event
// carries the RTP timestamp of the event's start; the sender numbers them.
type Packet struct {
	At     time.Duration // when to send it, after the first packet
	Marker bool          // set on the first packet only
	Event  Event
}

// Interval is the time between the packets of an event.
const Interval = 20 * time.Millisecond

// clockRate is the RTP clock of telephone-event at 8 kHz.
const clockRate = 8000

// ends is how many times the end packet is sent (RFC 4733 section 2.5.1.4).
const ends = 3

// Generate plans the packets that send key for duration d at volume (in
// -dBm0): a first packet with the marker set, an update every Interval with
// the duration so far, then the end packet three times, one Interval apart.
// The first packet already carries one Interval of duration, since some
// receivers drop events whose first packet says 0. d is rounded up to a
// whole number of intervals; it must be at most 8 s (the 16-bit duration).
func Generate(key byte, d time.Duration, volume uint8) ([]Packet, error) {
	if Code(key) < 0 {
		return nil, fmt.Errorf("%w: %q", ErrKey, key)
	}
	if volume > MaxVolume {
		return nil, fmt.Errorf("%w: %d", ErrVolume, volume)
	}
	step := uint32(Interval * clockRate / time.Second)
	n := max(1, int((d+Interval-1)/Interval))
	if uint32(n)*step > 0xFFFF {
		return nil, fmt.Errorf("dtmf: duration %v longer than 8 s", d)
	}
	out := make([]Packet, 0, n+ends)
	for i := 1; i <= n; i++ {
		out = append(out, Packet{
			At:     time.Duration(i-1) * Interval,
			Marker: i == 1,
			Event:  Event{Key: key, Volume: volume, Duration: uint16(uint32(i) * step)},
		})
	}
	for i := range ends {
		out = append(out, Packet{
			At:    time.Duration(n+i) * Interval,
			Event: Event{Key: key, End: true, Volume: volume, Duration: uint16(uint32(n) * step)},
		})
	}
	return out, nil
}
