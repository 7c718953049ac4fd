package dtmf

import (
	"testing"
	"time"
)

type pkt struct {
	ts     uint32
	marker bool
	key    byte
	end    bool
	dur    uint16
}

func (p pkt) payload(t testing.TB) []byte {
	b, err := Event{Key: p.key, End: p.end, Duration: p.dur}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run feeds the packets and returns the keys reported, with a '?' after
// a press whose end was not seen, and '|' where Flush was called at the end.
func run(t testing.TB, d *Detector, pkts []pkt, flush bool) string {
	var got []Press
	for _, p := range pkts {
		var err error
		got, err = d.Feed(got, p.ts, p.marker, p.payload(t))
		if err != nil {
			t.Fatal(err)
		}
	}
	if flush {
		got = d.Flush(got)
	}
	s := ""
	for _, p := range got {
		s += string(p.Key)
		if !p.Ended {
			s += "?"
		}
	}
	return s
}

// event is the packets of a normal press of key at ts: start with the
// marker and duration 0, updates, three end packets.
func event(ts uint32, key byte) []pkt {
	return []pkt{
		{ts, true, key, false, 0},
		{ts, false, key, false, 160},
		{ts, false, key, false, 320},
		{ts, false, key, true, 480},
		{ts, false, key, true, 480},
		{ts, false, key, true, 480},
	}
}

func cat(ps ...[]pkt) []pkt {
	var out []pkt
	for _, p := range ps {
		out = append(out, p...)
	}
	return out
}

func TestDetector(t *testing.T) {
	a, b := event(1000, '1'), event(3000, '2')
	tests := []struct {
		name  string
		pkts  []pkt
		flush bool
		want  string
	}{
		{"one press, first duration 0", a, false, "1"},
		{"two presses", cat(a, b), false, "12"},
		{"same key twice", cat(a, event(3000, '1')), false, "11"},
		{"only the start packet", a[:1], false, ""},
		{"only the start packet, flushed", a[:1], true, "1?"},
		{"end lost, next press reports it", cat(a[:3], b), false, "1?2"},
		{"end lost on the last press", cat(a, b[:3]), true, "12?"},
		{"only end packets", a[3:], false, "1"},
		{"end before start", []pkt{a[3], a[0], a[1], a[4], a[2], a[5]}, false, "1"},
		{"straggler of an old press after a new one", cat(a[:2], b[:2], a[2:3], b[2:]), false, "1?2"},
		{"old end after the new press began", cat(a[:2], b[:1], a[3:], b[1:]), false, "1?2"},
		{"retransmitted end much later", cat(a, b, a[3:]), false, "12"},
		{"timestamp wraps", cat(event(0xFFFFFF00, '3'), event(0x100, '4')), false, "34"},
		{"older timestamp ignored", cat(event(5000, '5'), event(4000, '6')), false, "5"},
		{"flush twice", a, true, "1"},
	}
	for _, tc := range tests {
		var d Detector
		if got := run(t, &d, tc.pkts, tc.flush); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDetectorDuration(t *testing.T) {
	var d Detector
	var got []Press
	for _, p := range []pkt{{8, true, '9', false, 0}, {8, false, '9', false, 320}, {8, false, '9', false, 160}, {8, false, '9', true, 400}} {
		got, _ = d.Feed(got, p.ts, p.marker, p.payload(t))
	}
	want := Press{Key: '9', Timestamp: 8, Duration: 400, Ended: true}
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestDetectorBadPayload(t *testing.T) {
	var d Detector
	got, err := d.Feed(nil, 1, true, []byte{1})
	if err == nil || len(got) != 0 {
		t.Errorf("short payload: %v, %v", got, err)
	}
	got, _ = d.Feed(got, 1, true, []byte{1, 0x80, 0, 160})
	if len(got) != 1 || got[0].Key != '1' {
		t.Errorf("after a bad payload: %v", got)
	}
}

func TestGenerateDetect(t *testing.T) {
	for _, key := range []byte("0123456789*#ABCD") {
		pkts, err := Generate(key, 100*time.Millisecond, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(pkts) != 5+3 {
			t.Fatalf("%d packets, want 8", len(pkts))
		}
		var d Detector
		var got []Press
		for i, p := range pkts {
			if p.Marker != (i == 0) || p.At != time.Duration(i)*Interval {
				t.Errorf("packet %d: marker %v at %v", i, p.Marker, p.At)
			}
			if p.Event.Duration == 0 {
				t.Errorf("packet %d has duration 0", i)
			}
			b, err := p.Event.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got, _ = d.Feed(got, 42, p.Marker, b)
		}
		want := Press{Key: key, Timestamp: 42, Duration: 800, Ended: true}
		if len(got) != 1 || got[0] != want {
			t.Errorf("%q: got %+v", key, got)
		}
		if ends := pkts[len(pkts)-3:]; !ends[0].Event.End || !ends[2].Event.End || pkts[4].Event.End {
			t.Errorf("%q: end bits wrong", key)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	if _, err := Generate('x', time.Second, 0); err == nil {
		t.Error("bad key accepted")
	}
	if _, err := Generate('1', time.Second, 64); err == nil {
		t.Error("bad volume accepted")
	}
	if _, err := Generate('1', 9*time.Second, 0); err == nil {
		t.Error("9 s accepted")
	}
	if p, err := Generate('1', 0, 0); err != nil || len(p) != 4 || p[0].Event.Duration != 160 {
		t.Errorf("zero duration: %v, %v", p, err)
	}
}

// FuzzDetector feeds random packet sequences, 6 bytes a packet: a signed
// 16-bit timestamp step (negative steps reorder), a byte whose low bit is
// the marker and which is also the duration's low byte, the event code
// (mostly digits), the flags and the duration's high byte.
func FuzzDetector(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0x80, 1, 0, 0, 0, 1, 0x80, 1, 0x80, 0, 0, 0, 0, 0})
	f.Add([]byte{0xFF, 0xF0, 1, 2, 0, 0, 0, 0x10, 0, 2, 0x80, 1, 0xFF, 0xF0, 0, 2, 0x80, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Detector
		var got []Press
		ts := uint32(1000)
		for ; len(b) >= 6; b = b[6:] {
			ts += uint32(int32(int16(uint16(b[0])<<8 | uint16(b[1]))))
			payload := []byte{b[3] % 20, b[4], b[5], b[2]}
			got, _ = d.Feed(got, ts, b[2]&1 != 0, payload)
		}
		got = d.Flush(got)
		// Within the detector's memory no timestamp is reported twice.
		for i := range got {
			for j := i + 1; j < len(got) && j <= i+memory; j++ {
				if got[i].Timestamp == got[j].Timestamp {
					t.Fatalf("timestamp %d reported twice: %+v", got[i].Timestamp, got)
				}
			}
		}
	})
}
