package tone

import "math"

// Level returns the amplitude, in sample units, of the freq Hz component
// of samples (8 kHz), computed with the Goertzel algorithm. A full-scale
// sine at freq measures about 32767; other frequencies measure near 0 when
// the window holds many of their periods.
func Level(samples []int16, freq float64) float64 {
	if len(samples) == 0 {
		return 0
	}
	w := 2 * math.Pi * freq / SampleRate
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range samples {
		s1, s2 = float64(x)+coeff*s1-s2, s1
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * math.Sqrt(max(0, power)) / float64(len(samples))
}

// Dominant returns the candidate frequency with the highest Level in
// samples, or 0 if there are no candidates.
func Dominant(samples []int16, candidates []float64) float64 {
	best, bestLevel := 0.0, -1.0
	for _, f := range candidates {
		if l := Level(samples, f); l > bestLevel {
			best, bestLevel = f, l
		}
	}
	return best
}
