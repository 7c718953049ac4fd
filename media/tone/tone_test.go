package tone

import (
	"math"
	"testing"

	"github.com/callfloor/callfloor/media/g711"
)

func frames(g Generator, n int) []int16 {
	out := make([]int16, n*FrameSamples)
	for i := range n {
		g.Fill(out[i*FrameSamples : (i+1)*FrameSamples])
	}
	return out
}

func TestSineDetected(t *testing.T) {
	pcm := frames(NewSine(440, -6), 5) // 100 ms
	amp := 32767 * math.Pow(10, -6.0/20)
	if l := Level(pcm, 440); math.Abs(l-amp) > amp*0.05 {
		t.Errorf("Level at 440 = %.0f, want about %.0f", l, amp)
	}
	if l := Level(pcm, 1000); l > amp*0.02 {
		t.Errorf("Level at 1000 = %.0f, want near 0", l)
	}
	if f := Dominant(pcm, []float64{350, 440, 480, 1000}); f != 440 {
		t.Errorf("Dominant = %v", f)
	}
}

func TestSineThroughG711(t *testing.T) {
	for _, law := range []struct {
		name string
		enc  func([]byte, []int16) int
		dec  func([]int16, []byte) int
	}{
		{"PCMU", g711.EncodePCMU, g711.DecodePCMU},
		{"PCMA", g711.EncodePCMA, g711.DecodePCMA},
	} {
		pcm := frames(NewSine(440, -20), 5)
		b := make([]byte, len(pcm))
		law.enc(b, pcm)
		law.dec(pcm, b)
		if f := Dominant(pcm, []float64{440, 1000, 2000}); f != 440 {
			t.Errorf("%s: Dominant = %v", law.name, f)
		}
		if l, o := Level(pcm, 440), Level(pcm, 1000); l < 3000 || o > l/50 {
			t.Errorf("%s: level at 440 %.0f, at 1000 %.0f", law.name, l, o)
		}
	}
}

func TestPhaseContinuesAcrossFrames(t *testing.T) {
	whole := make([]int16, 3*FrameSamples)
	NewSine(700, -3).Fill(whole)
	if got := frames(NewSine(700, -3), 3); string(int16s(got)) != string(int16s(whole)) {
		t.Error("frame by frame differs from one long fill")
	}
}

func int16s(s []int16) []byte {
	b := make([]byte, 0, 2*len(s))
	for _, v := range s {
		b = append(b, byte(v), byte(v>>8))
	}
	return b
}

// frameLevels measures each 20 ms frame of g at freq.
func frameLevels(g Generator, n int, freq float64) []float64 {
	out := make([]float64, n)
	f := make([]int16, FrameSamples)
	for i := range out {
		g.Fill(f)
		out[i] = Level(f, freq)
	}
	return out
}

func TestUKRingbackCadence(t *testing.T) {
	// 0.4 on, 0.2 off, 0.4 on, 2 off: frames 0-19 on, 20-29 off, 30-49 on,
	// 50-149 off, then again.
	lv := frameLevels(New(UKRingback), 160, 400)
	lv450 := frameLevels(New(UKRingback), 160, 450)
	on := func(i int) bool {
		i %= 150
		return i < 20 || (i >= 30 && i < 50)
	}
	for i := range lv {
		if on(i) && (lv[i] < 2000 || lv450[i] < 2000) {
			t.Errorf("frame %d: levels %.0f %.0f, want on", i, lv[i], lv450[i])
		}
		if !on(i) && lv[i] > 1 {
			t.Errorf("frame %d: level %.0f, want off", i, lv[i])
		}
	}
}

func TestBeepOnce(t *testing.T) {
	lv := frameLevels(New(Beep), 100, 1000)
	for i, l := range lv {
		if on := i < 10; on != (l > 1000) {
			t.Errorf("frame %d: level %.0f", i, l)
		}
	}
	pcm := frames(New(Beep), 10)
	if f := Dominant(pcm, []float64{400, 1000, 2000}); f != 1000 {
		t.Errorf("beep dominant %v", f)
	}
}

func TestSilence(t *testing.T) {
	f := []int16{1, 2, 3}
	Silence{}.Fill(f)
	if f[0] != 0 || f[1] != 0 || f[2] != 0 {
		t.Errorf("silence = %v", f)
	}
}

func TestMusic(t *testing.T) {
	loop := len(musicLoop())
	if loop%FrameSamples != 0 || loop < 5*SampleRate {
		t.Errorf("loop of %d samples", loop)
	}
	m := NewMusic()
	first := frames(m, loop/FrameSamples)
	again := frames(m, loop/FrameSamples)
	if string(int16s(first)) != string(int16s(again)) {
		t.Error("the music does not loop")
	}
	var peak, quiet int
	for i := 0; i < len(first); i += FrameSamples {
		p := 0
		for _, v := range first[i : i+FrameSamples] {
			p = max(p, int(v), -int(v))
		}
		peak = max(peak, p)
		if p < 100 {
			quiet++
		}
	}
	if peak < 3000 || peak > 20000 {
		t.Errorf("peak %d, want a comfortable level", peak)
	}
	if quiet > len(first)/FrameSamples/5 {
		t.Errorf("%d near-silent frames", quiet)
	}
	// No click where the loop restarts: it ends and begins near zero.
	if a, b := first[len(first)-1], first[0]; a < -50 || a > 50 || b < -50 || b > 50 {
		t.Errorf("loop ends at %d and begins at %d", a, b)
	}
}

func BenchmarkLevel(b *testing.B) {
	pcm := frames(NewSine(440, -6), 1)
	for b.Loop() {
		Level(pcm, 440)
	}
}
