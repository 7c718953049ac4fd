package dtmf

import (
	"bytes"
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    Event
		wantErr error
	}{
		{"digit 1 start", []byte{1, 10, 0, 0}, Event{Key: '1', Volume: 10}, nil},
		{"star", []byte{10, 0, 0x01, 0x40}, Event{Key: '*', Duration: 320}, nil},
		{"hash end", []byte{11, 0x80 | 7, 0x03, 0x20}, Event{Key: '#', End: true, Volume: 7, Duration: 800}, nil},
		{"D, reserved bit ignored", []byte{15, 0x40 | 63, 0xFF, 0xFF}, Event{Key: 'D', Volume: 63, Duration: 65535}, nil},
		{"trailing bytes ignored", []byte{0, 0, 0, 160, 9, 9}, Event{Key: '0', Duration: 160}, nil},
		{"empty", nil, Event{}, ErrShort},
		{"three bytes", []byte{1, 0, 0}, Event{}, ErrShort},
		{"flash is not a digit", []byte{16, 0, 0, 0}, Event{}, ErrEvent},
		{"code 255", []byte{255, 0x80, 0, 0}, Event{}, ErrEvent},
	}
	for _, tc := range tests {
		got, err := Parse(tc.in)
		if !errors.Is(err, tc.wantErr) || got != tc.want {
			t.Errorf("%s: Parse(% x) = %v, %v; want %v, %v", tc.name, tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestMarshal(t *testing.T) {
	tests := []struct {
		in      Event
		want    []byte
		wantErr error
	}{
		{Event{Key: '5', Volume: 10, Duration: 160}, []byte{5, 10, 0, 160}, nil},
		{Event{Key: 'A', End: true, Duration: 0x1234}, []byte{12, 0x80, 0x12, 0x34}, nil},
		{Event{Key: 'x'}, nil, ErrKey},
		{Event{}, nil, ErrKey},
		{Event{Key: '1', Volume: 64}, nil, ErrVolume},
	}
	for _, tc := range tests {
		got, err := tc.in.Marshal()
		if !errors.Is(err, tc.wantErr) || (err == nil && !bytes.Equal(got, tc.want)) {
			t.Errorf("Marshal(%v) = % x, %v; want % x, %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestEveryKeyRoundTrips(t *testing.T) {
	for code, key := range []byte("0123456789*#ABCD") {
		if Code(key) != code {
			t.Errorf("Code(%q) = %d, want %d", key, Code(key), code)
		}
		e := Event{Key: key, End: code%2 == 0, Volume: uint8(code), Duration: uint16(code * 1000)}
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Parse(b); err != nil || got != e {
			t.Errorf("%v came back as %v, %v", e, got, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte{1, 10, 0, 0})
	f.Add([]byte{11, 0x8A, 0x03, 0x20})
	f.Add([]byte{16, 0, 0, 0})
	f.Add([]byte{1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Parse(b)
		if err != nil {
			return
		}
		out, err := e.Marshal()
		if err != nil {
			t.Fatalf("Parse(% x) = %v, which does not marshal: %v", b, e, err)
		}
		want := []byte{b[0], b[1] &^ 0x40, b[2], b[3]} // the reserved bit is dropped
		if !bytes.Equal(out, want) {
			t.Fatalf("Parse(% x) = %v, marshals to % x", b, e, out)
		}
	})
}
