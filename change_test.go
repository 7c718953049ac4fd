package callfloor_test

import (
	"testing"

	"github.com/callfloor/callfloor"
)

func TestChangeKindString(t *testing.T) {
	for _, tc := range []struct {
		kind callfloor.ChangeKind
		name string
	}{
		{callfloor.ChangeUnknown, "unknown"},
		{callfloor.ChangeAccount, "account"},
		{callfloor.ChangeExtension, "extension"},
		{callfloor.ChangeTrunk, "trunk"},
		{callfloor.ChangeInboundNumber, "inbound_number"},
		{callfloor.ChangeCallerIDPool, "caller_id_pool"},
		{callfloor.ChangeKind(-1), "unknown"},
		{callfloor.ChangeKind(99), "unknown"},
	} {
		if got := tc.kind.String(); got != tc.name {
			t.Errorf("%d.String() = %q, want %q", int(tc.kind), got, tc.name)
		}
		if tc.kind >= callfloor.ChangeUnknown && tc.kind <= callfloor.ChangeCallerIDPool {
			if got := callfloor.ParseChangeKind(tc.name); got != tc.kind {
				t.Errorf("ParseChangeKind(%q) = %v, want %v", tc.name, got, tc.kind)
			}
		}
	}
	if got := callfloor.ParseChangeKind("Extension"); got != callfloor.ChangeUnknown {
		t.Errorf("ParseChangeKind is case-sensitive, got %v", got)
	}
}

func TestParseChange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want callfloor.Change
		ok   bool
	}{
		{"extension 3 42", callfloor.Change{Kind: callfloor.ChangeExtension, AccountID: 3, ID: 42}, true},
		{"account 7 7", callfloor.Change{Kind: callfloor.ChangeAccount, AccountID: 7, ID: 7}, true},
		{"trunk 1 9223372036854775807", callfloor.Change{Kind: callfloor.ChangeTrunk, AccountID: 1, ID: 1<<63 - 1}, true},
		{"inbound_number 12 5", callfloor.Change{Kind: callfloor.ChangeInboundNumber, AccountID: 12, ID: 5}, true},
		{"", callfloor.Change{}, false},
		{"extension", callfloor.Change{}, false},
		{"extension 3", callfloor.Change{}, false},
		{"extension 3 42 1", callfloor.Change{}, false},
		{"extension  3 42", callfloor.Change{}, false},
		{"extension 3 42 ", callfloor.Change{}, false},
		{"unknown 3 42", callfloor.Change{}, false},
		{"queue 3 42", callfloor.Change{}, false},
		{"extension 0 42", callfloor.Change{}, false},
		{"extension 3 -42", callfloor.Change{}, false},
		{"extension +3 42", callfloor.Change{}, false},
		{"extension 03 42", callfloor.Change{}, false},
		{"extension 3 9223372036854775808", callfloor.Change{}, false},
		{"extension 3 4x", callfloor.Change{}, false},
	} {
		got, err := callfloor.ParseChange(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseChange(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("%q read back as %q", tc.in, got.String())
		}
	}
}

// FuzzParseChange: whatever ParseChange accepts, String writes back
// exactly, with a known kind and positive ids.
func FuzzParseChange(f *testing.F) {
	for _, s := range []string{"extension 3 42", "account 1 1", "trunk 2 9", "inbound_number 4 8", "extension 3", "x 0 0", "trunk 1 99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := callfloor.ParseChange(s)
		if err != nil {
			if c != (callfloor.Change{}) {
				t.Fatalf("ParseChange(%q) failed with %v", s, c)
			}
			return
		}
		if c.Kind == callfloor.ChangeUnknown || c.AccountID <= 0 || c.ID <= 0 {
			t.Fatalf("ParseChange(%q) = %v", s, c)
		}
		if c.String() != s {
			t.Fatalf("ParseChange(%q) reads back as %q", s, c.String())
		}
	})
}
