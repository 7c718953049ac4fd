package main

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
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Errorf("own process: %v", err)
	}
}

func TestParseSNMP(t *testing.T) {
	in := "Ip: Forwarding DefaultTTL\nIp: 1 64\nUdp: InDatagrams NoPorts InErrors RcvbufErrors\nUdp: 10 2 3 4\nUdpLite: InDatagrams\nUdpLite: 0\n"
	c := parseSNMP(in, "Udp")
	if c["InDatagrams"] != 10 || c["RcvbufErrors"] != 4 || len(c) != 4 {
		t.Errorf("%v", c)
	}
}

func TestParseUDPDrops(t *testing.T) {
	in := "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
		"  100: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1234 2 0000000000000000 17\n" +
		"  101: 0100007F:13C5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1235 2 0000000000000000 5\n"
	if got := parseUDPDrops(in, 0x13C4); got != 17 {
		t.Errorf("drops %d, want 17", got)
	}
	if got := parseUDPDrops(in, 9); got != 0 {
		t.Errorf("no socket: %d", got)
	}
}
