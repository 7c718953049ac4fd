package callfloor

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// CampaignType is how a campaign dials: preview (the agent sees the lead
// first, then the call is placed) or power (the dialler calls ahead and
// connects answered calls to free agents).
type CampaignType string

// Campaign types.
const (
	CampaignPreview CampaignType = "preview"
	CampaignPower   CampaignType = "power"
)

// Valid reports whether t is a known campaign type.
func (t CampaignType) Valid() bool { return t == CampaignPreview || t == CampaignPower }

// NextStep is what happens to a lead after a disposition outcome.
type NextStep string

// Next steps of a campaign outcome.
const (
	// NextDone closes the lead: nothing more to do.
	NextDone NextStep = "done"
	// NextRetry calls the lead again after RetryMinutes.
	NextRetry NextStep = "retry"
	// NextFailNumber marks the dialled number failed; the lead's next
	// number is dialled next (a Failed Number).
	NextFailNumber NextStep = "fail_number"
	// NextFailContact closes the lead as failed (a Failed Contact).
	NextFailContact NextStep = "fail_contact"
	// NextCallback calls the lead again at a time the agent chooses, by
	// the same agent or anyone (CallbackScope).
	NextCallback NextStep = "callback"
)

// NextSteps lists every valid next step.
var NextSteps = []NextStep{NextDone, NextRetry, NextFailNumber, NextFailContact, NextCallback}

// Valid reports whether s is a known next step.
func (s NextStep) Valid() bool {
	for _, v := range NextSteps {
		if s == v {
			return true
		}
	}
	return false
}

// CallbackScope says who takes a callback: the agent who set it, or any
// member of the campaign.
type CallbackScope string

// Callback scopes.
const (
	CallbackAgent  CallbackScope = "agent"
	CallbackAnyone CallbackScope = "anyone"
)

// CampaignOutcome is one choice of a campaign's disposition list and what
// it does to the lead. A Fail outcome fails the number or the contact
// (its FailScope follows from Next); Unsure and Success outcomes close the
// lead, retry it or set a callback.
type CampaignOutcome struct {
	Outcome
	Next NextStep `json:"next"`
	// RetryMinutes is the delay of NextRetry (1 minute to 30 days).
	RetryMinutes int `json:"retry_minutes,omitempty"`
	// CallbackScope is set for NextCallback only.
	CallbackScope CallbackScope `json:"callback_scope,omitempty"`
}

// FieldType is the type of a campaign's custom lead field.
type FieldType string

// Field types.
const (
	FieldText   FieldType = "text"
	FieldNumber FieldType = "number"
	FieldDate   FieldType = "date"
	FieldEmail  FieldType = "email"
	FieldPhone  FieldType = "phone"
)

// FieldTypes lists every valid field type.
var FieldTypes = []FieldType{FieldText, FieldNumber, FieldDate, FieldEmail, FieldPhone}

// Valid reports whether t is a known field type.
func (t FieldType) Valid() bool {
	for _, v := range FieldTypes {
		if t == v {
			return true
		}
	}
	return false
}

// CustomField defines a field every lead of a campaign carries, shown to
// the agent in the call information and usable in the script.
type CustomField struct {
	// Name is the key in Lead.Fields and the script's {{name}}: lower
	// case letters, digits and underscores.
	Name     string    `json:"name"`
	Label    string    `json:"label"`
	Type     FieldType `json:"type"`
	Required bool      `json:"required"`
}

// WebhookButton is an in-call button: pressing it makes the server send
// a signed POST of Body (with {{field}} placeholders filled from the call
// and the lead) to URL, and shows the agent the result.
type WebhookButton struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
	URL   string `json:"url"`
	Body  string `json:"body"`
}

// CallingHours are when a lead may be dialled, in the lead's own time
// zone: from Start to End ("09:00", "20:00") on Days (0 Sunday to 6
// Saturday).
type CallingHours struct {
	Start string         `json:"start"`
	End   string         `json:"end"`
	Days  []time.Weekday `json:"days"`
}

// minutes returns the hours as minutes since midnight.
func (h CallingHours) minutes() (start, end int, err error) {
	s, err1 := parseClock(h.Start)
	e, err2 := parseClock(h.End)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("calling hours must be HH:MM")
	}
	return s, e, nil
}

