package password

import (
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		pw      string
		related []string
		ok      bool
		why     string
	}{
		{pw: "12345678", why: "common words"}, // a common password
		{pw: "password", why: "common words"},
		{pw: "password1", why: "common words"},
		{pw: "abcdefghijklm", why: "a sequence"},
		{pw: "9876543210987", why: "a sequence"},
		{pw: "aaaaaaaaaaaa", why: "repeated characters"},
		{pw: "callfloor"}, // the demo's, which only the demo may use
		{pw: "short", why: "at least 8"},
		// Weak for Quintessa only: her own name.
		{pw: "quintessavandermolen", related: []string{"Quintessa Vandermolen", "q.vandermolen@acme.example"}, why: "common words"},
		{pw: "quintessavandermolen", ok: true},
		{pw: "correct horse battery staple", ok: true},
		{pw: "Tr0ub4dor&3", ok: true},
		{pw: "a brand new secret 2026", ok: true},
		{pw: strings.Repeat("long passphrase, ", 15), ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.pw, func(t *testing.T) {
			err := Check("password", tc.pw, tc.related...)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if callfloor.ErrorCode(err) != callfloor.ErrInvalidField || callfloor.ErrorField(err) != "password" {
				t.Fatalf("err %v, want invalid_field on password", err)
			}
			if !strings.Contains(callfloor.ErrorMessage(err), tc.why) {
				t.Errorf("message %q does not say %q", callfloor.ErrorMessage(err), tc.why)
			}
		})
	}
}

// BenchmarkCheck: the estimator on the longest password it reads.
func BenchmarkCheck(b *testing.B) {
	pw := strings.Repeat("correct horse battery staple ", 10)
	for b.Loop() {
		_ = Check("password", pw, "jane", "jane@acme.example")
	}
}
