package relay

import (
	"errors"
	"sync"
	"time"

	"github.com/callfloor/callfloor/media/dtmf"
	"github.com/callfloor/callfloor/media/rtp"
)

// ErrNotInBridge is returned by Hold for a leg the bridge does not join.
var ErrNotInBridge = errors.New("relay: leg not in bridge")

// BridgeOptions configure NewBridge.
type BridgeOptions struct {
	// OnDigit, if set, is called once per key press a leg sends, from that
	// leg's reader goroutine; it must not block.
	OnDigit func(from *Leg, p dtmf.Press)
	// NewTicker returns the 20 ms ticker that paces a hold source, and its
	// stop function; nil means a time.Ticker. Tests step their own.
	NewTicker func() (<-chan time.Time, func())
}

// Bridge joins two legs: what one sends, the other hears, unless held.
type Bridge struct {
	legs      [2]*Leg
	onDigit   func(*Leg, dtmf.Press)
	newTicker func() (<-chan time.Time, func())

	mu    sync.Mutex
	holds [2]*holder // by leg
	nhold uint64     // hold ids given out
}

// NewBridge joins a and b, which start hearing each other at once.
func NewBridge(a, b *Leg, opts BridgeOptions) *Bridge {
	br := &Bridge{legs: [2]*Leg{a, b}, onDigit: opts.OnDigit, newTicker: opts.NewTicker}
	if br.newTicker == nil {
		br.newTicker = func() (<-chan time.Time, func()) {
			t := time.NewTicker(20 * time.Millisecond)
			return t.C, t.Stop
		}
	}
	a.setSink(func(h rtp.Header, p []byte, pt, evPT uint8) { br.forward(a, b, h, p, pt, evPT) })
	b.setSink(func(h rtp.Header, p []byte, pt, evPT uint8) { br.forward(b, a, h, p, pt, evPT) })
	return br
}

// forward relays a packet received on from (audio type pt, events evPT)
// to to, and reports the key presses in it. It runs on from's reader.
func (br *Bridge) forward(from, to *Leg, h rtp.Header, data []byte, pt, evPT uint8) {
	switch h.PayloadType {
	case evPT:
		if br.onDigit != nil {
			from.presses, _ = from.det.Feed(from.presses[:0], h.Timestamp, h.Marker, data)
			for _, p := range from.presses {
				br.onDigit(from, p)
			}
		}
		to.send(uint64(h.SSRC), 0, h, payload{event: true, data: data})
	case pt:
		to.send(uint64(h.SSRC), 0, h, payload{pt: pt, data: data})
	}
}

// Close stops the hold sources and closes both legs.
func (br *Bridge) Close() error {
	for _, l := range br.legs {
		br.Unhold(l)
		l.setSink(nil)
	}
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
