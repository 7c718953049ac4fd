package mixer

import "math"

// Mix sets out[i] to the sum of all frames of in except in[i], saturating
// at the int16 limits instead of wrapping. out must be at least as long as
// in. Mix does not allocate.
func Mix(out, in []Frame) {
	var sum [FrameSamples]int32
	for i := range in {
		for j, s := range &in[i] {
			sum[j] += int32(s)
		}
	}
	for i := range in {
		o := &out[i]
		for j, s := range &in[i] {
			o[j] = clip(sum[j] - int32(s))
		}
	}
}

func clip(v int32) int16 {
	return int16(max(math.MinInt16, min(math.MaxInt16, v)))
}
