package relay

import (
	"math/rand/v2"
	"time"
)

// frameTicks is the RTP timestamp step of a 20 ms frame.
const frameTicks = 160

// outStream numbers the packets a leg sends. Packets come from one source
// at a time (the other leg's stream, identified by its SSRC, or a hold
// generator); within a source the input numbering is shifted by fixed
// offsets, so gaps and reordering show through, and at each change of
// source the offsets are reset so the new source continues where the last
// one stopped, its timestamp advanced by the wall time in between.
type outStream struct {
	ssrc   uint32
	seq    uint16    // highest sequence number sent
	ts     uint32    // highest timestamp sent
	at     time.Time // when the last packet was sent
	sent   bool      // seq, ts and at are set
	src    uint64
	srcOK  bool
	seqOff uint16
	tsOff  uint32
}

func newOutStream() outStream {
	return outStream{ssrc: rand.Uint32()}
}

// next maps a packet of source src numbered seq and ts to the outgoing
// numbering; marker says that the source changed, a new talkspurt.
func (o *outStream) next(src uint64, seq uint16, ts uint32, now time.Time) (oseq uint16, ots uint32, marker bool) {
	if !o.srcOK || src != o.src {
		if o.sent {
			// Round the gap to whole frames, at least one.
			gap := uint32((now.Sub(o.at) + 10*time.Millisecond) / (20 * time.Millisecond))
			o.seqOff = o.seq + 1 - seq
			o.tsOff = o.ts + max(gap, 1)*frameTicks - ts
		} else {
			o.seqOff = uint16(rand.Uint32()) - seq
			o.tsOff = rand.Uint32() - ts
		}
		o.src, o.srcOK, marker = src, true, true
	}
	oseq, ots = seq+o.seqOff, ts+o.tsOff
	if !o.sent || int16(oseq-o.seq) > 0 {
		o.seq = oseq
	}
	if !o.sent || int32(ots-o.ts) > 0 {
		o.ts = ots
	}
	o.at, o.sent = now, true
	return oseq, ots, marker
}
