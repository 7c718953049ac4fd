package tone

import (
	"math"
	"time"
)

// Spec describes a tone: one or more frequencies played together, each at
// Level, switched on and off by a cadence.
type Spec struct {
	Freqs []float64 // Hz
	Level float64   // of each frequency, in dB below full scale (e.g. -15)
	// Cadence alternates on and off times, starting with on, and repeats.
	// Empty means always on.
	Cadence []time.Duration
	Once    bool // play the cadence once, then silence
}

// Common tones.
var (
	// UKRingback is the British ring-back tone: 400+450 Hz, 0.4 s on,
	// 0.2 s off, 0.4 s on, 2 s off.
	UKRingback = Spec{
		Freqs:   []float64{400, 450},
		Level:   -19,
		Cadence: []time.Duration{400 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 2 * time.Second},
	}
	// Beep is the short 1 kHz beep played to an agent on auto-answer.
	Beep = Spec{
		Freqs:   []float64{1000},
		Level:   -12,
		Cadence: []time.Duration{200 * time.Millisecond},
		Once:    true,
	}
)

// ramp is the length of the fade in and out at each on/off switch, in
// samples (2 ms), so that the cadence does not click.
const ramp = 16

// Tone generates a Spec.
type Tone struct {
	step  []float64 // phase increment of each frequency, radians a sample
	amp   float64
	edges []int // cumulative end of each cadence segment, in samples
	n     int   // samples generated so far
}

// New returns a generator of s.
func New(s Spec) *Tone {
	t := &Tone{amp: 32767 * math.Pow(10, s.Level/20)}
	for _, f := range s.Freqs {
		t.step = append(t.step, 2*math.Pi*f/SampleRate)
	}
	end := 0
	for _, d := range s.Cadence {
		end += int(d * SampleRate / time.Second)
		t.edges = append(t.edges, end)
	}
	if s.Once {
		t.edges = append(t.edges, -1) // marks "then silence"
	}
	return t
}

// NewSine returns a generator of a continuous sine of freq Hz at level dB
// below full scale.
func NewSine(freq, level float64) *Tone {
	return New(Spec{Freqs: []float64{freq}, Level: level})
}

// Fill implements Generator.
func (t *Tone) Fill(frame []int16) {
	for i := range frame {
		env := t.envelope(t.n)
		v := 0.0
		if env > 0 {
			for _, s := range t.step {
				v += math.Sin(s * float64(t.n))
			}
		}
		frame[i] = clip(t.amp * env * v)
		t.n++
	}
}

// envelope is 1 while the cadence is on, 0 while off, with ramps between.
func (t *Tone) envelope(n int) float64 {
	edges := t.edges
	once := len(edges) > 0 && edges[len(edges)-1] < 0
	if once {
		edges = edges[:len(edges)-1]
	}
	if len(edges) == 0 {
		if once {
			return 0
		}
		return 1
	}
	period := edges[len(edges)-1]
	if period <= 0 {
		return 0
	}
	if once && n >= period {
		return 0
	}
	n %= period
	start := 0
	for i, end := range edges {
		if n < end {
			if i%2 == 1 {
				return 0
			}
			return min(1, float64(n-start+1)/ramp, float64(end-n)/ramp)
		}
		start = end
	}
	return 0
}

// Silence is a Generator of silence.
type Silence struct{}

// Fill implements Generator.
func (Silence) Fill(frame []int16) { clear(frame) }

func clip(v float64) int16 {
	return int16(max(math.MinInt16, min(math.MaxInt16, math.Round(v))))
}
