package carrier

import (
	"math"
	"math/rand/v2"

	"github.com/callfloor/callfloor/media/tone"
)

// Speech is a tone.Generator of speech-like sound, synthesised with no
// recording: phrases of words of syllables, each an optional consonant
// (a hiss of filtered noise, or a stop's silence and burst) and a vowel
// (a glottal pulse train at a pitch that falls across the phrase, shaped
// by three formant filters), separated by short gaps between words and
// longer pauses between phrases. It carries the rhythm (about four
// syllables a second) and spectrum of a voice, so it is neither silence
// nor a tone to anything listening on the line.
type Speech struct {
	rnd   *rand.Rand
	voice Voice

	plan []segment // the segments still to play, the current one first
	pos  int       // samples of plan[0] played

	phase    float64 // glottal phase within a period, 0-1
	prevGlot float64 // last glottal flow sample, to differentiate
	formants [3]biquad
	power    float64 // of the formants' output, averaged (see agcSamples)
	hiss     biquad
}

// Voice is the pitch and loudness of a Speech.
type Voice struct {
	Pitch float64 // mean fundamental frequency in Hz (110 a man, 210 a woman)
	Level float64 // RMS of vowels in dB below full scale (e.g. -20)
	// Pause is the mean pause between phrases, in seconds.
	Pause float64
}

// Voices a carrier's callers and callees speak with.
var (
	VoiceLow  = Voice{Pitch: 115, Level: -20, Pause: 0.6}
	VoiceHigh = Voice{Pitch: 205, Level: -20, Pause: 0.5}
)

// NewSpeech returns speech in voice v, its words drawn from seed.
func NewSpeech(v Voice, seed uint64) *Speech {
	return &Speech{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), voice: v}
}

type segKind int

const (
	segGap segKind = iota
	segVowel
	segHiss  // a fricative: "s", "f", "sh"
	segBurst // the release of a stop: "t", "k", "p"
)

// segment is one sound of the plan.
type segment struct {
	kind   segKind
	n      int     // length in samples
	amp    float64 // peak amplitude, of full scale
	f0, f1 float64 // pitch at the start and end (vowels)
	form   [3]float64
	centre float64 // of the hiss or burst band
}

// vowels are the first three formants of a few vowels, in Hz.
var vowels = [][3]float64{
	{730, 1090, 2440}, // a
	{270, 2290, 3010}, // i
	{300, 870, 2240},  // u
	{530, 1840, 2480}, // e
	{570, 840, 2410},  // o
	{660, 1720, 2410}, // æ
	{490, 1350, 1690}, // ɜ
	{440, 1020, 2240}, // ʊ
}

// ms is a number of samples.
func ms(d float64) int { return int(d * tone.SampleRate / 1000) }

// between returns a uniform value in [lo, hi).
func (s *Speech) between(lo, hi float64) float64 { return lo + (hi-lo)*s.rnd.Float64() }

// planPhrase appends a phrase of two to eight words and the pause after
// it to the plan.
func (s *Speech) planPhrase() {
	words := 2 + s.rnd.IntN(7)
	total := 0
	for range words {
		total += 1 + s.rnd.IntN(3)
	}
	// The pitch starts high and falls (declination), with a rise on
	// stressed syllables.
	start, end := s.voice.Pitch*s.between(1.1, 1.25), s.voice.Pitch*s.between(0.8, 0.9)
	amp := math.Pow(10, s.voice.Level/20)
	syl := 0
	for w := range words {
		n := 1 + s.rnd.IntN(3)
		stress := s.rnd.IntN(n)
		for i := range n {
			f := start + (end-start)*float64(syl)/float64(total)
			syl++
			switch r := s.rnd.Float64(); {
			case r < 0.3:
				s.plan = append(s.plan, segment{kind: segHiss, n: ms(s.between(50, 110)),
					amp: amp * s.between(0.15, 0.3), centre: s.between(2200, 3400)})
			case r < 0.55:
				s.plan = append(s.plan, segment{kind: segGap, n: ms(s.between(25, 50))},
					segment{kind: segBurst, n: ms(s.between(10, 20)),
						amp: amp * s.between(0.3, 0.5), centre: s.between(1500, 3000)})
			}
			length, a, f0 := s.between(80, 170), s.between(0.6, 0.9), f*s.between(0.95, 1.05)
			if i == stress {
				length, a, f0 = s.between(150, 260), 1, f0*s.between(1.08, 1.18)
			}
			s.plan = append(s.plan, segment{kind: segVowel, n: ms(length), amp: amp * a,
				f0: f0, f1: f0 * s.between(0.9, 1.0), form: vowels[s.rnd.IntN(len(vowels))]})
		}
		if w < words-1 && s.rnd.IntN(3) > 0 {
			s.plan = append(s.plan, segment{kind: segGap, n: ms(s.between(20, 110))})
		}
	}
	pause := s.voice.Pause * 1000 * s.between(0.5, 1.5)
	s.plan = append(s.plan, segment{kind: segGap, n: ms(pause)})
}

