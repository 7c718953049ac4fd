// Package jitter is a small fixed-depth jitter buffer for one RTP stream:
// packets go in by sequence number, in any order; frames come out in
// order, one per 20 ms tick, a fixed number of frames behind, with a gap
// reported as a loss where a packet never came.
package jitter

import "fmt"

// Status says what Pop returned.
type Status int

const (
	// Waiting: the buffer is filling (at the start or after running dry);
	// play nothing from it yet.
	Waiting Status = iota
	// Played: a frame in sequence.
	Played
	// Lost: the frame of this sequence number never came (or came too
	// late); conceal it.
	Lost
)

func (s Status) String() string {
	switch s {
	case Waiting:
		return "waiting"
	case Played:
		return "played"
	case Lost:
		return "lost"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Stats counts what happened to the packets of the stream.
type Stats struct {
	Pushed    uint64 // packets given to Push
	Played    uint64 // frames Pop returned
	Lost      uint64 // gaps Pop reported
	Late      uint64 // packets dropped because their turn had passed
	Duplicate uint64 // packets dropped because they were already held
	Resyncs   uint64 // jumps in sequence number that restarted the buffer
}

type slot struct {
	seq     uint16
	full    bool
	payload []byte
}

// Buffer is a jitter buffer. It is not safe for concurrent use.
type Buffer struct {
	depth   int
	slots   []slot // ring indexed by seq modulo its length
	next    uint16 // sequence number Pop returns next
	held    int    // full slots
	started bool   // next is set
	playing bool   // prefilled, Pop is returning frames
	fresh   bool   // nothing popped since the start or a resync
	stats   Stats
}

// New returns a buffer that holds back depth frames (at least 1) before it
// starts playing. It accepts packets up to 4*depth (at least 16, rounded
// up to a power of two) ahead of the one due; a larger jump restarts it.
func New(depth int) *Buffer {
	depth = max(depth, 1)
	n := 16
	for n < 4*depth && n < 1<<14 {
		n <<= 1
	}
	return &Buffer{depth: min(depth, n), slots: make([]slot, n)}
}

// Stats returns the counters.
func (b *Buffer) Stats() Stats { return b.stats }

// Push adds a packet. The buffer keeps payload; the caller must not reuse it.
func (b *Buffer) Push(seq uint16, payload []byte) {
	b.stats.Pushed++
	if !b.started {
		b.started, b.fresh, b.next = true, true, seq
	}
	ahead := int(int16(seq - b.next))
	switch {
	case ahead < 0 && b.fresh && -ahead <= b.depth:
		b.next = seq // the first packets came reordered: start earlier
	case ahead < 0 && -ahead <= len(b.slots):
		b.stats.Late++
		return
	case ahead < 0 || ahead >= len(b.slots):
		b.resync(seq)
	}
	s := &b.slots[int(seq)%len(b.slots)]
	if s.full && s.seq == seq {
		b.stats.Duplicate++
		return
	}
	if !s.full {
		b.held++
	}
	*s = slot{seq: seq, full: true, payload: payload} // a stale occupant is dropped
}

func (b *Buffer) resync(seq uint16) {
	b.stats.Resyncs++
	clear(b.slots)
	b.held, b.next, b.playing, b.fresh = 0, seq, false, true
}

// Pop returns the next frame in sequence, called once per frame time. It
// returns Waiting until depth frames are held, then Played frames and Lost
// gaps in order; if the buffer runs dry it waits again for depth frames.
func (b *Buffer) Pop() (seq uint16, payload []byte, st Status) {
	if !b.playing {
		if b.held < b.depth {
			return 0, nil, Waiting
		}
		b.playing = true
	}
	if b.held == 0 {
		b.playing = false
		return 0, nil, Waiting
	}
	seq = b.next
	b.next++
	b.fresh = false
	s := &b.slots[int(seq)%len(b.slots)]
	if !s.full || s.seq != seq {
		b.stats.Lost++
		return seq, nil, Lost
	}
	payload = s.payload
	*s = slot{}
	b.held--
	b.stats.Played++
	return seq, payload, Played
}
