package relay

import (
	"errors"
	"time"

	"github.com/callfloor/callfloor/media/dtmf"
	"github.com/callfloor/callfloor/media/tone"
)

// ErrNotInBridge is returned by Hold for a leg the bridge does not join.
var ErrNotInBridge = errors.New("relay: leg not in bridge")

// BridgeOptions configure NewBridge.
type BridgeOptions struct {
	// OnDigit, if set, is called once per key press a leg sends, from the
	// poller reading that leg; it must not block.
	OnDigit func(from *Leg, p dtmf.Press)
	// NewTicker, if set, replaces the legs' own 20 ms ticker for what
	// they play while held. Tests step their own.
	NewTicker func() (<-chan time.Time, func())
}

// Bridge joins two legs: what one sends, the other hears, unless held. It
// is Connect plus hold and the key-press reports, for a plain two-party
// call.
type Bridge struct {
	legs [2]*Leg
}

// NewBridge joins a and b, which start hearing each other at once.
func NewBridge(a, b *Leg, opts BridgeOptions) *Bridge {
	br := &Bridge{legs: [2]*Leg{a, b}}
	for _, l := range br.legs {
		if opts.NewTicker != nil {
			l.mu.Lock()
			l.newTicker = opts.NewTicker
			l.mu.Unlock()
		}
		if opts.OnDigit != nil {
			l.OnDigit(func(p dtmf.Press) { opts.OnDigit(l, p) })
		}
	}
	Connect(a, b)
	return br
}

// Hold switches l from hearing the other leg to hearing g (music on hold),
// encoded in l's payload type; what l sends still goes to the other leg.
// Holding a held leg switches it to g.
func (br *Bridge) Hold(l *Leg, g tone.Generator) error {
	if br.index(l) < 0 {
		return ErrNotInBridge
	}
	l.Play(g)
	return nil
}

// Unhold switches l back to hearing the other leg. It does nothing if l
// is not in the bridge.
func (br *Bridge) Unhold(l *Leg) {
	i := br.index(l)
	if i < 0 {
		return
	}
	l.Listen(br.legs[1-i])
}

// Close stops what the legs play and closes both.
func (br *Bridge) Close() error {
	return errors.Join(br.legs[0].Close(), br.legs[1].Close())
}

func (br *Bridge) index(l *Leg) int {
	for i, m := range br.legs {
		if m == l {
			return i
		}
	}
	return -1
}
