package prompt

import (
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor/media/tone"
)

// The sine played after the prompt in the tests, and how loud it is.
const (
	sineFreq  = 1000
	sineLevel = -10 // dB below full scale
)

var sineAmp = 32767 * math.Pow(10, sineLevel/20.0)

// render fills n samples from g, 20 ms frames at a time.
func render(g tone.Generator, n int) []int16 {
	out := make([]int16, n)
	for i := 0; i < n; i += tone.FrameSamples {
		g.Fill(out[i:min(n, i+tone.FrameSamples)])
	}
	return out
}

func rms(s []int16) float64 {
	sum := 0.0
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(max(1, len(s))))
}

// promptLength is the number of samples g plays before its then.
func promptLength(t *testing.T, g tone.Generator) int {
	t.Helper()
	p, ok := g.(*player)
	if !ok {
		t.Fatalf("generator is a %T, want *player", g)
	}
	return p.length()
}

func TestNumberWords(t *testing.T) {
	for _, c := range []struct {
		n    int
		want []string
	}{
		{-1, nil}, {0, nil}, {100, nil}, {1000, nil},
		{1, []string{"one"}},
		{9, []string{"nine"}},
		{10, []string{"ten"}},
		{13, []string{"thirteen"}},
		{19, []string{"nineteen"}},
		{20, []string{"twenty"}},
		{21, []string{"twenty", "one"}},
		{40, []string{"forty"}},
		{57, []string{"fifty", "seven"}},
		{90, []string{"ninety"}},
		{99, []string{"ninety", "nine"}},
	} {
		if got := numberWords(c.n); !slices.Equal(got, c.want) {
			t.Errorf("numberWords(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

// TestEveryClip checks that each recording the package uses is embedded,
// is speech rather than silence, is short, and starts and ends quietly.
func TestEveryClip(t *testing.T) {
	names := []string{callerNumber, pleaseHold}
	names = append(names, units[1:]...)
	names = append(names, tens[2:]...)
	names = append(names, "zero", "to-call-us-back", "goodbye", "sorry-no-agent")
	total := 0
	for _, name := range names {
		pcm, ok := clips()[name]
		if !ok {
			t.Errorf("%s: not embedded", name)
			continue
		}
		total += len(pcm)
		longest := 2 * time.Second
		if name == "sorry-no-agent" {
			longest = 6 * time.Second // a sentence, not a word
		}
		if d := time.Duration(len(pcm)) * time.Second / tone.SampleRate; d < 150*time.Millisecond || d > longest {
			t.Errorf("%s: lasts %v", name, d)
		}
		if r := rms(pcm); r < 1000 {
			t.Errorf("%s: RMS %.0f, want speech", name, r)
		}
		if a, b := pcm[0], pcm[len(pcm)-1]; a < -500 || a > 500 || b < -500 || b > 500 {
			t.Errorf("%s: starts at %d and ends at %d, want near 0", name, a, b)
		}
	}
	if len(clips()) != len(names) {
		t.Errorf("%d clips embedded, want %d", len(clips()), len(names))
	}
	if total > 300_000 { // one byte a sample
		t.Errorf("%d bytes of audio, want under 300 KB", total)
	}
}

// TestPosition plays every position from 1 to 99 and checks that the
// prompt is plausible speech and that then follows it, sample for sample.
func TestPosition(t *testing.T) {
	holdLen := len(clips()[pleaseHold])
	for n := 1; n <= 99; n++ {
		g := Position(n, tone.NewSine(sineFreq, sineLevel))
		l := promptLength(t, g)
		if l <= holdLen+tailGap || l > 6*tone.SampleRate {
			t.Errorf("position %d: prompt of %d samples, want more than %d and under 6 s", n, l, holdLen+tailGap)
			continue
		}
		out := render(g, l+tone.SampleRate/2)
		speech, after := out[:l], out[l:]
		if r := rms(speech); r < 1000 {
			t.Errorf("position %d: speech RMS %.0f, want above 1000", n, r)
		}
		if lv := tone.Level(speech, sineFreq); lv > sineAmp/10 {
			t.Errorf("position %d: %.0f at %d Hz during the prompt, want the sine to wait", n, lv, sineFreq)
		}
		want := render(tone.NewSine(sineFreq, sineLevel), len(after))
		if !slices.Equal(after, want) {
			t.Errorf("position %d: output after the prompt differs from the sine", n)
		}
		if lv := tone.Level(after, sineFreq); math.Abs(lv-sineAmp) > sineAmp*0.05 {
			t.Errorf("position %d: %.0f at %d Hz after the prompt, want about %.0f", n, lv, sineFreq, sineAmp)
		}
		if f := tone.Dominant(after, []float64{300, 500, sineFreq, 2000}); f != sineFreq {
			t.Errorf("position %d: %v Hz dominates after the prompt", n, f)
		}
	}
}

// TestPositionOutOfRange checks that a position outside 1 to 99 is not
// spoken: the caller hears "please hold", a pause, then then.
func TestPositionOutOfRange(t *testing.T) {
	hold := clips()[pleaseHold]
	for _, n := range []int{0, -1, -99, 100, 1000, math.MaxInt, math.MinInt} {
		g := Position(n, tone.NewSine(sineFreq, sineLevel))
		if l := promptLength(t, g); l != len(hold)+tailGap {
			t.Errorf("position %d: prompt of %d samples, want %d", n, l, len(hold)+tailGap)
			continue
		}
		out := render(g, len(hold)+tailGap+tone.SampleRate/4)
		if !slices.Equal(out[:len(hold)], hold) {
			t.Errorf("position %d: does not start with please-hold", n)
		}
		if slices.ContainsFunc(out[len(hold):len(hold)+tailGap], func(v int16) bool { return v != 0 }) {
			t.Errorf("position %d: pause after please-hold is not silent", n)
		}
		after := out[len(hold)+tailGap:]
		if !slices.Equal(after, render(tone.NewSine(sineFreq, sineLevel), len(after))) {
			t.Errorf("position %d: output after the prompt differs from the sine", n)
		}
	}
}

// TestPositionSpeaksTheWords checks that a position is made of the clips
// of its words, in order, with the pauses between them.
func TestPositionSpeaksTheWords(t *testing.T) {
	c := clips()
	for _, tc := range []struct {
		n     int
		words []string
	}{
		{3, []string{"three"}},
		{20, []string{"twenty"}},
		{42, []string{"forty", "two"}},
	} {
		var want []int16
		for _, w := range append([]string{callerNumber}, tc.words...) {
			if want != nil {
				want = append(want, make([]int16, wordGap)...)
			}
			want = append(want, c[w]...)
		}
		want = append(want, make([]int16, sentenceGap)...)
		want = append(want, c[pleaseHold]...)
		want = append(want, make([]int16, tailGap)...)
		want = append(want, make([]int16, 400)...) // then: silence

		if got := render(Position(tc.n, nil), len(want)); !slices.Equal(got, want) {
			t.Errorf("position %d: not %q then please-hold", tc.n, tc.words)
		}
	}
}

func TestClip(t *testing.T) {
	c := clips()
	g, d, err := Clip("twenty", "three")
	if err != nil {
		t.Fatal(err)
	}
	n := len(c["twenty"]) + wordGap + len(c["three"])
	if want := time.Duration(n) * time.Second / tone.SampleRate; d != want {
		t.Errorf("duration %v, want %v", d, want)
	}
	out := render(g, n+tone.FrameSamples)
	if !slices.Equal(out[:len(c["twenty"])], c["twenty"]) || !slices.Equal(out[n-len(c["three"]):n], c["three"]) {
		t.Error("clips not played in order")
	}
	if slices.ContainsFunc(out[n:], func(v int16) bool { return v != 0 }) {
		t.Error("not silent after the clips")
	}

	if _, _, err := Clip("three", "hundred"); err == nil {
		t.Error("unknown clip: no error")
	}
	if g, d, err := Clip(); err != nil || d != 0 || rms(render(g, tone.FrameSamples)) != 0 {
		t.Errorf("no clips: %v, %v; want silence", d, err)
	}
}

// TestFrameSizes checks that the output does not depend on how it is cut
// into frames.
func TestFrameSizes(t *testing.T) {
	n := 5 * tone.SampleRate
	whole := make([]int16, n)
	Position(77, tone.NewMusic()).Fill(whole)
	for _, size := range []int{1, 7, 160, 161, 4000} {
		g := Position(77, tone.NewMusic())
		got := make([]int16, n)
		for i := 0; i < n; i += size {
			g.Fill(got[i:min(n, i+size)])
		}
		if !slices.Equal(got, whole) {
			t.Errorf("frames of %d samples: output differs from one long fill", size)
		}
	}
}

// TestConcurrentPlayers runs generators on many goroutines at once, each
// its own, to let the race detector check that the shared audio is only
// read.
func TestConcurrentPlayers(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			g := Position(i*13, tone.NewMusic())
			render(g, 5*tone.SampleRate)
		})
	}
	wg.Wait()
}

// TestNoAgent: the information message says the apology, the call-back
// number digit by digit (a "+" is not spoken) and goodbye, in that order,
// lasts as long as it says, and is silent after; with no number the
// call-back sentence is left out.
func TestNoAgent(t *testing.T) {
	c := clips()
	g, d := NoAgent("+4420")
	words := []string{"sorry-no-agent", "to-call-us-back", "four", "four", "two", "zero", "goodbye"}
	n := len(c["sorry-no-agent"]) + sentenceGap + len(c["to-call-us-back"]) + 4*wordGap +
		2*len(c["four"]) + len(c["two"]) + len(c["zero"]) + sentenceGap + len(c["goodbye"]) + tailGap
	if want := time.Duration(n) * time.Second / tone.SampleRate; d != want {
		t.Errorf("duration %v, want %v", d, want)
	}
	out := render(g, n+tone.FrameSamples)
	pos := 0
	for _, w := range words {
		i := indexOf(out[pos:], c[w])
		if i < 0 {
			t.Fatalf("%q not said after sample %d", w, pos)
		}
		pos += i + len(c[w])
	}
	if slices.ContainsFunc(out[n:], func(v int16) bool { return v != 0 }) {
		t.Error("not silent after the message")
	}
	short, ds := NoAgent("")
	if ds >= d || indexOf(render(short, n), c["to-call-us-back"]) >= 0 {
		t.Errorf("no number: %v (with one %v), or the call-back sentence is said", ds, d)
	}
}

// indexOf finds clip in out, -1 when absent.
func indexOf(out, clip []int16) int {
	for i := 0; i+len(clip) <= len(out); i++ {
		if slices.Equal(out[i:i+len(clip)], clip) {
			return i
		}
	}
	return -1
}
