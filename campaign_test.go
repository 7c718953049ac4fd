package callfloor_test

import (
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

func validCampaign() *callfloor.Campaign {
	c := callfloor.NewCampaign("Renewals", callfloor.CampaignPreview)
	c.Fields = []callfloor.CustomField{{Name: "policy", Label: "Policy", Type: callfloor.FieldText, Required: true},
		{Name: "renewal_date", Type: callfloor.FieldDate}}
	c.Outcomes = []callfloor.CampaignOutcome{
		{Outcome: callfloor.Outcome{Category: callfloor.CategorySuccess, Name: "Renewed"}, Next: callfloor.NextDone},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryUnsure, Name: "Call back"}, Next: callfloor.NextCallback, CallbackScope: callfloor.CallbackAgent},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryUnsure, Name: "Busy now"}, Next: callfloor.NextRetry, RetryMinutes: 30},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Wrong number"}, Next: callfloor.NextFailNumber},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Not interested"}, Next: callfloor.NextFailContact},
	}
	c.WebhookButtons = []callfloor.WebhookButton{{Label: "Open in CRM", URL: "https://crm.example.com/hook", Body: `{"lead":"{{lead_id}}"}`}}
	return c
}

func TestCampaignValidate(t *testing.T) {
	rows := []struct {
		name  string
		edit  func(c *callfloor.Campaign)
		code  string
		field string
	}{
		{"valid", func(*callfloor.Campaign) {}, "", ""},
		{"no name", func(c *callfloor.Campaign) { c.Name = "  " }, callfloor.ErrFieldRequired, "name"},
		{"bad type", func(c *callfloor.Campaign) { c.Type = "predictive" }, callfloor.ErrInvalidField, "type"},
		{"hours not a time", func(c *callfloor.Campaign) { c.CallingHours.Start = "9am" }, callfloor.ErrInvalidField, "calling_hours"},
		{"hours backwards", func(c *callfloor.Campaign) { c.CallingHours.Start, c.CallingHours.End = "20:00", "09:00" }, callfloor.ErrInvalidField, "calling_hours.end"},
		{"no days", func(c *callfloor.Campaign) { c.CallingHours.Days = nil }, callfloor.ErrFieldRequired, "calling_hours.days"},
		{"day twice", func(c *callfloor.Campaign) { c.CallingHours.Days = []time.Weekday{1, 1} }, callfloor.ErrInvalidField, "calling_hours.days[1]"},
		{"day 7", func(c *callfloor.Campaign) { c.CallingHours.Days = []time.Weekday{7} }, callfloor.ErrInvalidField, "calling_hours.days[0]"},
		{"unknown zone", func(c *callfloor.Campaign) { c.TimeZone = "Mars/Olympus" }, callfloor.ErrInvalidField, "time_zone"},
		{"local zone", func(c *callfloor.Campaign) { c.TimeZone = "Local" }, callfloor.ErrInvalidField, "time_zone"},
		{"bad country code", func(c *callfloor.Campaign) { c.CountryCode = "+44" }, callfloor.ErrInvalidField, "country_code"},
		{"member twice", func(c *callfloor.Campaign) {
			c.Members = []callfloor.CampaignMember{{ExtensionID: 3}, {ExtensionID: 3}}
		}, callfloor.ErrInvalidField, "members[1].extension_id"},
		{"field name", func(c *callfloor.Campaign) { c.Fields[0].Name = "Policy No" }, callfloor.ErrInvalidField, "fields[0].name"},
		{"field shadows name", func(c *callfloor.Campaign) { c.Fields[0].Name = "name" }, callfloor.ErrNameTaken, "fields[0].name"},
		{"field twice", func(c *callfloor.Campaign) { c.Fields[1].Name = "policy" }, callfloor.ErrNameTaken, "fields[1].name"},
		{"field type", func(c *callfloor.Campaign) { c.Fields[0].Type = "blob" }, callfloor.ErrInvalidField, "fields[0].type"},
		{"fail that closes", func(c *callfloor.Campaign) { c.Outcomes[3].Next = callfloor.NextDone }, callfloor.ErrInvalidField, "outcomes[3].next"},
		{"success that fails", func(c *callfloor.Campaign) { c.Outcomes[0].Next = callfloor.NextFailNumber }, callfloor.ErrInvalidField, "outcomes[0].next"},
		{"retry without delay", func(c *callfloor.Campaign) { c.Outcomes[2].RetryMinutes = 0 }, callfloor.ErrInvalidField, "outcomes[2].retry_minutes"},
		{"callback for nobody", func(c *callfloor.Campaign) { c.Outcomes[1].CallbackScope = "" }, callfloor.ErrInvalidField, "outcomes[1].callback_scope"},
		{"outcome twice", func(c *callfloor.Campaign) { c.Outcomes[4].Name = "wrong NUMBER" }, callfloor.ErrNameTaken, "outcomes[4].name"},
		{"system outcome", func(c *callfloor.Campaign) { c.Outcomes[2].Name = callfloor.NoAgentSubmission }, callfloor.ErrNameTaken, "outcomes[2].name"},
		{"button url", func(c *callfloor.Campaign) { c.WebhookButtons[0].URL = "ftp://crm.example.com" }, callfloor.ErrInvalidField, "webhook_buttons[0].url"},
		{"button credentials", func(c *callfloor.Campaign) { c.WebhookButtons[0].URL = "https://u:p@crm.example.com" }, callfloor.ErrInvalidField, "webhook_buttons[0].url"},
		{"button label", func(c *callfloor.Campaign) { c.WebhookButtons[0].Label = "" }, callfloor.ErrFieldRequired, "webhook_buttons[0].label"},
		{"ratio", func(c *callfloor.Campaign) { c.MaxRatio = 0.5 }, callfloor.ErrInvalidField, "max_ratio"},
		{"abandon target", func(c *callfloor.Campaign) { c.AbandonTarget = 0 }, callfloor.ErrInvalidField, "abandon_target"},
		{"attempts", func(c *callfloor.Campaign) { c.MaxAttempts = 0 }, callfloor.ErrInvalidField, "max_attempts"},
		{"script control", func(c *callfloor.Campaign) { c.Script = "Hello\x07" }, callfloor.ErrInvalidField, "script"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			c := validCampaign()
			r.edit(c)
			err := c.Validate()
			if callfloor.ErrorCode(err) != r.code || callfloor.ErrorField(err) != r.field {
				t.Fatalf("got %v (field %q), want %s on %q", err, callfloor.ErrorField(err), r.code, r.field)
			}
		})
	}
}

