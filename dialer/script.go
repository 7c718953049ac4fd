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
	values := map[string]string{"name": l.Name, "number": number, "campaign": c.Name, "agent": agent}
	for _, f := range c.Fields {
		values[f.Name] = l.Fields[f.Name]
	}
	var b strings.Builder
	s := c.Script
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		key := strings.TrimSpace(s[i+2 : i+2+j])
		b.WriteString(s[:i])
		if v, ok := values[key]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : i+4+j])
		}
		s = s[i+4+j:]
	}
}

// FillJSON fills a webhook button's body template: the lead's name and
// fields as Script does, and the values given (call_id, lead_id, ...),
// each escaped to sit inside a JSON string ("{{name}}" in the template
// stays valid JSON whatever the name holds). A placeholder of nothing
// known stays as written.
func FillJSON(template string, c *callfloor.Campaign, l *callfloor.Lead, values map[string]string) string {
	all := map[string]string{"name": l.Name, "campaign": c.Name}
	for _, f := range c.Fields {
		all[f.Name] = l.Fields[f.Name]
	}
	for k, v := range values {
		all[k] = v
	}
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
		if v, ok := all[key]; ok {
			q, _ := json.Marshal(v)
			b.Write(q[1 : len(q)-1])
		} else {
			b.WriteString(s[i : i+4+j])
		}
		s = s[i+4+j:]
	}
}
