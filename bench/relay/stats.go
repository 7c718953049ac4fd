package main

import (
	"os"
	"strconv"
	"strings"
)

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
