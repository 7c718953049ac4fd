package benchserver

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// pid (comm with ") spaces") state ppid ... utime=14th, stime=15th field
	line := "4242 (call floor) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 0 0\n"
	got, err := parseStatCPU(line)
	if err != nil || got != 3*time.Second {
		t.Errorf("got %v, %v; want 3s", got, err)
	}
	if _, err := parseStatCPU("4242 (x) S 1"); err == nil {
		t.Error("short line accepted")
	}
	if _, err := ProcCPU(os.Getpid()); err != nil {
		t.Errorf("own process: %v", err)
	}
}
