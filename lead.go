package callfloor

import (
	"context"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// CampaignList is a list of a campaign's leads; the dialler works the
// leads of active lists only.
type CampaignList struct {
	ID         int64  `json:"id"`
	AccountID  int64  `json:"account_id"`
	CampaignID int64  `json:"campaign_id"`
	Name       string `json:"name"`
	Active     bool   `json:"active"`
	// Leads counts the list's leads, read-only.
	Leads     int       `json:"leads"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks the list's own fields.
func (l *CampaignList) Validate() error {
	l.Name = strings.TrimSpace(l.Name)
	return checkName("name", l.Name, 100)
}

// LeadStatus is where a lead is in the dialler's work.
type LeadStatus string

// Lead statuses.
const (
	// LeadNew: never dialled.
	LeadNew LeadStatus = "new"
	// LeadRetry: dialled; due again at NextAt.
	LeadRetry LeadStatus = "retry"
	// LeadCallback: an agent set a callback at NextAt (for CallbackExt
	// when set, else anyone).
	LeadCallback LeadStatus = "callback"
	// LeadActive: reserved for an agent's preview, or being dialled.
	LeadActive LeadStatus = "active"
	// LeadDone: closed by an outcome.
	LeadDone LeadStatus = "done"
	// LeadFailed: the contact failed, every number failed, or the
	// attempts ran out.
	LeadFailed LeadStatus = "failed"
)

// LeadStatuses lists every valid lead status.
var LeadStatuses = []LeadStatus{LeadNew, LeadRetry, LeadCallback, LeadActive, LeadDone, LeadFailed}

// Valid reports whether s is a known lead status.
func (s LeadStatus) Valid() bool {
	for _, v := range LeadStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// Open reports whether the dialler may still call a lead of this status.
func (s LeadStatus) Open() bool { return s == LeadNew || s == LeadRetry || s == LeadCallback }

// LeadNumber is one of a lead's numbers, in the order they are tried.
type LeadNumber struct {
	// Number is E.164 (+ and 8 to 15 digits).
	Number string `json:"number"`
	// Failed: an outcome failed this number (or it could not be
	// reached); the dialler moves on to the next one.
	Failed bool `json:"failed"`
}

// Lead is a contact of a campaign list.
type Lead struct {
	ID         int64             `json:"id"`
	AccountID  int64             `json:"account_id"`
	CampaignID int64             `json:"campaign_id"`
	ListID     int64             `json:"list_id"`
	Name       string            `json:"name"`
	Numbers    []LeadNumber      `json:"numbers"`
	Fields     map[string]string `json:"fields"`
	// TimeZone is the lead's IANA zone for the calling hours; empty: the
	// campaign's.
	TimeZone string `json:"time_zone"`
	// AssignedExtID keeps the lead for one member; nil: the pool.
	AssignedExtID *int64 `json:"assigned_extension_id"`
	// Priority: higher first (0 to 100).
	Priority int        `json:"priority"`
	Status   LeadStatus `json:"status"`
	Attempts int        `json:"attempts"`
	// NextAt is when a retry or callback is due.
	NextAt *time.Time `json:"next_at"`
	// CallbackExtID is the agent a callback is for; nil: anyone.
	CallbackExtID *int64     `json:"callback_extension_id"`
	LastTriedAt   *time.Time `json:"last_tried_at"`
	// LastResult is the last call's result or outcome, for the export.
	LastResult string `json:"last_result"`
	// AbandonedAt is when a call to the lead was last abandoned (answered
	// with no agent free): it is not called again for 72 hours.
	AbandonedAt *time.Time `json:"abandoned_at"`
	// Seq is the journal event that last changed the lead (0: none), so
	// that the dialler applies each event once.
	Seq       int64     `json:"seq"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NextNumber returns the index of the first number not failed, -1 when
// every number failed.
func (l *Lead) NextNumber() int {
	for i, n := range l.Numbers {
		if !n.Failed {
			return i
		}
	}
	return -1
}

// Validate checks the lead against its campaign's field definitions.
// Numbers must be E.164 already (NormalizeNumber makes them so).
func (l *Lead) Validate(c *Campaign) error {
	l.Name = strings.TrimSpace(l.Name)
	if err := checkName("name", l.Name, 200); err != nil {
		return err
	}
	if len(l.Numbers) == 0 {
		return FieldError(ErrFieldRequired, "numbers", "a lead needs at least one number")
	}
	if len(l.Numbers) > 10 {
		return FieldError(ErrInvalidField, "numbers", "a lead has at most 10 numbers")
	}
	seen := map[string]bool{}
	for i, n := range l.Numbers {
		f := fmt.Sprintf("numbers[%d].number", i)
		if !IsE164(n.Number) {
			return FieldError(ErrInvalidField, f, "%s must be an E.164 number, + and 8 to 15 digits", f)
		}
		if seen[n.Number] {
			return FieldError(ErrInvalidField, f, "%s appears twice", n.Number)
		}
		seen[n.Number] = true
	}
	if l.TimeZone != "" {
		if err := CheckTimeZone("time_zone", l.TimeZone); err != nil {
			return err
		}
	}
	if err := checkRange("priority", l.Priority, 0, 100); err != nil {
		return err
	}
	if l.Status == "" {
		l.Status = LeadNew
	}
	if !l.Status.Valid() {
		return FieldError(ErrInvalidField, "status", "status must be one of new, retry, callback, active, done, failed")
	}
	if l.Fields == nil {
		l.Fields = map[string]string{}
	}
	known := map[string]bool{}
	for _, def := range c.Fields {
		known[def.Name] = true
		v := strings.TrimSpace(l.Fields[def.Name])
		f := "fields." + def.Name
		if v == "" {
			if def.Required {
				return FieldError(ErrFieldRequired, f, "%s is required", def.Label)
			}
			delete(l.Fields, def.Name)
			continue
		}
		if err := checkFieldValue(f, def, v); err != nil {
			return err
		}
		l.Fields[def.Name] = v
	}
	for k := range l.Fields {
		if !known[k] {
			return FieldError(ErrUnknownField, "fields."+k, "the campaign has no field %q", k)
		}
	}
	return nil
}

// checkFieldValue checks one custom field's value by its type.
func checkFieldValue(field string, def CustomField, v string) error {
	if err := checkName(field, v, 1000); err != nil {
		return err
	}
	switch def.Type {
	case FieldNumber:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return FieldError(ErrInvalidField, field, "%s must be a number", def.Label)
		}
	case FieldDate:
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return FieldError(ErrInvalidField, field, "%s must be a date, YYYY-MM-DD", def.Label)
		}
	case FieldEmail:
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			return FieldError(ErrInvalidField, field, "%s must be an e-mail address", def.Label)
		}
	case FieldPhone:
		if !phoneNumberRe.MatchString(v) {
			return FieldError(ErrInvalidField, field, "%s must be a phone number", def.Label)
		}
	}
	return nil
}

