package api

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTextIsNeverRepaired: a body decodeStrict takes never decodes to a
// string with U+FFFD that the body did not spell out itself.
func FuzzTextIsNeverRepaired(f *testing.F) {
	for _, s := range []string{`{"name":"x"}`, `{"name":"\ud83d\ude00"}`, `{"name":"\ud800"}`, `{"name":"\\ud800"}`, "{\"name\":\"\xff\"}", `{"name":"\udc00\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in struct {
			Name string `json:"name"`
		}
		if decodeStrict(body, &in) != nil {
			return
		}
		if strings.ContainsRune(in.Name, utf8.RuneError) && !strings.Contains(string(body), "\ufffd") && !strings.Contains(strings.ToLower(string(body)), `\ufffd`) {
			var raw map[string]any
			_ = json.Unmarshal(body, &raw)
			t.Fatalf("%q decoded to %q", body, in.Name)
		}
	})
}
