package prompt

import "github.com/callfloor/callfloor/media/tone"

// A segment is one stretch of a prompt: a clip, or n samples of silence
// when pcm is nil.
type segment struct {
	pcm []int16 // shared with every other player: read, never written
	n   int
}

// player is a Generator that plays its segments in order, then hands
// over to then, in the middle of a frame if that is where they end.
type player struct {
	segs []segment
	seg  int // the segment playing
	pos  int // samples of it already played
	then tone.Generator
}

// Fill implements tone.Generator.
func (p *player) Fill(frame []int16) {
	for len(frame) > 0 && p.seg < len(p.segs) {
		s := p.segs[p.seg]
		k := min(len(frame), s.n-p.pos)
		if s.pcm != nil {
			copy(frame, s.pcm[p.pos:p.pos+k])
		} else {
			clear(frame[:k])
		}
		frame = frame[k:]
		p.pos += k
		if p.pos == s.n {
			p.seg, p.pos = p.seg+1, 0
		}
	}
	if len(frame) > 0 {
		p.then.Fill(frame)
	}
}

// length is the number of samples played before then starts.
func (p *player) length() int {
	n := 0
	for _, s := range p.segs {
		n += s.n
	}
	return n
}
