package callfloor_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

func endpoint(mods ...func(*callfloor.WebhookEndpoint)) *callfloor.WebhookEndpoint {
	w := &callfloor.WebhookEndpoint{URL: "https://hooks.example.com/callfloor", Enabled: true}
	for _, m := range mods {
		m(w)
	}
	return w
}

func TestWebhookEndpointValidate(t *testing.T) {
	ext := int64(7)
	zero := int64(0)
	tests := []struct {
		name  string
		edit  func(*callfloor.WebhookEndpoint)
		code  string
		field string
	}{
		{"valid", func(*callfloor.WebhookEndpoint) {}, "", ""},
		{"http is a shape the store keeps", func(w *callfloor.WebhookEndpoint) { w.URL = "http://10.0.0.1:8080/x" }, "", ""},
		{"some types", func(w *callfloor.WebhookEndpoint) {
			w.EventTypes = []callfloor.WebhookEventType{"agent.paused", callfloor.WebhookCallerAbandoned, callfloor.WebhookTest}
		}, "", ""},
		{"device level", func(w *callfloor.WebhookEndpoint) { w.ExtensionID = &ext }, "", ""},
		{"no url", func(w *callfloor.WebhookEndpoint) { w.URL = "  " }, callfloor.ErrFieldRequired, "url"},
		{"not a URL", func(w *callfloor.WebhookEndpoint) { w.URL = "hooks.example.com/x" }, callfloor.ErrInvalidField, "url"},
		{"ftp", func(w *callfloor.WebhookEndpoint) { w.URL = "ftp://hooks.example.com/x" }, callfloor.ErrInvalidField, "url"},
		{"no host", func(w *callfloor.WebhookEndpoint) { w.URL = "https:///x" }, callfloor.ErrInvalidField, "url"},
		{"credentials", func(w *callfloor.WebhookEndpoint) { w.URL = "https://u:p@hooks.example.com/" }, callfloor.ErrInvalidField, "url"},
		{"fragment", func(w *callfloor.WebhookEndpoint) { w.URL = "https://hooks.example.com/#x" }, callfloor.ErrInvalidField, "url"},
		{"new line", func(w *callfloor.WebhookEndpoint) { w.URL = "https://hooks.example.com/\nx" }, callfloor.ErrInvalidField, "url"},
		{"too long", func(w *callfloor.WebhookEndpoint) {
			w.URL = "https://hooks.example.com/" + strings.Repeat("a", callfloor.MaxWebhookURL)
		}, callfloor.ErrInvalidField, "url"},
		{"long description", func(w *callfloor.WebhookEndpoint) {
			w.Description = strings.Repeat("d", callfloor.MaxWebhookDescription+1)
		}, callfloor.ErrInvalidField, "description"},
		{"unknown type", func(w *callfloor.WebhookEndpoint) {
			w.EventTypes = []callfloor.WebhookEventType{"agent.paused", "agent.dancing"}
		}, callfloor.ErrInvalidField, "event_types[1]"},
		{"a live-only type", func(w *callfloor.WebhookEndpoint) {
			w.EventTypes = []callfloor.WebhookEventType{callfloor.WebhookEventType(callfloor.EventQueueStats)}
		}, callfloor.ErrInvalidField, "event_types[0]"},
		{"extension zero", func(w *callfloor.WebhookEndpoint) { w.ExtensionID = &zero }, callfloor.ErrInvalidReference, "extension_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := endpoint(tc.edit)
			err := w.Validate()
			if callfloor.ErrorCode(err) != tc.code || callfloor.ErrorField(err) != tc.field {
				t.Fatalf("Validate = %v, want %q on %q", err, tc.code, tc.field)
			}
		})
	}
	w := endpoint(func(w *callfloor.WebhookEndpoint) {
		w.URL, w.Description = " https://hooks.example.com/a ", " CRM "
		w.EventTypes = []callfloor.WebhookEventType{"agent.paused", "agent.paused", "call.ended"}
	})
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	if w.URL != "https://hooks.example.com/a" || w.Description != "CRM" || len(w.EventTypes) != 2 {
		t.Fatalf("normalised to %+v: want trimmed and the types deduplicated", w)
	}
}

