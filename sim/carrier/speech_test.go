package carrier

import (
	"math"
	"testing"
	"time"

	"github.com/callfloor/callfloor/media/g711"
	"github.com/callfloor/callfloor/media/tone"
)

func render(g tone.Generator, d time.Duration) []int16 {
	pcm := make([]int16, samples(d))
	for i := 0; i < len(pcm); i += tone.FrameSamples {
		g.Fill(pcm[i:min(len(pcm), i+tone.FrameSamples)])
	}
	return pcm
}

// TestSpeechIsSpeechLike: both voices, through G.711 as on the line.
func TestSpeechIsSpeechLike(t *testing.T) {
	for _, v := range []Voice{VoiceLow, VoiceHigh} {
		for seed := range uint64(5) {
			pcm := render(NewSpeech(v, seed), 10*time.Second)
			b := make([]byte, len(pcm))
			g711.EncodePCMU(b, pcm)
			g711.DecodePCMU(pcm, b)
			checkSpeechLike(t, pcm)
			// About -20 dBFS while voiced, never clipping.
			var voiced []float64
			peak := 0
			for _, r := range frameRMS(pcm) {
				if r > 1000 {
					voiced = append(voiced, r)
				}
			}
			for _, s := range pcm {
				peak = max(peak, int(math.Abs(float64(s))))
			}
			mean := 0.0
			for _, r := range voiced {
				mean += r / float64(len(voiced))
			}
			if mean < 2000 || mean > 5000 || peak >= 32000 {
				t.Errorf("voice %v seed %d: voiced frames average RMS %.0f, peak %d", v, seed, mean, peak)
			}
		}
	}
}

// TestSpeechRhythm: syllables come at a speaking rate, with pauses.
func TestSpeechRhythm(t *testing.T) {
	pcm := render(NewSpeech(VoiceLow, 3), 20*time.Second)
	frames := frameRMS(pcm)
	onsets, silent := 0, 0
	on := false
	for _, r := range frames {
		switch {
		case !on && r > 1500:
			on = true
			onsets++
		case on && r < 700:
			on = false
		}
		if r < 50 {
			silent++
		}
	}
	if rate := float64(onsets) / 20; rate < 1.5 || rate > 8 {
		t.Errorf("%.1f syllables a second", rate)
	}
	if share := float64(silent) / float64(len(frames)); share < 0.05 || share > 0.5 {
		t.Errorf("%.0f%% of frames silent", 100*share)
	}
}

func TestSpeechDeterministic(t *testing.T) {
	a := render(NewSpeech(VoiceHigh, 9), time.Second)
	b := render(NewSpeech(VoiceHigh, 9), time.Second)
	c := render(NewSpeech(VoiceHigh, 10), time.Second)
	same := func(x, y []int16) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if !same(a, b) || same(a, c) {
		t.Error("speech depends on something else than its seed")
	}
}

// TestMachineSound: greeting, beep, silence, to the sample.
func TestMachineSound(t *testing.T) {
	pcm := render(newMachine(VoiceHigh, 1, time.Second), 3*time.Second)
	greeting, beep, after := pcm[:8000], pcm[8000:12000], pcm[12000:]
	if r := rms(greeting); r < 500 {
		t.Errorf("greeting RMS %.0f", r)
	}
	if l, r := tone.Level(beep, 1000), rms(beep); l < 0.95*r*math.Sqrt2 || r < 5000 {
		t.Errorf("beep: level at 1 kHz %.0f, RMS %.0f", l, r)
	}
	if r := rms(after); r != 0 {
		t.Errorf("after the beep RMS %.0f, want silence", r)
	}
}

func TestDramaNumber(t *testing.T) {
	for n, want := range map[int]string{0: "+441632960000", 7: "+441632960007", 999: "+441632960999", 1000: "+441632960000"} {
		if got := DramaNumber(n); got != want {
			t.Errorf("DramaNumber(%d) = %s, want %s", n, got, want)
		}
	}
}
