// Package tone generates and recognises the sounds of the PBX in 8 kHz
// 16-bit linear PCM: sine and dual tones with cadences (ring-back, the
// auto-answer beep), a generated music-on-hold loop and silence, each a
// Generator that fills 20 ms frames one after the other; and Goertzel
// filters (Level, Dominant) that tell which frequencies a signal carries.
package tone

const (
	// SampleRate is the sample rate of every generator, in Hz.
	SampleRate = 8000
	// FrameSamples is the number of samples in a 20 ms frame.
	FrameSamples = 160
)

// A Generator fills frames with its sound, each call continuing where the
// previous one stopped. Generators are not safe for concurrent use.
type Generator interface {
	Fill(frame []int16)
}
