package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/callfloor/callfloor/bench/internal/benchserver"
)

// procCPU is the CPU time (user + system) process pid has used.
var procCPU = benchserver.ProcCPU

// procStatus returns fields of /proc/PID/status (VmRSS, VmHWM in kB,
// Threads) as numbers.
func procStatus(pid int) map[string]int64 {
	out := map[string]int64{}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}

// procFDs counts the open file descriptors of pid.
func procFDs(pid int) int {
	es, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(es)
}

// procNoFile returns the soft and hard "Max open files" of pid.
func procNoFile(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			f := strings.Fields(rest)
			if len(f) >= 2 {
				return f[0] + "/" + f[1]
			}
		}
	}
	return "?"
}

// raiseNoFile lifts this process's soft limit of open files to the hard
// limit; children started afterwards inherit it.
func raiseNoFile() (soft, hard uint64, err error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, err
	}
	return l.Cur, l.Max, nil
}

// udpCounters returns the kernel's UDP counters (/proc/net/snmp), such as
// RcvbufErrors: datagrams dropped because a socket's buffer was full.
func udpCounters() map[string]int64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return nil
	}
	return parseSNMP(string(b), "Udp")
}

// parseSNMP reads the counters of one protocol from /proc/net/snmp: a
// line of names, then a line of values, both prefixed "Proto:".
func parseSNMP(s, proto string) map[string]int64 {
	var names []string
	out := map[string]int64{}
	for _, line := range strings.Split(s, "\n") {
		rest, ok := strings.CutPrefix(line, proto+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if names == nil {
			names = f
			continue
		}
		for i, v := range f {
			if i < len(names) {
				n, _ := strconv.ParseInt(v, 10, 64)
				out[names[i]] = n
			}
		}
		break
	}
	return out
}

// selfCPU is the CPU time this process has used.
var selfCPU = benchserver.SelfCPU

// machineCPU returns the jiffies (USER_HZ, 100 a second) all CPUs have
// spent busy, in softirq, and in total, from /proc/stat.
func machineCPU() (busy, softirq, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0, 0
	}
	// user nice system idle iowait irq softirq steal ...
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i >= 8 { // guest time is already in user
			break
		}
		total += n
		if i != 3 && i != 4 {
			busy += n
		}
		if i == 6 {
			softirq = n
		}
	}
	return busy, softirq, total
}

// udpSocketDrops sums the drops counter of /proc/net/udp (datagrams the
// kernel dropped because the socket's receive buffer was full) over the
// IPv4 UDP sockets bound to port: the server's SIP socket, say.
func udpSocketDrops(port int) int64 {
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return 0
	}
	return parseUDPDrops(string(b), port)
}

func parseUDPDrops(s string, port int) int64 {
	var sum int64
	for _, line := range strings.Split(s, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 13 {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		p, err := strconv.ParseUint(hexPort, 16, 16)
		if !ok || err != nil || int(p) != port {
			continue
		}
		n, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
		sum += n
	}
	return sum
}