func TestCampaignOutcomesGetTheirFailScope(t *testing.T) {
	c := validCampaign()
	c.Outcomes[2].CallbackScope = callfloor.CallbackAnyone // not a callback: dropped
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Outcomes[3].FailScope != callfloor.FailNumber || c.Outcomes[4].FailScope != callfloor.FailContact || c.Outcomes[0].FailScope != "" {
		t.Errorf("fail scopes %q %q %q", c.Outcomes[3].FailScope, c.Outcomes[4].FailScope, c.Outcomes[0].FailScope)
	}
	if c.Outcomes[2].CallbackScope != "" {
		t.Error("a retry kept a callback scope")
	}
	if o, ok := c.Outcome(callfloor.CategoryFail, "wrong number"); !ok || o.Next != callfloor.NextFailNumber {
		t.Errorf("outcome lookup: %+v %v", o, ok)
	}
}

func TestCallingHoursInTheLeadsZone(t *testing.T) {
	h := callfloor.CallingHours{Start: "09:00", End: "20:00", Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}}
	zone := func(name string) *time.Location {
		l, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	// Monday 2026-03-02 at 14:00 UTC.
	at := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	rows := []struct {
		zone string
		at   time.Time
		open bool
	}{
		{"Europe/London", at, true},                     // 14:00
		{"America/New_York", at, true},                  // 09:00, the first minute
		{"America/Los_Angeles", at, false},              // 06:00
		{"Asia/Tokyo", at, false},                       // 23:00
		{"Europe/London", at.Add(6 * time.Hour), false}, // 20:00, closed at End
		{"Europe/London", at.Add(-5 * time.Hour), true}, // 09:00
		{"Europe/London", at.Add(-5*time.Hour - time.Minute), false},
		{"Pacific/Auckland", at.Add(-10 * time.Hour), true},        // Monday 04:00 UTC is 17:00 there (NZDT)
		{"Europe/London", at.Add(-48 * time.Hour), false},          // Saturday
		{"Asia/Tokyo", at.Add(3 * 24 * time.Hour), false},          // Thursday 23:00 there
		{"Asia/Tokyo", at.Add(3*24*time.Hour - 6*time.Hour), true}, // Thursday 17:00 there
	}
	for _, r := range rows {
		if got := h.Open(r.at, zone(r.zone)); got != r.open {
			t.Errorf("%s at %s (%s there): open %v, want %v", r.zone, r.at.Format(time.RFC3339), r.at.In(zone(r.zone)).Format("Mon 15:04"), got, r.open)
		}
	}
}

