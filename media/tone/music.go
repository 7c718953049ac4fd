package tone

import (
	"math"
	"sync"
)

// note is one note of the hold music: a MIDI note number (0 is a rest) and
// its length in eighths.
type note struct{ midi, eighths int }

// melody is a slow tune on the C major pentatonic scale, over a bass that
// walks C, A minor, F, G; it loops seamlessly.
var (
	melody = []note{
		{72, 2}, {76, 2}, {79, 2}, {76, 2}, {74, 3}, {72, 1}, {69, 4},
		{69, 2}, {72, 2}, {74, 2}, {76, 2}, {79, 6}, {0, 2},
		{81, 2}, {79, 2}, {76, 2}, {74, 2}, {72, 3}, {74, 1}, {76, 4},
		{74, 2}, {72, 2}, {69, 2}, {67, 2}, {72, 6}, {0, 2},
	}
	bass = []note{
		{48, 8}, {45, 8}, {41, 8}, {43, 8},
		{48, 8}, {45, 8}, {41, 8}, {43, 8},
	}
)

const (
	eighth     = SampleRate * 3 / 10 / 2 // samples in an eighth at 100 bpm
	musicLevel = 0.12                    // peak of a melody note, of full scale
)

// musicLoop renders the loop once; every Music shares it.
var musicLoop = sync.OnceValue(func() []int16 {
	total := 0
	for _, n := range melody {
		total += n.eighths * eighth
	}
	mix := make([]float64, total)
	render(mix, melody, musicLevel)
	render(mix, bass, musicLevel*0.6)
	out := make([]int16, total)
	for i, v := range mix {
		out[i] = clip(v * 32767)
	}
	return out
})

// render adds the notes to mix, each a sine with a soft octave, a quick
// attack, an exponential decay and a release that ends it at zero.
func render(mix []float64, notes []note, level float64) {
	pos := 0
	for _, n := range notes {
		length := n.eighths * eighth
		if n.midi > 0 {
			f := 440 * math.Pow(2, float64(n.midi-69)/12)
			for i := range length {
				t := float64(i) / SampleRate
				env := math.Min(1, t/0.02) * math.Exp(-t/0.6)
				if rel := float64(length-i) / SampleRate; rel < 0.05 {
					env *= rel / 0.05
				}
				w := 2 * math.Pi * f * t
				mix[(pos+i)%len(mix)] += level * env * (math.Sin(w) + 0.25*math.Sin(2*w))
			}
		}
		pos += length
	}
}

// Music is a Generator of the built-in music on hold, a loop of about
// ten seconds.
type Music struct{ pos int }

// NewMusic returns a generator of the music on hold from its beginning.
func NewMusic() *Music { return &Music{} }

// Fill implements Generator.
func (m *Music) Fill(frame []int16) {
	loop := musicLoop()
	for len(frame) > 0 {
		n := copy(frame, loop[m.pos:])
		frame = frame[n:]
		m.pos = (m.pos + n) % len(loop)
	}
}
