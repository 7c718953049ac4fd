package carrier

import (
	"strings"
	"testing"
)

func TestOutcomeFor(t *testing.T) {
	for _, tc := range []struct {
		number string
		want   Outcome
	}{
		{"01632960100", Answered},
		{"01632960101", Answered},
		{"01632960102", Answered},
		{"01632960103", Answered},
		{"+441632960104", Answered},
		{"01632960105", Busy},
		{"01632960106", NoAnswer},
		{"01632960107", Unreachable},
		{"01632960108", Machine},
		{"901632960109", Answered},
		{"5", Busy},
		{"0163 296 0108#", Machine},
		{"1632-960-107 ", Unreachable},
		{"", NotFound},
		{"+", NotFound},
		{"anonymous", NotFound},
	} {
		if got := OutcomeFor(tc.number); got != tc.want {
			t.Errorf("OutcomeFor(%q) = %v, want %v", tc.number, got, tc.want)
		}
	}
}

func TestOutcomeNames(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Outcomes {
		s := o.String()
		if seen[s] || s == "unknown" || strings.HasPrefix(s, "outcome(") {
			t.Errorf("%d: name %q", int(o), s)
		}
		seen[s] = true
		if got := ParseOutcome(" " + strings.ToUpper(s) + " "); got != o {
			t.Errorf("ParseOutcome(%q) = %v", s, got)
		}
	}
	if got := ParseOutcome("voicemail"); got != OutcomeUnknown {
		t.Errorf("ParseOutcome(voicemail) = %v", got)
	}
	if s := Outcome(42).String(); s != "outcome(42)" {
		t.Errorf("Outcome(42) = %q", s)
	}
}

// FuzzOutcomeFor: every number has a known outcome, decided by its last
// digit alone, whatever a trunk puts in front of it.
func FuzzOutcomeFor(f *testing.F) {
	for _, s := range []string{"", "01632960105", "+441632960108", "abc", "12#", "\xff9\x00"} {
		f.Add(s, "9")
	}
	f.Fuzz(func(t *testing.T, number, prefix string) {
		o := OutcomeFor(number)
		if o == OutcomeUnknown || o.String() == "" || ParseOutcome(o.String()) != o {
			t.Fatalf("OutcomeFor(%q) = %v", number, o)
		}
		last := strings.LastIndexAny(number, "0123456789")
		if (last < 0) != (o == NotFound) {
			t.Fatalf("OutcomeFor(%q) = %v", number, o)
		}
		if last >= 0 {
			if got := OutcomeFor(number[last:]); got != o {
				t.Fatalf("OutcomeFor(%q) = %v, but its last digit gives %v", number, o, got)
			}
			if got := OutcomeFor(prefix + number); got != o {
				t.Fatalf("prefix %q changes %q from %v to %v", prefix, number, o, got)
			}
		}
	})
}