func TestNormalizeNumber(t *testing.T) {
	rows := []struct {
		raw, want string
		ok        bool
	}{
		{"+44 20 7946 0600", "+442079460600", true},
		{"020 7946 0600", "+442079460600", true},
		{"0044 (0)20-7946-0600", "+442079460600", true},
		{"+44 (0)7700 900123", "+447700900123", true},
		{"0044 20.7946.0600", "+442079460600", true},
		{"442079460600", "+442079460600", true},
		{"+1 (415) 555-0134", "+14155550134", true},
		{"07700 900123", "+447700900123", true},
		{"", "", false},
		{"12345", "", false},             // too short
		{"+1234567890123456", "", false}, // 16 digits
		{"+44 20 7946 060x", "", false},  // a letter
		{"+44+20", "", false},            // + inside
		{"=HYPERLINK(\"x\")", "", false}, // a spreadsheet formula
	}
	for _, r := range rows {
		got, ok := callfloor.NormalizeNumber(r.raw, "44")
		if got != r.want || ok != r.ok {
			t.Errorf("NormalizeNumber(%q) = %q, %v; want %q, %v", r.raw, got, ok, r.want, r.ok)
		}
	}
}

func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range []string{"+44 20 7946 0600", "020 7946 0600", "00 1 415 555 0134", "(0)", "+", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n, ok := callfloor.NormalizeNumber(raw, "44")
		if ok != callfloor.IsE164(n) || (!ok && n != "") {
			t.Fatalf("NormalizeNumber(%q) = %q, %v", raw, n, ok)
		}
		if ok {
			again, ok2 := callfloor.NormalizeNumber(n, "44")
			if !ok2 || again != n {
				t.Fatalf("not idempotent: %q -> %q -> %q", raw, n, again)
			}
		}
	})
}

func TestLeadValidate(t *testing.T) {
	c := validCampaign()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	valid := func() *callfloor.Lead {
		return &callfloor.Lead{Name: "Ada Lovelace", Numbers: []callfloor.LeadNumber{{Number: "+442079460600"}},
			Fields: map[string]string{"policy": "P-1", "renewal_date": "2027-01-31"}}
	}
	rows := []struct {
		name  string
		edit  func(l *callfloor.Lead)
		code  string
		field string
	}{
		{"valid", func(*callfloor.Lead) {}, "", ""},
		{"no name", func(l *callfloor.Lead) { l.Name = "" }, callfloor.ErrFieldRequired, "name"},
		{"no number", func(l *callfloor.Lead) { l.Numbers = nil }, callfloor.ErrFieldRequired, "numbers"},
		{"not e164", func(l *callfloor.Lead) { l.Numbers[0].Number = "02079460600" }, callfloor.ErrInvalidField, "numbers[0].number"},
		{"number twice", func(l *callfloor.Lead) { l.Numbers = append(l.Numbers, l.Numbers[0]) }, callfloor.ErrInvalidField, "numbers[1].number"},
		{"required field", func(l *callfloor.Lead) { delete(l.Fields, "policy") }, callfloor.ErrFieldRequired, "fields.policy"},
		{"date field", func(l *callfloor.Lead) { l.Fields["renewal_date"] = "31/01/2027" }, callfloor.ErrInvalidField, "fields.renewal_date"},
		{"unknown field", func(l *callfloor.Lead) { l.Fields["shoe_size"] = "9" }, callfloor.ErrUnknownField, "fields.shoe_size"},
		{"zone", func(l *callfloor.Lead) { l.TimeZone = "Europe/Atlantis" }, callfloor.ErrInvalidField, "time_zone"},
		{"priority", func(l *callfloor.Lead) { l.Priority = 101 }, callfloor.ErrInvalidField, "priority"},
		{"status", func(l *callfloor.Lead) { l.Status = "lost" }, callfloor.ErrInvalidField, "status"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			l := valid()
			r.edit(l)
			err := l.Validate(c)
			if callfloor.ErrorCode(err) != r.code || callfloor.ErrorField(err) != r.field {
				t.Fatalf("got %v (field %q), want %s on %q", err, callfloor.ErrorField(err), r.code, r.field)
			}
		})
	}
	l := valid()
	l.Fields["renewal_date"] = " "
	if err := l.Validate(c); err != nil || l.Status != callfloor.LeadNew {
		t.Fatalf("an empty optional field: %v, status %q", err, l.Status)
	}
	if _, ok := l.Fields["renewal_date"]; ok {
		t.Error("an empty optional field was kept")
	}
}
