package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestParseCallLog(t *testing.T) {
	for _, tc := range []struct {
		line string
		want callLog
		ok   bool
	}{
		{"start 1 42013\n", callLog{Start: true, Call: 1, Port: 42013}, true},
		{"  start 1000 9 ", callLog{Start: true, Call: 1000, Port: 9}, true},
		{"stop 17", callLog{Call: 17}, true},
		{"start 1", callLog{}, false},
		{"start 1 0", callLog{}, false},
		{"start 1 65536", callLog{}, false},
		{"start 0 5000", callLog{}, false},
		{"start x 5000", callLog{}, false},
		{"stop 3 4", callLog{}, false},
		{"begin 3 4", callLog{}, false},
		{"start 1 $port", callLog{}, false}, // sipp with a failed regexp
		{"", callLog{}, false},
	} {
		got, ok := parseCallLog(tc.line)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseCallLog(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseCallLog(f *testing.F) {
	for _, s := range []string{"start 1 42013", "stop 2", "start 4294967295 65535", "stop -1", "start 1 1 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		l, ok := parseCallLog(line)
		if !ok {
			return
		}
		if l.Call == 0 || (l.Start && l.Port == 0) || (!l.Start && l.Port != 0) {
			t.Fatalf("%q parsed as %+v", line, l)
		}
		// Its canonical form parses the same.
		canon := fmt.Sprintf("stop %d", l.Call)
		if l.Start {
			canon = fmt.Sprintf("start %d %d", l.Call, l.Port)
		}
		if again, ok := parseCallLog(canon); !ok || again != l {
			t.Fatalf("%q: %+v, canonical %q: %+v", line, l, canon, again)
		}
	})
}

// TestTailCalls: the tailer waits for the file, reads lines written in
// pieces as they come, and reads to the end before it closes.
func TestTailCalls(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calls.log")
	var mu sync.Mutex
	var got []callLog
	tl := tailCalls(path, func(l callLog) {
		mu.Lock()
		got = append(got, l)
		mu.Unlock()
	})
	time.Sleep(20 * time.Millisecond) // the file does not exist yet
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("start 1 4000\nsta")
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
	f.WriteString("rt 2 4002\nnonsense\n")
	f.WriteString("stop 1\n")
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	want := []callLog{{Start: true, Call: 1, Port: 4000}, {Start: true, Call: 2, Port: 4002}, {Call: 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) || tl.bad != 1 {
		t.Errorf("got %+v (%d bad lines), want %+v (1 bad)", got, tl.bad, want)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}
