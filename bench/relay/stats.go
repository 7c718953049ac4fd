package main

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// percentile returns the p-quantile (0 < p <= 1) of sorted by the
// nearest-rank method, or zero for no values.
func percentile[T int32 | int64 | time.Duration | float64](sorted []T, p float64) T {
	if len(sorted) == 0 {
		return 0
	}
	k := int(p*float64(len(sorted))+0.9999999) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

// deviations appends to out, for each transit time of one stream, how far
// it is from the stream's median transit: the delay variation the path
// adds to that packet. transits is sorted in place.
func deviations(out, transits []int32) []int32 {
	if len(transits) == 0 {
		return out
	}
	slices.Sort(transits)
	m := transits[(len(transits)-1)/2]
	for _, t := range transits {
		d := t - m
		if d < 0 {
			d = -d
		}
		out = append(out, d)
	}
	return out
}

// lossPercent is the share of sent packets that were not received, in
// percent.
func lossPercent(sent, received uint64) float64 {
	if sent == 0 || received >= sent {
		return 0
	}
	return 100 * float64(sent-received) / float64(sent)
}

// seqSet remembers which frame numbers of one stream arrived.
type seqSet struct {
	bits []uint64
	n    uint64
}

// add records seq and reports whether it is new.
func (s *seqSet) add(seq uint32) bool {
	w, bit := int(seq/64), uint64(1)<<(seq%64)
	if w >= len(s.bits) {
		if w > 1<<20 { // a frame number far beyond any phase: ignore
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

// usToMs is a number of microseconds in milliseconds.
func usToMs(us int32) float64 { return float64(us) / 1000 }

// loadavg is /proc/loadavg's first three figures.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// cpuTicks returns the busy and total ticks of one CPU from /proc/stat,
// whoever used them: busy is user, nice, system, irq and softirq; total
// adds idle, iowait and steal (guest time is in user already).
func cpuTicks(cpu int) (busy, total uint64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	name := "cpu" + strconv.Itoa(cpu)
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) < 9 || f[0] != name {
			continue
		}
		for i, v := range f[1:9] {
			n, _ := strconv.ParseUint(v, 10, 64)
			total += n
			if i != 3 && i != 4 && i != 7 {
				busy += n
			}
		}
	}
	return busy, total
}

// udpRcvbufErrors is the kernel's count of datagrams dropped because a
// socket's receive buffer was full (/proc/net/snmp).
func udpRcvbufErrors() int64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0
	}
	var names []string
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(f) {
				v, _ := strconv.ParseInt(f[i], 10, 64)
				return v
			}
		}
	}
	return 0
}
