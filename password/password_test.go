package password

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h := New(Fast)
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", hash)
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{
		{"correct horse", true},
		{"correct horse ", false},
		{"", false},
		{"Correct horse", false},
	} {
		ok, err := h.Verify(hash, tc.pw)
		if err != nil || ok != tc.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	again, _ := h.Hash("correct horse")
	if again == hash {
		t.Error("two hashes of one password share a salt")
	}
}

func TestVerifyOtherParams(t *testing.T) {
	old, _ := New(Fast).Hash("pw-123456")
	ok, err := New(Default).Verify(old, "pw-123456")
	if err != nil || !ok {
		t.Fatalf("a hash made with other parameters must still verify: %v %v", ok, err)
	}
}

func TestParseMalformed(t *testing.T) {
	for _, s := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$",
	} {
		if _, err := New(Fast).Verify(s, "x"); err != ErrMalformed {
			t.Errorf("Verify(%q) err = %v, want ErrMalformed", s, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	good, _ := New(Fast).Hash("seed")
	f.Add(good)
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := Parse(s)
		if err != nil {
			return
		}
		if p.Memory < 8 || p.Time < 1 || p.Threads < 1 || len(salt) < 8 || len(key) < 16 {
			t.Fatalf("Parse accepted out-of-range %q", s)
		}
	})
}
