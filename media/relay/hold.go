package relay

import (
	"github.com/callfloor/callfloor/media/rtp"
	"github.com/callfloor/callfloor/media/tone"
)

// holder feeds a held leg from a generator, a frame a tick.
type holder struct {
	quit, done chan struct{}
}

// Hold switches l from hearing the other leg to hearing g, a frame at each
// tick of the bridge's ticker, encoded in l's payload type; what l sends
// still goes to the other leg. Holding a held leg switches its source to
// g. g is used by the hold goroutine only, until Unhold.
func (br *Bridge) Hold(l *Leg, g tone.Generator) error {
	i := br.index(l)
	if i < 0 {
		return ErrNotInBridge
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	br.stop(i)
	br.nhold++
	id := 1<<32 | br.nhold // never an SSRC, which fits in 32 bits
	l.mu.Lock()
	l.holdID = id
	l.mu.Unlock()
	h := &holder{quit: make(chan struct{}), done: make(chan struct{})}
	br.holds[i] = h
	tick, stop := br.newTicker()
	go func() {
		defer close(h.done)
		defer stop()
		var frame [tone.FrameSamples]int16
		var hdr rtp.Header
		for {
			select {
			case <-h.quit:
				return
			case <-tick:
			}
			g.Fill(frame[:])
			l.send(id, id, hdr, payload{pcm: frame[:]})
			hdr.Seq++
			hdr.Timestamp += frameTicks
		}
	}()
	return nil
}

// Unhold switches l back to hearing the other leg. It does nothing if l
// is not held.
func (br *Bridge) Unhold(l *Leg) {
	i := br.index(l)
	if i < 0 {
		return
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	br.stop(i)
	l.mu.Lock()
	l.holdID = 0
	l.mu.Unlock()
}

// stop ends the hold source of leg i, if any. br.mu is held.
func (br *Bridge) stop(i int) {
	h := br.holds[i]
	if h == nil {
		return
	}
	close(h.quit)
	<-h.done
	br.holds[i] = nil
}
