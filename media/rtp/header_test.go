package rtp

import (
	"bytes"
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, h := range []Header{
		{},
		{Marker: true, PayloadType: 101, Seq: 65535, Timestamp: 1<<32 - 1, SSRC: 0xDEADBEEF},
		{PayloadType: 8, Seq: 1, Timestamp: 160, SSRC: 7},
	} {
		b := append(h.Append(nil), 1, 2, 3)
		got, payload, err := Parse(b)
		if err != nil || got != h || !bytes.Equal(payload, []byte{1, 2, 3}) {
			t.Errorf("Parse(Append(%+v)) = %+v, %v, %v", h, got, payload, err)
		}
	}
}

func TestParse(t *testing.T) {
	base := Header{PayloadType: 0, Seq: 5, Timestamp: 800, SSRC: 9}.Append(nil)
	with := func(first byte, rest ...byte) []byte {
		b := append([]byte{}, base...)
		b[0] = first
		return append(b, rest...)
	}
	tests := []struct {
		name    string
		b       []byte
		payload []byte
		err     error
	}{
		{"plain", with(0x80, 0xAA), []byte{0xAA}, nil},
		{"empty payload", with(0x80), []byte{}, nil},
		{"csrc", with(0x81, 1, 2, 3, 4, 0xAA), []byte{0xAA}, nil},
		{"extension", with(0x90, 0xBE, 0xDE, 0, 1, 9, 9, 9, 9, 0xAA), []byte{0xAA}, nil},
		{"padding", with(0xA0, 0xAA, 0, 0, 3), []byte{0xAA}, nil},
		{"short", base[:11], nil, ErrShort},
		{"version", with(0x40, 0xAA), nil, ErrVersion},
		{"csrc past end", with(0x82, 1, 2, 3, 4), nil, ErrShort},
		{"extension past end", with(0x90, 0xBE, 0xDE, 0, 2), nil, ErrShort},
		{"padding past header", with(0xA0, 0xAA, 9), nil, ErrShort},
	}
	for _, tt := range tests {
		_, payload, err := Parse(tt.b)
		if !errors.Is(err, tt.err) || (err == nil && !bytes.Equal(payload, tt.payload)) {
			t.Errorf("%s: Parse = %v, %v; want %v, %v", tt.name, payload, err, tt.payload, tt.err)
		}
	}
}

func BenchmarkParseAppend(b *testing.B) {
	pkt := append(Header{Seq: 1, Timestamp: 2, SSRC: 3}.Append(nil), make([]byte, 160)...)
	buf := make([]byte, 0, 200)
	for b.Loop() {
		h, payload, _ := Parse(pkt)
		buf = append(h.Append(buf[:0]), payload...)
	}
}
