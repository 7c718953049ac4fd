package sqlstore

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func mustBox(t testing.TB, key []byte) *secretBox {
	t.Helper()
	b, err := newSecretBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSecretBox(t *testing.T) {
	a := mustBox(t, bytes.Repeat([]byte{1}, SecretKeySize))
	other := mustBox(t, bytes.Repeat([]byte{2}, SecretKeySize))
	var none *secretBox

	sealedA, err := a.seal("carrier-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	if !sealed(sealedA) || strings.Contains(sealedA, "carrier-pass-1") {
		t.Fatalf("sealed as %q", sealedA)
	}
	again, _ := a.seal("carrier-pass-1")
	if again == sealedA {
		t.Error("sealing twice gives the same value: the nonce is not fresh")
	}
	flipped := []byte(sealedA)
	flipped[len(flipped)-3] ^= 1 // a different base64 digit: damaged ciphertext

	tests := []struct {
		name   string
		box    *secretBox
		stored string
		want   string
		err    error
	}{
		{"sealed, same key", a, sealedA, "carrier-pass-1", nil},
		{"sealed, another key", other, sealedA, "", errUnsealable},
		{"sealed, no key", none, sealedA, "", errUnsealable},
		{"damaged", a, string(flipped), "", errUnsealable},
		{"not base64", a, sealedPrefix + "!!!", "", errUnsealable},
		{"too short", a, sealedPrefix + "AAAA", "", errUnsealable},
		{"stored in clear before a key", a, "legacy-pass", "legacy-pass", nil},
		{"clear, no key", none, "legacy-pass", "legacy-pass", nil},
		{"empty", a, "", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.box.open(tc.stored)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("open(%q) = %q, %v; want %q, %v", tc.stored, got, err, tc.want, tc.err)
			}
		})
	}

	for _, tc := range []struct {
		name string
		box  *secretBox
		in   string
		want string
	}{
		{"no secret stays empty", a, "", ""},
		{"no key stores as given", none, "pass", "pass"},
	} {
		if got, err := tc.box.seal(tc.in); got != tc.want || err != nil {
			t.Errorf("%s: seal(%q) = %q, %v", tc.name, tc.in, got, err)
		}
	}
}

func TestSecretKeySize(t *testing.T) {
	for _, n := range []int{1, 16, 31, 33, 64} {
		if _, err := newSecretBox(make([]byte, n)); err == nil {
			t.Errorf("a %d-byte key was taken", n)
		}
	}
	if b, err := newSecretBox(nil); b != nil || err != nil {
		t.Errorf("no key: %v, %v; want no box", b, err)
	}
}

// FuzzSecretOpen: whatever is stored, open answers without panicking,
// and only what the key sealed opens to a secret.
func FuzzSecretOpen(f *testing.F) {
	b := mustBox(f, bytes.Repeat([]byte{7}, SecretKeySize))
	s, _ := b.seal("pass")
	for _, seed := range []string{s, "", "clear", sealedPrefix, sealedPrefix + "AAAA", s[:len(s)-1], s + "A"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, stored string) {
		got, err := b.open(stored)
		switch {
		case !sealed(stored):
			if got != stored || err != nil {
				t.Errorf("clear %q opened as %q, %v", stored, got, err)
			}
		case err != nil:
			if got != "" || !errors.Is(err, errUnsealable) {
				t.Errorf("%q: %q, %v", stored, got, err)
			}
		}
		// Anything sealed opens back to itself.
		if stored != "" {
			v, err := b.seal(stored)
			if err != nil {
				t.Fatal(err)
			}
			if back, err := b.open(v); back != stored || err != nil {
				t.Errorf("%q sealed and opened: %q, %v", stored, back, err)
			}
		}
	})
}