// Fill implements tone.Generator.
func (s *Speech) Fill(frame []int16) {
	for i := range frame {
		for len(s.plan) == 0 || s.pos >= s.plan[0].n {
			if len(s.plan) > 0 {
				s.plan, s.pos = s.plan[1:], 0
			}
			if len(s.plan) == 0 {
				s.planPhrase()
			}
			s.begin(&s.plan[0])
		}
		frame[i] = clip(s.sample(&s.plan[0], s.pos))
		s.pos++
	}
}

// begin tunes the filters for a segment.
func (s *Speech) begin(g *segment) {
	switch g.kind {
	case segVowel:
		bw := [3]float64{80, 110, 160}
		for i := range s.formants {
			s.formants[i].bandpass(g.form[i], g.form[i]/bw[i])
		}
	case segHiss, segBurst:
		s.hiss.bandpass(g.centre, 1.5)
	}
}

// formantGain weighs the formants of a vowel (the higher, the weaker).
var formantGain = [3]float64{1, 0.6, 0.3}

// sample is the n-th sample of segment g, in sample units.
func (s *Speech) sample(g *segment, n int) float64 {
	switch g.kind {
	case segVowel:
		f0 := g.f0 + (g.f1-g.f0)*float64(n)/float64(g.n)
		s.phase += f0 / tone.SampleRate
		if s.phase >= 1 {
			s.phase--
		}
		// A Rosenberg glottal pulse, differentiated for the radiation at
		// the lips, with a little breath.
		var glot float64
		switch p := s.phase; {
		case p < 0.4:
			glot = 0.5 * (1 - math.Cos(math.Pi*p/0.4))
		case p < 0.6:
			glot = math.Cos(math.Pi * (p - 0.4) / 0.4)
		}
		src := (glot - s.prevGlot) * 8
		s.prevGlot = glot
		src += 0.02 * s.rnd.NormFloat64()
		v := 0.0
		for i := range s.formants {
			v += formantGain[i] * s.formants[i].next(src)
		}
		// An automatic gain control keeps vowels equally loud, whatever
		// their formants and pitch.
		s.power += (v*v - s.power) / agcSamples
		v /= math.Sqrt(max(s.power, minPower))
		return g.amp * envelope(n, g.n, ms(20), ms(35)) * v * 32767
	case segHiss, segBurst:
		v := s.hiss.next(s.rnd.NormFloat64())
		return g.amp * envelope(n, g.n, ms(10), ms(15)) * v * 32767
	}
	s.prevGlot = 0
	return 0
}

// The automatic gain control of vowels: the power of the formant
// filters' output is averaged over about agcSamples (25 ms), and never
// taken for less than minPower, so that a vowel's first samples are not
// blown up.
const (
	agcSamples = 200
	minPower   = 1e-3
)

// envelope rises over the first rise samples of a segment of length n
// and falls over the last fall samples, as raised cosines.
func envelope(i, n, rise, fall int) float64 {
	e := 1.0
	if i < rise {
		e = 0.5 * (1 - math.Cos(math.Pi*float64(i)/float64(rise)))
	}
	if left := n - i; left < fall {
		e = min(e, 0.5*(1-math.Cos(math.Pi*float64(left)/float64(fall))))
	}
	return e
}

// biquad is a band-pass filter with 0 dB gain at its centre (RBJ's audio
// EQ cookbook).
type biquad struct {
	b0, b2, a1, a2 float64
	x1, x2, y1, y2 float64
}

func (f *biquad) bandpass(centre, q float64) {
	w := 2 * math.Pi * min(centre, 0.45*tone.SampleRate) / tone.SampleRate
	alpha := math.Sin(w) / (2 * q)
	a0 := 1 + alpha
	f.b0, f.b2 = alpha/a0, -alpha/a0
	f.a1, f.a2 = -2*math.Cos(w)/a0, (1-alpha)/a0
}

func (f *biquad) next(x float64) float64 {
	y := f.b0*x + f.b2*f.x2 - f.a1*f.y1 - f.a2*f.y2
	f.x2, f.x1 = f.x1, x
	f.y2, f.y1 = f.y1, y
	return y
}

func clip(v float64) int16 {
	return int16(max(math.MinInt16, min(math.MaxInt16, math.Round(v))))
}
