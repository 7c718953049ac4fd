package baresiptest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/callfloor/callfloor/media/tone"
)

// Audio is 8 kHz 16-bit mono audio (tone.SampleRate).
type Audio struct{ Samples []int16 }

// Duration is how long the audio lasts.
func (a Audio) Duration() time.Duration {
	return time.Duration(len(a.Samples)) * time.Second / tone.SampleRate
}

// Window returns the audio between from and to (clamped to the audio).
func (a Audio) Window(from, to time.Duration) Audio {
	i, j := samplesIn(from, len(a.Samples)), samplesIn(to, len(a.Samples))
	if i > j {
		i = j
	}
	return Audio{Samples: a.Samples[i:j]}
}

// Last returns the last d of the audio (all of it if shorter).
func (a Audio) Last(d time.Duration) Audio {
	return a.Window(a.Duration()-d, a.Duration())
}

func samplesIn(d time.Duration, n int) int {
	return min(max(0, int(d*tone.SampleRate/time.Second)), n)
}

// Level is the amplitude of the freq Hz component (Goertzel, tone.Level):
// about the peak sample value of a sine at freq, near 0 without one.
func (a Audio) Level(freq float64) float64 { return tone.Level(a.Samples, freq) }

// Dominant returns which of the candidate frequencies is loudest
// (tone.Dominant).
func (a Audio) Dominant(candidates ...float64) float64 {
	return tone.Dominant(a.Samples, candidates)
}

// Received returns the audio the phone has received so far on its latest
// call, decoded: baresip's sndfile dump "dump-<time>-dec.wav", which
// sndfile writes as the RTP comes, with no gaps of its own.
//
// Two limits of baresip 1.0: the file is named by the second the call's
// audio started, so two calls of one phone started within the same second
// share it; and the dump stops at the call's first re-INVITE that changes
// the direction (hold, resume), which drops sndfile from the receive
// pipeline for good (audio.c, aufilt_setup).
func (p *Phone) Received() (Audio, error) { return p.dump("dec") }

// Sent returns the audio the phone has sent so far on its latest call,
// before encoding.
func (p *Phone) Sent() (Audio, error) { return p.dump("enc") }

func (p *Phone) dump(kind string) (Audio, error) {
	files, err := filepath.Glob(filepath.Join(p.dir, "dump-*-"+kind+".wav"))
	if err != nil || len(files) == 0 {
		return Audio{}, fmt.Errorf("baresiptest: %s: no audio dump yet (no call?)", p.opts.User)
	}
	slices.Sort(files) // dump-YYYY-MM-DD-hh-mm-ss-...
	return readWAV(files[len(files)-1])
}

// ToneLevel is the Level from which WaitTone counts a tone as heard: the
// phones' sines measure about 14000; a tone that leaks from elsewhere
// (another frequency, resampling) under 100.
const ToneLevel = 1000

// WaitTone waits until the last window of the audio received on the
// phone's latest call carries freq at ToneLevel or louder, and returns
// that window for the test to check further (which tone dominates, how
// loud). There is no event for audio: it looks again every 100 ms.
func (p *Phone) WaitTone(ctx context.Context, freq float64, window time.Duration) (Audio, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last Audio
	var err error
	for {
		var a Audio
		if a, err = p.Received(); err == nil {
			last = a.Last(window)
			if last.Duration() >= window && last.Level(freq) >= ToneLevel {
				return last, nil
			}
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return last, fmt.Errorf("baresiptest: %s did not hear %v Hz: %w", p.opts.User, freq, err)
			}
			return last, fmt.Errorf("baresiptest: %s did not hear %v Hz: level %.0f in the last %v of %v received",
				p.opts.User, freq, last.Level(freq), last.Duration(), window)
		case <-tick.C:
		}
	}
}

// readWAV reads a 16-bit 8 kHz mono WAV file. baresip writes the sizes in
// the header only when the call ends: a data chunk of size 0, or larger
// than the file, runs to the end of the file.
func readWAV(name string) (Audio, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return Audio{}, fmt.Errorf("baresiptest: %w", err)
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return Audio{}, fmt.Errorf("baresiptest: %s: not a WAV file", name)
	}
	var fmtOK bool
	for b = b[12:]; len(b) >= 8; {
		id, size := string(b[:4]), int(binary.LittleEndian.Uint32(b[4:8]))
		b = b[8:]
		switch id {
		case "fmt ":
			if size < 16 || len(b) < 16 {
				return Audio{}, fmt.Errorf("baresiptest: %s: short fmt chunk", name)
			}
			format, channels := binary.LittleEndian.Uint16(b[0:]), binary.LittleEndian.Uint16(b[2:])
			rate, bits := binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint16(b[14:])
			if format != 1 || channels != 1 || rate != tone.SampleRate || bits != 16 {
				return Audio{}, fmt.Errorf("baresiptest: %s: format %d, %d channels, %d Hz, %d bits; want PCM mono 8 kHz 16 bits",
					name, format, channels, rate, bits)
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return Audio{}, fmt.Errorf("baresiptest: %s: data before fmt", name)
			}
			if size == 0 || size > len(b) {
				size = len(b)
			}
			s := make([]int16, size/2)
			for i := range s {
				s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
			}
			return Audio{Samples: s}, nil
		}
		if size+size%2 > len(b) {
			break
		}
		b = b[size+size%2:]
	}
	return Audio{}, errors.New("baresiptest: " + name + ": no data chunk")
}
