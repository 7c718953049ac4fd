package main

import "testing"

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
