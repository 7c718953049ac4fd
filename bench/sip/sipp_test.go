package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseSippStats(t *testing.T) {
	in := "StartTime;OutgoingCall(C);SuccessfulCall(C);FailedCall(C);\n" +
		"2026-11-23\t22:21:49.658017\t1795472509.658017;3;2;0;\n" +
		"2026-11-23\t22:21:50.577456\t1795472510.577456;5;4;1;\n"
	st, err := parseSippStats(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if st.int("OutgoingCall(C)") != 5 || st.int("SuccessfulCall(C)") != 4 || st.int("FailedCall(C)") != 1 || st.int("Missing") != 0 {
		t.Errorf("%v", st)
	}
	if _, err := parseSippStats(strings.NewReader("A;B;\n")); err == nil {
		t.Error("a header alone is accepted")
	}
}

func TestParseResponseTimes(t *testing.T) {
	in := "Date_ms;response_time_ms;rtd_no\n1000.5;4;1\n1100;8;2\n900;0;1\n2000;12;1\nbad;1;1\n"
	rt, err := parseResponseTimes(strings.NewReader(in), "1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rt.At) != 3 || rt.At[0] != 900*time.Millisecond {
		t.Fatalf("%+v", rt)
	}
	if s := rt.sorted(); s[0] != 0 || s[2] != 12*time.Millisecond {
		t.Errorf("sorted %v", s)
	}
	if rt.tick() != 4*time.Millisecond {
		t.Errorf("tick %v", rt.tick())
	}
	// 3 answers over 1.1 s: 2 intervals.
	if r := rt.rate(); r < 1.81 || r > 1.82 {
		t.Errorf("rate %v", r)
	}
}

func TestSourceIP(t *testing.T) {
	for i, want := range map[int]string{0: "127.0.1.1", 249: "127.0.1.250", 250: "127.0.2.1", 499: "127.0.2.250"} {
		if got := sourceIP(i); got != want {
			t.Errorf("sourceIP(%d) = %s, want %s", i, got, want)
		}
	}
}

// The embedded scenarios are the ones in testdata.
func TestScenariosEmbedded(t *testing.T) {
	dir := t.TempDir()
	if err := writeScenarios(dir); err != nil {
		t.Fatal(err)
	}
}
