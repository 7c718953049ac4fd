package main

import "testing"

func TestPacketRoundTrip(t *testing.T) {
	f := frame{Phase: 3, Measured: true, Dir: dirBA, Call: 999, Seq: 70000, Sent: 1733300000123456789}
	b := appendPacket(nil, f)
	if len(b) != packetSize {
		t.Fatalf("%d bytes, want %d", len(b), packetSize)
	}
	if b[2] != 0x11 || b[3] != 0x70 { // 70000 mod 2^16
		t.Errorf("RTP sequence number % x", b[2:4])
	}
	got, err := parsePacket(b)
	if err != nil || got != f {
		t.Errorf("parsePacket = %+v, %v; want %+v", got, err, f)
	}
	// A relay may add CSRCs or an extension; the payload is still found.
	ext := append([]byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 1, 1, 2, 3, 4}, b[rtpHeaderSize:]...)
	if got, err := parsePacket(ext); err != nil || got != f {
		t.Errorf("with an extension: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, b[:20], append([]byte{0x80, 0}, make([]byte, 180)...), {0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if _, err := parsePacket(bad); err == nil {
			t.Errorf("parsePacket(% x) took it", bad)
		}
	}
}
