// Package mixer is the conference mixer. Each Conference is one goroutine
// driven by a 20 ms tick: at each tick it takes the latest frame of every
// party (silence for a party that sent none), sums them in int32 and gives
// each party the sum without its own voice, clipped to int16. Parties
// join and leave at any time.
package mixer

// FrameSamples is the number of samples in a 20 ms frame at 8 kHz.
const FrameSamples = 160

// Frame is 20 ms of 8 kHz 16-bit linear PCM.
type Frame [FrameSamples]int16