// IsE164 reports whether n is an E.164 number: + and 8 to 15 digits, the
// first not 0.
func IsE164(n string) bool {
	if len(n) < 9 || len(n) > 16 || n[0] != '+' || n[1] == '0' {
		return false
	}
	for _, r := range n[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// NormalizeNumber turns a number as people write it into E.164: spaces,
// dots, dashes and brackets go, and so does a "(0)" after the country
// code; a leading 00 or + is international; a
// leading 0 is national, in countryCode; anything else is taken to be
// international already. It reports false for what cannot be a number.
func NormalizeNumber(raw, countryCode string) (string, bool) {
	var b strings.Builder
	s := strings.TrimSpace(raw)
	// "+44 (0)20 ...": the national trunk 0, written but not dialled
	// after the country code.
	if i := strings.Index(s, "(0)"); i > 0 {
		s = s[:i] + s[i+3:]
	}
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/' || r == '\u00a0':
		default:
			return "", false
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(d, "+"):
	case strings.HasPrefix(d, "00"):
		d = "+" + d[2:]
	case strings.HasPrefix(d, "0"):
		d = "+" + countryCode + d[1:]
	default:
		d = "+" + d
	}
	if !IsE164(d) {
		return "", false
	}
	return d, true
}

// LeadFilter selects leads for a listing; zero fields select all.
type LeadFilter struct {
	CampaignID int64
	ListID     int64
	Status     LeadStatus
	// Number finds the leads with this number (E.164).
	Number string
	// AfterID pages: only leads with a larger ID, in ID order.
	AfterID int64
	Limit   int
}

// LeadQuery asks the store for the leads an agent may be given now, in
// the order the dialler takes them: their own assigned leads (and
// callbacks) first, then the pool; by priority, then least recently
// tried. The dialler works out which time zones are within the calling
// hours; the store checks the rest.
type LeadQuery struct {
	CampaignID int64
	// Ext is the agent; their assigned leads and callbacks come first.
	// 0: the pool only (power dialling for no one in particular).
	Ext int64
	// OwnOnly leaves out the pool: only Ext's own leads.
	OwnOnly bool
	// TimeZones are the lead time zones within calling hours now ("" is
	// the campaign's own zone, for leads that name none).
	TimeZones []string
	Now       time.Time
	// AbandonedBefore: leads abandoned after it are not called (72 hours
	// before Now).
	AbandonedBefore time.Time
	Limit           int
}

// LeadCounts are how many of a campaign's leads an agent could be given,
// for the mappings ("why no leads"): callable now (their own, and the
// pool), open but due later, and open at all (in active lists).
type LeadCounts struct {
	Own     int `json:"assigned_now"`
	Pool    int `json:"pool_now"`
	Waiting int `json:"waiting"`
	Open    int `json:"open"`
	// NextDue is the soonest a waiting lead is due; nil for none.
	NextDue *time.Time `json:"next_due"`
}

// DNCEntry is a number on the account's do-not-call list: the dialler
// never calls it.
type DNCEntry struct {
	Number    string    `json:"number"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

// LeadService manages the lists, leads and do-not-call list of the
// caller's account.
type LeadService interface {
	CreateList(ctx context.Context, l *CampaignList) error
	FindListByID(ctx context.Context, id int64) (*CampaignList, error)
	// ListLists returns a campaign's lists (campaign 0: every campaign's).
	ListLists(ctx context.Context, campaignID int64) ([]*CampaignList, error)
	UpdateList(ctx context.Context, id int64, fn func(*CampaignList) error) (*CampaignList, error)
	// DeleteList removes the list with its leads.
	DeleteList(ctx context.Context, id int64) error

	// CreateLeads stores leads of one list in one transaction, valid
	// against the list's campaign; their IDs are set.
	CreateLeads(ctx context.Context, listID int64, leads []*Lead) error
	FindLeadByID(ctx context.Context, id int64) (*Lead, error)
	ListLeads(ctx context.Context, f LeadFilter) ([]*Lead, error)
	// UpdateLead loads, lets fn change and stores the lead in one
	// transaction.
	UpdateLead(ctx context.Context, id int64, fn func(*Lead) error) (*Lead, error)
	DeleteLead(ctx context.Context, id int64) error
	// LeadStatusCounts counts a campaign's leads by status.
	LeadStatusCounts(ctx context.Context, campaignID int64) (map[LeadStatus]int, error)
	// LeadZones lists the time zones of a campaign's open leads ("" for
	// those that name none).
	LeadZones(ctx context.Context, campaignID int64) ([]string, error)
	// KnownNumbers reports which of numbers are a lead's of the campaign.
	KnownNumbers(ctx context.Context, campaignID int64, numbers []string) (map[string]bool, error)
	// CallableLeads returns the leads q allows, best first, skipping
	// numbers on the do-not-call list.
	CallableLeads(ctx context.Context, q LeadQuery) ([]*Lead, error)
	// CountLeads counts the leads of q's campaign for q's agent (Limit
	// is ignored).
	CountLeads(ctx context.Context, q LeadQuery) (LeadCounts, error)
	// ReserveLead moves an open lead to LeadActive and sets its try
	// time, failing with ErrLeadTaken when another took it first.
	ReserveLead(ctx context.Context, id int64, now time.Time) (*Lead, error)

	// DialerCursor is how far the dialler has folded the account's
	// journal into leads; SetDialerCursor moves it on.
	DialerCursor(ctx context.Context) (int64, error)
	SetDialerCursor(ctx context.Context, seq int64) error

	AddDNC(ctx context.Context, e *DNCEntry) error
	RemoveDNC(ctx context.Context, number string) error
	ListDNC(ctx context.Context) ([]*DNCEntry, error)
	IsDNC(ctx context.Context, number string) (bool, error)
}