func TestWebhookTypesAndFilter(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ev := func(typ callfloor.EventType, ext int64, rec *callfloor.CallRecord) *callfloor.Event {
		return &callfloor.Event{Seq: 5, AccountID: 1, At: at, Type: typ, ExtensionID: ext, Record: rec}
	}
	part := int64(210)
	all := endpoint()
	some := endpoint(func(w *callfloor.WebhookEndpoint) {
		w.EventTypes = []callfloor.WebhookEventType{"agent.paused", callfloor.WebhookCallerAbandoned}
	})
	device := endpoint(func(w *callfloor.WebhookEndpoint) { w.ExtensionID = &part })
	tests := []struct {
		name               string
		e                  *callfloor.Event
		typ                callfloor.WebhookEventType
		all, some, device  bool
		lane, laneOfDevice int64
	}{
		{"a pause", ev(callfloor.EventPaused, 201, nil), "agent.paused", true, true, false, 201, part},
		{"a login", ev(callfloor.EventLoggedIn, 201, nil), "agent.logged_in", true, false, false, 201, part},
		{"the participant's call", ev(callfloor.EventCallOffered, part, nil), "call.offered", true, false, true, part, part},
		{"the participant's pause is not a call event", ev(callfloor.EventParticipantPaused, part, nil), "participant.paused", true, false, false, part, part},
		{"a record it is a party to", ev(callfloor.EventCallRecord, 0, &callfloor.CallRecord{CallID: "c", Step: "answered", Parties: []int64{9, part}}),
			"call.record", true, false, true, 0, part},
		{"a record it rang", ev(callfloor.EventCallRecord, 0, &callfloor.CallRecord{CallID: "c", Step: "ringing", To: part}),
			"call.record", true, false, true, 0, part},
		{"another's record", ev(callfloor.EventCallRecord, 0, &callfloor.CallRecord{CallID: "c", Step: "ringing", To: 201}),
			"call.record", true, false, false, 0, part},
		{"a caller abandoned", ev(callfloor.EventCallRecord, 0, &callfloor.CallRecord{CallID: "c", Step: "abandoned", QueueID: 3}),
			callfloor.WebhookCallerAbandoned, true, true, false, 0, part},
		{"a caller queued", ev(callfloor.EventCallRecord, 0, &callfloor.CallRecord{CallID: "c", Step: "queued", QueueID: 3}),
			callfloor.WebhookCallerQueued, true, false, false, 0, part},
		{"a caller overflowed", ev(callfloor.EventCallRecord, 0, &callfloor.CallRecord{CallID: "c", Step: "overflowed", QueueID: 3}),
			callfloor.WebhookCallerOverflowed, true, false, false, 0, part},
		{"a campaign attempt", ev(callfloor.EventCallRecord, 0, &callfloor.CallRecord{CallID: "c", Step: "campaign_attempt", CampaignID: 2}),
			callfloor.WebhookCampaignAttempt, true, false, false, 0, part},
		{"queue figures are live only", ev(callfloor.EventQueueStats, 0, nil), "", false, false, false, 0, part},
		{"so is a disabled endpoint's notice", ev(callfloor.EventWebhookDisabled, 0, nil), "", false, false, false, 0, part},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := callfloor.WebhookTypeOf(tc.e); got != tc.typ {
				t.Fatalf("type %q, want %q", got, tc.typ)
			}
			for _, c := range []struct {
				w    *callfloor.WebhookEndpoint
				want bool
				lane int64
			}{{all, tc.all, tc.lane}, {some, tc.some, tc.lane}, {device, tc.device, tc.laneOfDevice}} {
				typ, ok := c.w.Wants(tc.e)
				if ok != c.want || (ok && typ != tc.typ) {
					t.Errorf("endpoint %+v: wants %v as %q, want %v", c.w, ok, typ, c.want)
				}
				if lane := c.w.Lane(tc.e); lane != c.lane {
					t.Errorf("endpoint %+v: lane %d, want %d", c.w, lane, c.lane)
				}
			}
		})
	}
	seen := map[callfloor.WebhookEventType]bool{}
	for _, typ := range callfloor.WebhookEventTypes {
		if seen[typ] || !typ.Valid() {
			t.Errorf("type %q twice or invalid", typ)
		}
		seen[typ] = true
	}
}

func TestWebhookMessageIDs(t *testing.T) {
	for _, tc := range []struct {
		seq, outbox int64
		id          string
	}{{42, 0, "msg_7_42"}, {0, 3, "msg_7_m3"}} {
		id := callfloor.WebhookMessageID(7, tc.seq, tc.outbox)
		if id != tc.id {
			t.Fatalf("id %q, want %q", id, tc.id)
		}
		seq, outbox, ok := callfloor.ParseWebhookMessageID(7, id)
		if !ok || seq != tc.seq || outbox != tc.outbox {
			t.Fatalf("parse %q = %d %d %v", id, seq, outbox, ok)
		}
	}
	for _, bad := range []string{"msg_8_42", "msg_7_", "msg_7_m", "msg_7_0", "msg_7_-1", "msg_7_4x", "msg_7_m0", "msg_71_2", "x"} {
		if _, _, ok := callfloor.ParseWebhookMessageID(7, bad); ok {
			t.Errorf("%q parsed as a message of endpoint 7", bad)
		}
	}
}

func TestWebhookBodies(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e := &callfloor.Event{Seq: 9, AccountID: 1, At: at, Type: callfloor.EventCallRecord,
		Record: &callfloor.CallRecord{CallID: "c-1", Step: "abandoned", QueueID: 4, WaitMillis: 5000}}
	b, err := callfloor.NewWebhookEventBody(e)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	data, _ := got["data"].(map[string]any)
	if got["type"] != "queue.caller_abandoned" || got["timestamp"] != "2026-03-02T09:00:00Z" || got["version"] != 1.0 ||
		data["seq"] != 9.0 || data["type"] != "call.record" {
		t.Fatalf("body %s", b)
	}
	b, err = callfloor.NewWebhookTestBody(7, at)
	if err != nil || !strings.Contains(string(b), `"type":"webhook.test"`) || !strings.Contains(string(b), `"endpoint_id":7`) {
		t.Fatalf("test body %s, %v", b, err)
	}
}

func TestWebhookSecretRotation(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	w := endpoint(func(w *callfloor.WebhookEndpoint) { w.Secret = "whsec_old" })
	w.Rotate("whsec_new", now, callfloor.DefaultSecretOverlap)
	if got := w.SigningSecrets(now.Add(time.Hour)); !reflect.DeepEqual(got, []string{"whsec_new", "whsec_old"}) {
		t.Fatalf("during the overlap: %v", got)
	}
	if got := w.SigningSecrets(now.Add(callfloor.DefaultSecretOverlap)); !reflect.DeepEqual(got, []string{"whsec_new"}) {
		t.Fatalf("after the overlap: %v", got)
	}
	w.Rotate("whsec_newer", now, 0)
	if got := w.SigningSecrets(now); !reflect.DeepEqual(got, []string{"whsec_newer"}) || w.PreviousSecretExpiresAt != nil {
		t.Fatalf("a rotation without overlap: %v", got)
	}
}
