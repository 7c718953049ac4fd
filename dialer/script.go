package dialer

import (
	"encoding/json"
	"strings"

	"github.com/callfloor/callfloor"
)

// Script fills the {{placeholders}} of campaign c's script for lead l:
// {{name}}, {{number}} (the number dialled), {{campaign}}, {{agent}}
// and each custom field by its name ({{policy}}). A placeholder of
// nothing known stays as written, so a typo shows; a known field with no
// value becomes empty. Spaces inside the braces are allowed.
func Script(c *callfloor.Campaign, l *callfloor.Lead, number, agent string) string {
	values := leadValues(c, l)
	values["number"], values["agent"] = number, agent
	return fill(c.Script, values, false)
}

// FillJSON fills a webhook button's body template: the lead's name and
// fields as Script does, and the values given (call_id, lead_id, ...),
// each escaped to sit inside a JSON string ("{{name}}" in the template
// stays valid JSON whatever the name holds). A placeholder of nothing
// known stays as written.
func FillJSON(template string, c *callfloor.Campaign, l *callfloor.Lead, values map[string]string) string {
	all := leadValues(c, l)
	for k, v := range values {
		all[k] = v
	}
	return fill(template, all, true)
}

// leadValues are the placeholders every template knows: the lead's name
// and fields, and the campaign's name.
func leadValues(c *callfloor.Campaign, l *callfloor.Lead) map[string]string {
	values := map[string]string{"name": l.Name, "campaign": c.Name}
	for _, f := range c.Fields {
		values[f.Name] = l.Fields[f.Name]
	}
	return values
}

// fill replaces each {{key}} of template (spaces inside the braces
// allowed) with its value, escaped for a JSON string when jsonString; a
// key of no value, or an unclosed brace, stays as written.
func fill(template string, values map[string]string, jsonString bool) string {
	var b strings.Builder
	s := template
	for {
		i := strings.Index(s, "{{")
		j := -1
		if i >= 0 {
			j = strings.Index(s[i+2:], "}}")
		}
		if i < 0 || j < 0 {
			b.WriteString(s)
			return b.String()
		}
		key := strings.TrimSpace(s[i+2 : i+2+j])
		b.WriteString(s[:i])
		v, ok := values[key]
		switch {
		case !ok:
			b.WriteString(s[i : i+4+j])
		case jsonString:
			q, _ := json.Marshal(v)
			b.Write(q[1 : len(q)-1])
		default:
			b.WriteString(v)
		}
		s = s[i+4+j:]
	}
}
