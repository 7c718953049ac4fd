package dialer

import (
	"testing"

	"github.com/callfloor/callfloor"
)

func TestScript(t *testing.T) {
	c := &callfloor.Campaign{Name: "Renewals", Fields: []callfloor.CustomField{{Name: "policy"}, {Name: "renewal"}}}
	l := &callfloor.Lead{Name: "Ada Lovelace", Fields: map[string]string{"policy": "P-1"}}
	rows := []struct{ script, want string }{
		{"Hello {{name}}, this is {{agent}} from {{ campaign }}.", "Hello Ada Lovelace, this is Bea from Renewals."},
		{"Policy {{policy}} renews on {{renewal}}.", "Policy P-1 renews on ."},
		{"Calling {{number}}; {{polcy}} stays.", "Calling +442079460601; {{polcy}} stays."},
		{"Unclosed {{name", "Unclosed {{name"},
		{"{{name}}{{name}}", "Ada LovelaceAda Lovelace"},
		{"", ""},
	}
	for _, r := range rows {
		c.Script = r.script
		if got := Script(c, l, "+442079460601", "Bea"); got != r.want {
			t.Errorf("Script(%q) = %q, want %q", r.script, got, r.want)
		}
	}
}

func FuzzScript(f *testing.F) {
	f.Add("Hello {{name}} {{policy}} {{ x }} {{")
	c := &callfloor.Campaign{Name: "C", Fields: []callfloor.CustomField{{Name: "policy"}}}
	l := &callfloor.Lead{Name: "N", Fields: map[string]string{"policy": "P"}}
	f.Fuzz(func(t *testing.T, s string) {
		c.Script = s
		_ = Script(c, l, "+1", "A") // never panics, always ends
	})
}

func TestFillJSON(t *testing.T) {
	c := &callfloor.Campaign{Name: "Renewals", Fields: []callfloor.CustomField{{Name: "policy"}}}
	l := &callfloor.Lead{Name: "Ada \"The Countess\" Lovelace\n", Fields: map[string]string{"policy": "P-1\\2"}}
	got := FillJSON(`{"name":"{{name}}","policy":"{{ policy }}","call":"{{call_id}}","x":"{{unknown}}"}`, c, l, map[string]string{"call_id": "c-1"})
	want := `{"name":"Ada \"The Countess\" Lovelace\n","policy":"P-1\\2","call":"c-1","x":"{{unknown}}"}`
	if got != want {
		t.Fatalf("FillJSON:\n got %s\nwant %s", got, want)
	}
}
