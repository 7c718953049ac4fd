package jitter

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// play runs a script on a buffer of the given depth: "+N" pushes sequence
// number N (its payload is N in decimal), "." pops. It returns what the
// pops gave: "w" waiting, "N" played, "xN" lost.
func play(t testing.TB, depth int, script string) (string, Stats) {
	b := New(depth)
	var out []string
	for _, op := range strings.Fields(script) {
		if op == "." {
			seq, payload, st := b.Pop()
			switch st {
			case Waiting:
				out = append(out, "w")
			case Played:
				if string(payload) != strconv.Itoa(int(seq)) {
					t.Fatalf("seq %d came with payload %q", seq, payload)
				}
				out = append(out, strconv.Itoa(int(seq)))
			case Lost:
				out = append(out, fmt.Sprintf("x%d", seq))
			}
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(op, "+"))
		if err != nil {
			t.Fatal(err)
		}
		b.Push(uint16(n), []byte(strconv.Itoa(n)))
	}
	return strings.Join(out, " "), b.Stats()
}

func TestBuffer(t *testing.T) {
	tests := []struct {
		name   string
		depth  int
		script string
		want   string
		stats  Stats
	}{
		{"in order", 2, "+1 . +2 . +3 . +4 . .", "w 1 2 3 4",
			Stats{Pushed: 4, Played: 4}},
		{"reordered", 2, "+1 +3 . +2 . +4 . . .", "1 2 3 4 w",
			Stats{Pushed: 4, Played: 4}},
		{"reordered start", 2, "+2 +1 . . .", "1 2 w",
			Stats{Pushed: 2, Played: 2}},
		{"loss", 1, "+1 . +3 . . +4 .", "1 x2 3 4",
			Stats{Pushed: 3, Played: 3, Lost: 1}},
		{"late", 1, "+1 . +3 . . +2 +4 .", "1 x2 3 4",
			Stats{Pushed: 4, Played: 3, Lost: 1, Late: 1}},
		{"duplicate", 2, "+1 +1 +2 . . .", "1 2 w",
			Stats{Pushed: 3, Played: 2, Duplicate: 1}},
		{"wrap around", 2, "+65534 +65535 . +0 . +1 . .", "65534 65535 0 1",
			Stats{Pushed: 4, Played: 4}},
		{"loss across the wrap", 1, "+65535 . +1 . .", "65535 x0 1",
			Stats{Pushed: 2, Played: 2, Lost: 1}},
		{"dry then refill", 2, "+1 +2 . . . +3 . +4 . .", "1 2 w w 3 4",
			Stats{Pushed: 4, Played: 4}},
		{"jump resyncs", 1, "+1 . +5000 . .", "1 5000 w",
			Stats{Pushed: 2, Played: 2, Resyncs: 1}},
		{"far back resyncs", 1, "+5000 . +1 . .", "5000 1 w",
			Stats{Pushed: 2, Played: 2, Resyncs: 1}},
	}
	for _, tc := range tests {
		got, stats := play(t, tc.depth, tc.script)
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
		if stats != tc.stats {
			t.Errorf("%s: stats %+v, want %+v", tc.name, stats, tc.stats)
		}
	}
}

func TestStatusString(t *testing.T) {
	for st, want := range map[Status]string{Waiting: "waiting", Played: "played", Lost: "lost", 7: "Status(7)"} {
		if st.String() != want {
			t.Errorf("%d: %q", int(st), st.String())
		}
	}
}

// FuzzBuffer pushes and pops at random: 3 bytes an operation, the first
// choosing pop or push, the others a signed step of the sequence number.
func FuzzBuffer(f *testing.F) {
	f.Add(uint8(2), []byte{1, 0, 1, 0, 0, 0, 1, 0, 2, 0, 0, 0, 1, 0xFF, 0xFF, 0, 0, 0})
	f.Add(uint8(0), []byte{1, 0x80, 0, 0, 0, 0, 1, 0x7F, 0xFF, 0, 0, 0})
	f.Fuzz(func(t *testing.T, depth uint8, ops []byte) {
		b := New(int(depth))
		seq := uint16(100)
		pushed := map[uint16]string{}
		var popped uint64
		for ; len(ops) >= 3; ops = ops[3:] {
			if ops[0]&1 == 0 {
				s, payload, st := b.Pop()
				if st == Played {
					popped++
					if want, ok := pushed[s]; !ok || string(payload) != want {
						t.Fatalf("popped %d with %q, pushed %q", s, payload, want)
					}
				}
				continue
			}
			seq += uint16(int16(uint16(ops[1])<<8 | uint16(ops[2])))
			p := fmt.Sprint(seq, "/", len(ops))
			if _, held := pushed[seq]; !held {
				pushed[seq] = p
			}
			b.Push(seq, []byte(pushed[seq]))
		}
		st := b.Stats()
		if st.Played != popped || st.Played > st.Pushed {
			t.Fatalf("stats %+v, popped %d", st, popped)
		}
	})
}