// Open reports whether t (in the lead's location loc) is within the
// calling hours.
func (h CallingHours) Open(t time.Time, loc *time.Location) bool {
	start, end, err := h.minutes()
	if err != nil {
		return false
	}
	lt := t.In(loc)
	day := false
	for _, d := range h.Days {
		if d == lt.Weekday() {
			day = true
		}
	}
	m := lt.Hour()*60 + lt.Minute()
	return day && m >= start && m < end
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// CampaignMember is an agent extension that takes the campaign's calls.
// OnHold is the supervisor's campaign hold: the agent keeps queue calls
// but gets no calls of this campaign.
type CampaignMember struct {
	ExtensionID int64 `json:"extension_id"`
	// Number is filled in by the store, read-only.
	Number string `json:"number"`
	OnHold bool   `json:"on_hold"`
}

// Campaign is an outbound campaign: its leads are in lists, and the
// dialler calls them for the member agents.
type Campaign struct {
	ID        int64        `json:"id"`
	AccountID int64        `json:"account_id"`
	Name      string       `json:"name"`
	Type      CampaignType `json:"type"`
	// Active: the dialler works the campaign; false is "on hold".
	Active       bool         `json:"active"`
	CallingHours CallingHours `json:"calling_hours"`
	// TimeZone is the zone of leads that name none (IANA, e.g.
	// Europe/London).
	TimeZone string `json:"time_zone"`
	// CountryCode is the calling code that national numbers are taken to
	// be in when leads are imported ("44"), so that they become E.164.
	CountryCode string `json:"country_code"`
	// CallerIDPoolID chooses the number the customer sees; Randomize picks
	// at random from the pool for each call, else in turn.
	CallerIDPoolID *int64            `json:"caller_id_pool_id"`
	RandomCallerID bool              `json:"random_caller_id"`
	Members        []CampaignMember  `json:"members"`
	Fields         []CustomField     `json:"fields"`
	Script         string            `json:"script"`
	Outcomes       []CampaignOutcome `json:"outcomes"`
	AllowAddLead   bool              `json:"allow_add_customer"`
	AllowEditLead  bool              `json:"allow_edit_customer"`
	WebhookButtons []WebhookButton   `json:"webhook_buttons"`
	// PreviewSeconds is the preview countdown before the call is placed
	// (preview campaigns); SkipAllowed lets the agent skip a lead.
	PreviewSeconds int  `json:"preview_seconds"`
	SkipAllowed    bool `json:"skip_allowed"`
	// MaxRatio is the most calls a power campaign places per free agent;
	// the dialler lowers it to keep the abandoned rate under
	// AbandonTarget (a percentage over 24 hours).
	MaxRatio      float64 `json:"max_ratio"`
	AbandonTarget float64 `json:"abandon_target"`
	// MaxAttempts is how many calls a lead gets in all; then it fails.
	MaxAttempts int `json:"max_attempts"`
	// What the dialler does with calls no person answered: retry after
	// these delays (a number that cannot be reached fails).
	RetryBusyMinutes     int `json:"retry_busy_minutes"`
	RetryNoAnswerMinutes int `json:"retry_no_answer_minutes"`
	RetryMachineMinutes  int `json:"retry_machine_minutes"`
	// WebhookSecret signs the webhook buttons' requests (whsec_...); it
	// is never in the campaign's JSON (admins read it on its own).
	WebhookSecret string    `json:"-"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// NewCampaign returns a campaign with the defaults an administrator would
// expect: weekdays 9 to 8 in London, a 3% abandoned-rate target.
func NewCampaign(name string, t CampaignType) *Campaign {
	return &Campaign{
		Name: name, Type: t, Active: true,
		CallingHours: CallingHours{Start: "09:00", End: "20:00",
			Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}},
		TimeZone: "Europe/London", CountryCode: "44",
		Members: []CampaignMember{}, Fields: []CustomField{}, Outcomes: []CampaignOutcome{},
		WebhookButtons: []WebhookButton{}, PreviewSeconds: 15, SkipAllowed: true,
		MaxRatio: 2, AbandonTarget: 3, MaxAttempts: 5,
		RetryBusyMinutes: 15, RetryNoAnswerMinutes: 60, RetryMachineMinutes: 240,
	}
}

var (
	fieldNameRe   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	countryCodeRe = regexp.MustCompile(`^[1-9][0-9]{0,2}$`)
)

// reservedFields are lead attributes a script may use that no custom
// field may shadow.
var reservedFields = map[string]bool{"name": true, "number": true, "agent": true, "campaign": true, "list": true}

// Validate checks the campaign's own fields and fills in defaults.
func (c *Campaign) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	if err := checkName("name", c.Name, 100); err != nil {
		return err
	}
	if !c.Type.Valid() {
		return FieldError(ErrInvalidField, "type", "type must be preview or power")
	}
	if err := c.validateHours(); err != nil {
		return err
	}
	if !countryCodeRe.MatchString(c.CountryCode) {
		return FieldError(ErrInvalidField, "country_code", "country_code must be a calling code of 1 to 3 digits, e.g. 44")
	}
	if err := c.validateMembers(); err != nil {
		return err
	}
	if err := c.validateFields(); err != nil {
		return err
	}
	if err := CheckText("script", c.Script, 20000); err != nil {
		return err
	}
	if err := c.validateOutcomes(); err != nil {
		return err
	}
	if err := c.validateButtons(); err != nil {
		return err
	}
	ranges := []struct {
		field    string
		v, lo, h int
	}{
		{"preview_seconds", c.PreviewSeconds, 0, 300},
		{"max_attempts", c.MaxAttempts, 1, 100},
		{"retry_busy_minutes", c.RetryBusyMinutes, 1, 30 * 24 * 60},
		{"retry_no_answer_minutes", c.RetryNoAnswerMinutes, 1, 30 * 24 * 60},
		{"retry_machine_minutes", c.RetryMachineMinutes, 1, 30 * 24 * 60},
	}
	for _, r := range ranges {
		if err := checkRange(r.field, r.v, r.lo, r.h); err != nil {
			return err
		}
	}
	if c.MaxRatio < 1 || c.MaxRatio > 5 {
		return FieldError(ErrInvalidField, "max_ratio", "max_ratio must be between 1 and 5 calls per free agent")
	}
	if c.AbandonTarget <= 0 || c.AbandonTarget > 10 {
		return FieldError(ErrInvalidField, "abandon_target", "abandon_target must be a percentage above 0 and at most 10")
	}
	return nil
}

func (c *Campaign) validateHours() error {
	h := &c.CallingHours
	start, end, err := h.minutes()
	if err != nil {
		return FieldError(ErrInvalidField, "calling_hours", "calling_hours start and end must be HH:MM, e.g. 09:00")
	}
	if start >= end {
		return FieldError(ErrInvalidField, "calling_hours.end", "calling_hours end must be after start")
	}
	if len(h.Days) == 0 {
		return FieldError(ErrFieldRequired, "calling_hours.days", "calling_hours needs at least one day")
	}
	seen := map[time.Weekday]bool{}
	for i, d := range h.Days {
		if d < time.Sunday || d > time.Saturday || seen[d] {
			return FieldError(ErrInvalidField, fmt.Sprintf("calling_hours.days[%d]", i), "days are 0 (Sunday) to 6 (Saturday), each once")
		}
		seen[d] = true
	}
	if err := CheckTimeZone("time_zone", c.TimeZone); err != nil {
		return err
	}
	return nil
}

// CheckTimeZone requires an IANA time zone name the server knows.
func CheckTimeZone(field, tz string) error {
	if tz == "" {
		return FieldError(ErrFieldRequired, field, "%s is required (an IANA zone such as Europe/London)", field)
	}
	if _, err := time.LoadLocation(tz); err != nil || strings.EqualFold(tz, "local") {
		return FieldError(ErrInvalidField, field, "%s %q is not a known time zone (e.g. Europe/London)", field, tz)
	}
	return nil
}

func (c *Campaign) validateMembers() error {
	if c.Members == nil {
		c.Members = []CampaignMember{}
	}
	seen := map[int64]bool{}
	for i, m := range c.Members {
		if seen[m.ExtensionID] {
			return FieldError(ErrInvalidField, fmt.Sprintf("members[%d].extension_id", i), "extension %d is a member twice", m.ExtensionID)
		}
		seen[m.ExtensionID] = true
	}
	return nil
}

func (c *Campaign) validateFields() error {
	if c.Fields == nil {
		c.Fields = []CustomField{}
	}
	seen := map[string]bool{}
	for i := range c.Fields {
		f := &c.Fields[i]
		p := fmt.Sprintf("fields[%d]", i)
		if !fieldNameRe.MatchString(f.Name) {
			return FieldError(ErrInvalidField, p+".name", "a field name is 1 to 32 lower-case letters, digits and underscores, starting with a letter")
		}
		if reservedFields[f.Name] {
			return FieldError(ErrNameTaken, p+".name", "%q is a lead attribute already", f.Name)
		}
		if seen[f.Name] {
			return FieldError(ErrNameTaken, p+".name", "field %q appears twice", f.Name)
		}
		seen[f.Name] = true
		f.Label = strings.TrimSpace(f.Label)
		if f.Label == "" {
			f.Label = f.Name
		}
		if err := checkName(p+".label", f.Label, 64); err != nil {
			return err
		}
		if f.Type == "" {
			f.Type = FieldText
		}
		if !f.Type.Valid() {
			return FieldError(ErrInvalidField, p+".type", "type must be text, number, date, email or phone")
		}
	}
	return nil
}

func (c *Campaign) validateOutcomes() error {
	if c.Outcomes == nil {
		c.Outcomes = []CampaignOutcome{}
	}
	plain := make([]Outcome, len(c.Outcomes))
	for i := range c.Outcomes {
		o := &c.Outcomes[i]
		p := fmt.Sprintf("outcomes[%d]", i)
		if !o.Next.Valid() {
			return FieldError(ErrInvalidField, p+".next", "next must be done, retry, fail_number, fail_contact or callback")
		}
		fail := o.Next == NextFailNumber || o.Next == NextFailContact
		switch {
		case o.Category == CategoryFail && !fail:
			return FieldError(ErrInvalidField, p+".next", "a fail outcome fails the number (fail_number) or the contact (fail_contact)")
		case o.Category != CategoryFail && fail && o.Category.Valid():
			return FieldError(ErrInvalidField, p+".next", "only fail outcomes fail a number or a contact")
		}
		o.FailScope = ""
		if o.Next == NextFailNumber {
			o.FailScope = FailNumber
		} else if o.Next == NextFailContact {
			o.FailScope = FailContact
		}
		if o.Next == NextRetry {
			if err := checkRange(p+".retry_minutes", o.RetryMinutes, 1, 30*24*60); err != nil {
				return err
			}
		} else {
			o.RetryMinutes = 0
		}
		if o.Next == NextCallback {
			if o.CallbackScope != CallbackAgent && o.CallbackScope != CallbackAnyone {
				return FieldError(ErrInvalidField, p+".callback_scope", "a callback is for the same agent (agent) or anyone")
			}
		} else {
			o.CallbackScope = ""
		}
		plain[i] = o.Outcome
	}
	if err := ValidateOutcomes("outcomes", plain); err != nil {
		return err
	}
	for i := range plain {
		c.Outcomes[i].Outcome = plain[i]
	}
	return nil
}

func (c *Campaign) validateButtons() error {
	if c.WebhookButtons == nil {
		c.WebhookButtons = []WebhookButton{}
	}
	if len(c.WebhookButtons) > 10 {
		return FieldError(ErrInvalidField, "webhook_buttons", "a campaign has at most 10 webhook buttons")
	}
	for i := range c.WebhookButtons {
		b := &c.WebhookButtons[i]
		p := fmt.Sprintf("webhook_buttons[%d]", i)
		b.Label = strings.TrimSpace(b.Label)
		if err := checkName(p+".label", b.Label, 40); err != nil {
			return err
		}
		u, err := url.Parse(b.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return FieldError(ErrInvalidField, p+".url", "url must be an http or https URL with no credentials in it")
		}
		if err := CheckText(p+".body", b.Body, 10000); err != nil {
			return err
		}
	}
	return nil
}

// Outcome finds the campaign's outcome of category c named name.
func (c *Campaign) Outcome(cat Category, name string) (CampaignOutcome, bool) {
	for _, o := range c.Outcomes {
		if o.Category == cat && strings.EqualFold(o.Name, name) {
			return o, true
		}
	}
	return CampaignOutcome{}, false
}

// Member returns the campaign's member of extension ext.
func (c *Campaign) Member(ext int64) (CampaignMember, bool) {
	for _, m := range c.Members {
		if m.ExtensionID == ext {
			return m, true
		}
	}
	return CampaignMember{}, false
}

// CampaignService manages the campaigns of the caller's account.
type CampaignService interface {
	CreateCampaign(ctx context.Context, c *Campaign) error
	FindCampaignByID(ctx context.Context, id int64) (*Campaign, error)
	ListCampaigns(ctx context.Context) ([]*Campaign, error)
	// UpdateCampaign loads, lets fn change and stores the campaign
	// (members, fields, outcomes and buttons included) in one
	// transaction.
	UpdateCampaign(ctx context.Context, id int64, fn func(*Campaign) error) (*Campaign, error)
	// DeleteCampaign removes the campaign with its lists and leads.
	DeleteCampaign(ctx context.Context, id int64) error
}
