package main

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// micTone is the frequency of the tone Chromium's fake microphone plays
// in the journeys: none of the softphones' tones, so a phone that hears
// it hears the page.
const micTone = 1400

// writeMicrophone writes the WAV file Chromium plays as every page's
// microphone (--use-file-for-fake-audio-capture, which loops it): beeps
// of micTone, 400 ms on and 100 ms off. The gaps keep the browser's noise
// suppression from learning the tone as steady background noise.
func writeMicrophone(t *testing.T) string {
	t.Helper()
	const rate, seconds = 48000, 5
	n := rate * seconds
	data := make([]byte, 44+2*n)
	copy(data, "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*n))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1) // PCM
	binary.LittleEndian.PutUint16(data[22:], 1) // mono
	binary.LittleEndian.PutUint32(data[24:], rate)
	binary.LittleEndian.PutUint32(data[28:], 2*rate)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*n))
	amp := 32767 * math.Pow(10, -12.0/20)
	for i := range n {
		var v float64
		if i%(rate/2) < rate*4/10 {
			v = amp * math.Sin(2*math.Pi*micTone*float64(i)/rate)
		}
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(int16(v)))
	}
	name := filepath.Join(t.TempDir(), "microphone.wav")
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}
