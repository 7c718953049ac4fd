package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestScan: the client's quick look at a message agrees with decoding
// it whole, whatever the agents before the event hold.
func TestScan(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 14, 41, 123456789, time.UTC)
	event := map[string]any{"seq": 42, "account_id": 1, "at": at, "type": "agent.paused",
		"pause": map[string]any{"name": `a "tricky" "event":{"at":"2001-01-01T00:00:00Z"}`}}
	agents := []map[string]any{{"extension_id": 7, "name": strings.Repeat(`"event":{ `, 200), "since": at.Add(-time.Hour)}}
	tests := []struct {
		name string
		msg  map[string]any
		typ  string
		seq  int64
	}{
		{"event", map[string]any{"type": "event", "seq": 42, "event": event}, "event", 42},
		{"event with agents", map[string]any{"type": "event", "seq": 42, "agents": agents, "event": event}, "event", 42},
		{"snapshot", map[string]any{"type": "snapshot", "seq": 40, "now": at, "agents": agents}, "snapshot", 40},
		{"live", map[string]any{"type": "live", "seq": 0, "event": event}, "live", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The server's field order: type, seq, now, agents, event.
			b := []byte(`{"type":` + enc(t, tc.msg["type"]) + `,"seq":` + enc(t, tc.msg["seq"]))
			for _, k := range []string{"now", "agents", "event"} {
				if v, ok := tc.msg[k]; ok {
					b = append(b, `,"`+k+`":`+enc(t, v)...)
				}
			}
			b = append(b, '}')
			typ, seq, got, err := scan(b)
			if err != nil || typ != tc.typ || seq != tc.seq {
				t.Fatalf("scanned %q %d, %v from %s", typ, seq, err, b)
			}
			if typ == "event" && !got.Equal(at) {
				t.Fatalf("event time %v, want %v", got, at)
			}
			c := &client{}
			if err := c.message(b, at.Add(time.Second), true); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func enc(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
