package registrar

import (
	"testing"
	"time"
)

func TestNonce(t *testing.T) {
	n := &nonces{key: []byte("k"), ttl: time.Minute}
	s := n.issue(t0)
	for _, tc := range []struct {
		at   time.Time
		want error
	}{
		{t0, nil}, {t0.Add(time.Minute), nil}, {t0.Add(time.Minute + 1), errNonceStale},
		{t0.Add(-2 * time.Second), errNonceInvalid}, // from the future
	} {
		if err := n.check(s, tc.at); err != tc.want {
			t.Errorf("check at %v = %v, want %v", tc.at, err, tc.want)
		}
	}
	other := &nonces{key: []byte("other"), ttl: time.Minute}
	if err := other.check(s, t0); err != errNonceInvalid {
		t.Errorf("foreign key: %v", err)
	}
	b := []byte(s)
	b[3] ^= 1
	if err := n.check(string(b), t0); err != errNonceInvalid {
		t.Errorf("tampered: %v", err)
	}
}

func FuzzNonceDecode(f *testing.F) {
	n := &nonces{key: []byte("fuzz key"), ttl: time.Minute}
	f.Add(n.issue(t0))
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("!!!!")
	f.Fuzz(func(t *testing.T, s string) {
		issued, err := n.decode(s)
		if err != nil {
			return
		}
		// Whatever decodes was issued by us: re-issuing at its time gives
		// the same nonce.
		if again := n.issue(issued); again != s {
			t.Fatalf("decoded %q as %v, which issues %q", s, issued, again)
		}
	})
}
