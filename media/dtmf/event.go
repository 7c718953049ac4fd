package dtmf

import (
	"errors"
	"fmt"
)

// PayloadSize is the size of a telephone-event payload.
const PayloadSize = 4

// MaxVolume is the quietest volume: the field is the power level in -dBm0.
const MaxVolume = 63

// Errors of Parse and Marshal; they are wrapped with the offending value.
var (
	ErrShort  = errors.New("dtmf: telephone-event payload shorter than 4 bytes")
	ErrEvent  = errors.New("dtmf: telephone-event is not a DTMF digit")
	ErrKey    = errors.New("dtmf: not a DTMF key")
	ErrVolume = errors.New("dtmf: volume above 63")
)

// keys maps event codes 0-15 to keys.
const keys = "0123456789*#ABCD"

// Event is one telephone-event payload carrying a DTMF digit.
type Event struct {
	Key      byte   // '0'-'9', '*', '#', 'A'-'D'
	End      bool   // the E bit: the last packets of the event
	Volume   uint8  // 0-63, the power level in -dBm0
	Duration uint16 // since the event began, in RTP timestamp units
}

// Code returns the RFC 4733 event code of a key, or -1 if it is not one.
func Code(key byte) int {
	for i := range len(keys) {
		if keys[i] == key {
			return i
		}
	}
	return -1
}

// Parse reads a telephone-event payload. Bytes after the first four are
// ignored, and so is the reserved bit.
func Parse(b []byte) (Event, error) {
	if len(b) < PayloadSize {
		return Event{}, fmt.Errorf("%w: %d bytes", ErrShort, len(b))
	}
	if int(b[0]) >= len(keys) {
		return Event{}, fmt.Errorf("%w: event code %d", ErrEvent, b[0])
	}
	return Event{
		Key:      keys[b[0]],
		End:      b[1]&0x80 != 0,
		Volume:   b[1] & 0x3F,
		Duration: uint16(b[2])<<8 | uint16(b[3]),
	}, nil
}

// Marshal returns the 4-byte payload of e.
func (e Event) Marshal() ([]byte, error) {
	return e.Append(make([]byte, 0, PayloadSize))
}

// Append appends the payload of e to b.
func (e Event) Append(b []byte) ([]byte, error) {
	code := Code(e.Key)
	if code < 0 {
		return b, fmt.Errorf("%w: %q", ErrKey, e.Key)
	}
	if e.Volume > MaxVolume {
		return b, fmt.Errorf("%w: %d", ErrVolume, e.Volume)
	}
	flags := e.Volume
	if e.End {
		flags |= 0x80
	}
	return append(b, byte(code), flags, byte(e.Duration>>8), byte(e.Duration)), nil
}

// String formats the event for logs.
func (e Event) String() string {
	end := ""
	if e.End {
		end = " end"
	}
	return fmt.Sprintf("%q vol -%d dBm0 dur %d%s", e.Key, e.Volume, e.Duration, end)
}
