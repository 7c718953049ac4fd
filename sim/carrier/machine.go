package carrier

import (
	"time"

	"github.com/callfloor/callfloor/media/tone"
)

// MachineBeep is the answering machine's beep after its greeting: 1 kHz
// for half a second.
var MachineBeep = tone.Spec{Freqs: []float64{1000}, Level: -10,
	Cadence: []time.Duration{500 * time.Millisecond}, Once: true}

// part is one generator of a sequence, for n samples (forever when n < 0).
type part struct {
	gen tone.Generator
	n   int
}

// sequence is a tone.Generator that plays its parts one after the other,
// then silence.
type sequence struct {
	parts []part
	pos   int // samples of parts[0] played
}

// newMachine returns an answering machine's sound: a greeting in voice
// v for greeting, the beep, then silence (the machine records).
func newMachine(v Voice, seed uint64, greeting time.Duration) *sequence {
	return &sequence{parts: []part{
		{NewSpeech(v, seed), samples(greeting)},
		{tone.New(MachineBeep), samples(MachineBeep.Cadence[0])},
		{tone.Silence{}, -1},
	}}
}

func samples(d time.Duration) int { return int(d * tone.SampleRate / time.Second) }

// Fill implements tone.Generator.
func (s *sequence) Fill(frame []int16) {
	for len(frame) > 0 {
		if len(s.parts) == 0 {
			clear(frame)
			return
		}
		p := s.parts[0]
		n := len(frame)
		if p.n >= 0 {
			n = min(n, p.n-s.pos)
		}
		p.gen.Fill(frame[:n])
		frame, s.pos = frame[n:], s.pos+n
		if p.n >= 0 && s.pos >= p.n {
			s.parts, s.pos = s.parts[1:], 0
		}
	}
}
