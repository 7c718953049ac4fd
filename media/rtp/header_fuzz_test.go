package rtp

import (
	"bytes"
	"testing"
)

// FuzzParse: any packet parses or is refused without a panic; what parses
// gives a payload inside the packet, and a header written back parses to
// itself with the same payload.
func FuzzParse(f *testing.F) {
	for _, s := range [][]byte{
		Header{Marker: true, PayloadType: 0, Seq: 7, Timestamp: 160, SSRC: 42}.Append([]byte(nil)),
		append(Header{PayloadType: 101}.Append(nil), 1, 0x80, 0, 160),
		{0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE, 0xDE, 0, 1, 1, 2, 3, 4, 9},
		{0xA0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 5, 0, 0, 2},
		{0x8F, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, payload, err := Parse(b)
		if err != nil {
			return
		}
		if len(payload) > 0 && !bytes.Contains(b, payload) {
			t.Fatalf("payload %x is not in the packet %x", payload, b)
		}
		again, p2, err := Parse(append(h.Append(nil), payload...))
		if err != nil || again != h || !bytes.Equal(p2, payload) {
			t.Fatalf("round trip of %+v/%x: %+v/%x %v", h, payload, again, p2, err)
		}
	})
}
