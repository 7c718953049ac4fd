// Package g711 converts between 16-bit linear PCM and ITU-T G.711 PCMU
// (mu-law) and PCMA (A-law), and transcodes PCMU and PCMA payloads into
// each other directly. Every conversion is a table lookup: the tables are
// built once, at start-up, from the G.711 segment rules, and nothing here
// allocates.
package g711

const (
	// SampleRate is the G.711 sample rate in Hz.
	SampleRate = 8000
	// FrameSamples is the number of samples (and payload bytes) in 20 ms.
	FrameSamples = 160

	// PayloadTypePCMU and PayloadTypePCMA are the static RTP payload types
	// of RFC 3551.
	PayloadTypePCMU = 0
	PayloadTypePCMA = 8
)
