// Package streamstats is the arithmetic of the media benchmarks
// (bench/sip, bench/relay): which frames of a stream arrived, the share
// lost, how far each packet's transit strays from its stream's median,
// and nearest-rank quantiles.
package streamstats

import (
	"slices"
	"time"
)

// Percentile returns the p-quantile (0 < p <= 1) of sorted by the
// nearest-rank method, or zero for no values.
func Percentile[T int32 | int64 | time.Duration | float64](sorted []T, p float64) T {
	if len(sorted) == 0 {
		return 0
	}
	k := int(p*float64(len(sorted))+0.9999999) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

// Median returns the middle value of xs (the lower of the two middle ones
// for an even count), sorting xs in place.
func Median(xs []int32) int32 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[(len(xs)-1)/2]
}

// Deviations appends to out, for each transit time of one stream, how far
// it is from the stream's median transit: the delay variation the path
// adds to that packet. transits is sorted in place.
func Deviations(out, transits []int32) []int32 {
	m := Median(transits)
	for _, t := range transits {
		d := t - m
		if d < 0 {
			d = -d
		}
		out = append(out, d)
	}
	return out
}

// LossPercent is the share of sent packets that were not received, in
// percent; duplicates do not make up for lost packets.
func LossPercent(sent, received uint64) float64 {
	if sent == 0 || received >= sent {
		return 0
	}
	return 100 * float64(sent-received) / float64(sent)
}

// SeqSet remembers which sequence (frame) numbers of one stream arrived.
type SeqSet struct {
	bits []uint64
	n    uint64
}

// Add records seq and reports whether it is new. A number far beyond any
// run (over 64 million) is ignored.
func (s *SeqSet) Add(seq uint32) bool {
	w, bit := int(seq/64), uint64(1)<<(seq%64)
	if w >= len(s.bits) {
		if w > 1<<20 {
			return false
		}
		s.bits = append(s.bits, make([]uint64, w+1-len(s.bits)+len(s.bits)/2)...)
	}
	if s.bits[w]&bit != 0 {
		return false
	}
	s.bits[w] |= bit
	s.n++
	return true
}

// Len returns how many distinct numbers arrived.
func (s *SeqSet) Len() uint64 { return s.n }
