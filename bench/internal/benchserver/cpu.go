package benchserver

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times: 100 on
// every Linux build that matters (it is fixed by the kernel ABI).
const clockTicks = 100

// CPU is the CPU time (user and system) the server has used so far; it
// reads /proc, so it works on Linux only.
func (s *Server) CPU() (time.Duration, error) { return ProcCPU(s.cmd.Process.Pid) }

// ProcCPU is the CPU time (user and system) process pid has used so far,
// from /proc (Linux only).
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// SelfCPU is the CPU time (user and system) this process has used; 0 if
// it cannot be read.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// parseStatCPU reads utime and stime from a /proc/PID/stat line. The
// command name in parentheses may hold spaces, so fields are counted
// from the last ')'.
func parseStatCPU(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no command name")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields", len(f))
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("stat: bad utime or stime")
	}
	return time.Duration(u+st) * time.Second / clockTicks, nil
}
