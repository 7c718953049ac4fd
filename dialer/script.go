package dialer

import (
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
