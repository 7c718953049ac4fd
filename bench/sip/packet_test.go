package main

import (
	"bytes"
	"testing"
)

func TestPacketRoundTrip(t *testing.T) {
	f := frame{Call: 1234, Dir: dirBA, Seq: 70000, Sent: 123456789012}
	b := appendPacket(nil, f)
	if len(b) != packetSize {
		t.Fatalf("packet of %d bytes, want %d", len(b), packetSize)
	}
	got, err := parsePacket(b)
	if err != nil || got != f {
		t.Fatalf("parsed %+v, %v; want %+v", got, err, f)
	}
	// The relay rewrites the header: its own sequence number, timestamp
	// and SSRC, a marker, CSRCs or an extension. The payload still reads.
	relayed := bytes.Clone(b)
	relayed[1] |= 0x80
	copy(relayed[2:12], []byte{9, 9, 9, 9, 9, 9, 9, 9, 9, 9})
	if got, err := parsePacket(relayed); err != nil || got != f {
		t.Errorf("relayed: %+v, %v", got, err)
	}
	withExt := append([]byte{0x91, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1, 1, 0xBE, 0xDE, 0, 1, 5, 5, 5, 5}, b[rtpHeaderSize:]...)
	if got, err := parsePacket(withExt); err != nil || got != f {
		t.Errorf("with a CSRC and an extension: %+v, %v", got, err)
	}
}

func TestParsePacketRejects(t *testing.T) {
	good := appendPacket(nil, frame{Call: 1, Seq: 1})
	for name, b := range map[string][]byte{
		"empty":         nil,
		"short":         good[:10],
		"version 1":     append([]byte{0x40}, good[1:]...),
		"no magic":      append(bytes.Clone(good[:rtpHeaderSize]), bytes.Repeat([]byte{0xFF}, frameBytes)...),
		"cut payload":   good[:rtpHeaderSize+10],
		"bad direction": func() []byte { c := bytes.Clone(good); c[rtpHeaderSize+8] = 7; return c }(),
		"padding > len": func() []byte { c := bytes.Clone(good); c[0] |= 0x20; c[len(c)-1] = 255; return c }(),
	} {
		if _, err := parsePacket(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParsePacket(f *testing.F) {
	f.Add(appendPacket(nil, frame{Call: 7, Dir: dirAB, Seq: 3, Sent: 99}))
	f.Add([]byte{0x9F, 0, 0, 0})
	f.Add([]byte{0xB0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := parsePacket(b)
		if err != nil {
			return
		}
		// What parses re-encodes to a packet that parses the same.
		if again, err := parsePacket(appendPacket(nil, fr)); err != nil || again != fr {
			t.Fatalf("%+v re-parsed as %+v, %v", fr, again, err)
		}
	})
}
