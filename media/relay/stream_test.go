package relay

import (
	"testing"
	"time"
)

func TestOutStream(t *testing.T) {
	t0 := time.Unix(0, 0)
	type in struct {
		src     uint64
		seq     uint16
		ts      uint32
		at      time.Duration
		wantSeq uint16 // relative to the first packet out
		wantTS  uint32
		marker  bool
	}
	tests := []struct {
		name string
		in   []in
	}{
		{"one source", []in{
			{1, 100, 1000, 0, 0, 0, true},
			{1, 101, 1160, 20 * time.Millisecond, 1, 160, false},
			{1, 104, 1640, 80 * time.Millisecond, 4, 640, false}, // a gap shows through
			{1, 102, 1320, 85 * time.Millisecond, 2, 320, false}, // so does reordering
			{1, 105, 1800, 100 * time.Millisecond, 5, 800, false},
		}},
		{"switch continues", []in{
			{1, 100, 1000, 0, 0, 0, true},
			{1, 101, 1160, 20 * time.Millisecond, 1, 160, false},
			{2, 7, 99, 40 * time.Millisecond, 2, 320, true},
			{2, 8, 259, 60 * time.Millisecond, 3, 480, false},
			{1, 102, 1320, 125 * time.Millisecond, 4, 960, true}, // 65 ms rounds to 3 frames
		}},
		{"switch at once", []in{
			{1, 65535, 1<<32 - 80, 0, 0, 0, true},
			{2, 0, 0, 0, 1, 160, true}, // at least a frame on
			{2, 1, 160, 20 * time.Millisecond, 2, 320, false},
		}},
	}
	for _, tt := range tests {
		o := newOutStream()
		var seq0 uint16
		var ts0 uint32
		for i, p := range tt.in {
			seq, ts, marker := o.next(p.src, p.seq, p.ts, t0.Add(p.at))
			if i == 0 {
				seq0, ts0 = seq, ts
			}
			if seq-seq0 != p.wantSeq || ts-ts0 != p.wantTS || marker != p.marker {
				t.Errorf("%s: packet %d: seq +%d ts +%d marker %v, want +%d +%d %v",
					tt.name, i, seq-seq0, ts-ts0, marker, p.wantSeq, p.wantTS, p.marker)
			}
		}
	}
}
