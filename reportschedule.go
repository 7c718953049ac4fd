package callfloor

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// ReportKind names a report an admin can have mailed.
type ReportKind string

// The reports a schedule can send.
const (
	ReportAttendance   ReportKind = "attendance"
	ReportPauses       ReportKind = "pauses"
	ReportDispositions ReportKind = "dispositions"
	ReportQueues       ReportKind = "queues"
)

// ReportKinds lists every kind, in the order the pages offer them.
var ReportKinds = []ReportKind{ReportAttendance, ReportPauses, ReportDispositions, ReportQueues}

// Valid reports whether k is a known report.
func (k ReportKind) Valid() bool {
	for _, v := range ReportKinds {
		if k == v {
			return true
		}
	}
	return false
}

// Title is the report's name in a mail's subject.
func (k ReportKind) Title() string {
	switch k {
	case ReportAttendance:
		return "Time and attendance"
	case ReportPauses:
		return "Pause summary"
	case ReportDispositions:
		return "Dispositions and outcomes"
	case ReportQueues:
		return "Queues by hour"
	}
	return string(k)
}

// Frequency is how often a schedule sends its report.
type Frequency string

// The frequencies: a daily report covers the day before the send, a
// weekly one the seven days before it, a monthly one the month before.
const (
	Daily   Frequency = "daily"
	Weekly  Frequency = "weekly"
	Monthly Frequency = "monthly"
)

// Frequencies lists every frequency.
var Frequencies = []Frequency{Daily, Weekly, Monthly}

// Limits of a schedule.
const (
	MaxReportRecipients = 20
	// MaxMonthDay keeps a monthly send on a day every month has.
	MaxMonthDay = 28
)

// ReportRunStatus is how a schedule's last send went.
type ReportRunStatus string

// Run statuses; "" is a schedule that has not run yet.
const (
	RunSent   ReportRunStatus = "sent"
	RunFailed ReportRunStatus = "failed"
)

// ReportRunStatuses lists every run status, "" (not run yet) first.
var ReportRunStatuses = []ReportRunStatus{"", RunSent, RunFailed}

// ReportSchedule mails one report to a list of addresses on a calendar,
// in the account's time zone.
type ReportSchedule struct {
	ID        int64      `json:"id"`
	AccountID int64      `json:"account_id"`
	Name      string     `json:"name"`
	Report    ReportKind `json:"report"`
	Frequency Frequency  `json:"frequency"`
	// Weekday (0 Sunday … 6 Saturday) is the day a weekly report goes.
	Weekday int `json:"weekday"`
	// MonthDay (1 … 28) is the day a monthly report goes.
	MonthDay int `json:"month_day"`
	// Hour (0 … 23, local) is when on its day the report goes.
	Hour       int      `json:"hour"`
	Recipients []string `json:"recipients"`
	Enabled    bool     `json:"enabled"`
	// NextRunAt is when the scheduler sends next (or retries a failed
	// send); nil while the schedule is disabled.
	NextRunAt *time.Time `json:"next_run_at"`
	// DueAt is the calendar time of the period owed: NextRunAt itself,
	// but a retry keeps the failed period's time so that the report
	// still covers that period.
	DueAt *time.Time `json:"-"`
	// LastRunAt, LastStatus and LastError tell how the last send went;
	// Failures counts the failed tries of the period being sent.
	LastRunAt  *time.Time      `json:"last_run_at"`
	LastStatus ReportRunStatus `json:"last_status"`
	LastError  string          `json:"last_error"`
	Failures   int             `json:"failures"`
	CreatedAt  time.Time       `json:"created_at"`
}

// Validate checks the schedule's own fields and normalises its
// addresses.
func (s *ReportSchedule) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	if err := checkName("name", s.Name, 100); err != nil {
		return err
	}
	if !s.Report.Valid() {
		return FieldError(ErrInvalidField, "report", "report must be one of attendance, pauses, dispositions, queues")
	}
	switch s.Frequency {
	case Daily:
	case Weekly:
		if s.Weekday < 0 || s.Weekday > 6 {
			return FieldError(ErrInvalidField, "weekday", "weekday must be from 0 (Sunday) to 6 (Saturday)")
		}
	case Monthly:
		if s.MonthDay < 1 || s.MonthDay > MaxMonthDay {
			return FieldError(ErrInvalidField, "month_day", "month_day must be from 1 to %d, a day every month has", MaxMonthDay)
		}
	default:
		return FieldError(ErrInvalidField, "frequency", "frequency must be daily, weekly or monthly")
	}
	if s.Hour < 0 || s.Hour > 23 {
		return FieldError(ErrInvalidField, "hour", "hour must be from 0 to 23")
	}
	if len(s.Recipients) == 0 {
		return FieldError(ErrFieldRequired, "recipients", "a schedule needs at least one address to send to")
	}
	if len(s.Recipients) > MaxReportRecipients {
		return FieldError(ErrInvalidField, "recipients", "a schedule sends to at most %d addresses", MaxReportRecipients)
	}
	seen := map[string]bool{}
	for i, r := range s.Recipients {
		f := fmt.Sprintf("recipients[%d]", i)
		addr, err := checkEmail(f, r)
		if err != nil {
			return err
		}
		if seen[strings.ToLower(addr)] {
			return FieldError(ErrInvalidField, f, "%s appears twice", addr)
		}
		seen[strings.ToLower(addr)] = true
		s.Recipients[i] = addr
	}
	return nil
}

// checkEmail returns the bare address of v (user@host), or a field
// error: a name with it ("Ann <ann@example.com>"), a header injection or
// anything net/mail refuses is not an address.
func checkEmail(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", FieldError(ErrFieldRequired, field, "%s is required", field)
	}
	if len(v) > 254 || strings.ContainsAny(v, "\r\n<>\" ,;") {
		return "", FieldError(ErrInvalidField, field, "%q is not an e-mail address (user@example.com)", v)
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v || !strings.Contains(v[strings.LastIndexByte(v, '@')+1:], ".") {
		return "", FieldError(ErrInvalidField, field, "%q is not an e-mail address (user@example.com)", v)
	}
	return a.Address, nil
}

// NextRun returns the first time after t, in loc, that the schedule
// sends: its hour on every day, on its weekday, or on its day of the
// month. An hour a daylight-saving change skips moves on as time.Date
// moves it.
func (s *ReportSchedule) NextRun(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	for d := 0; d < 400; d++ {
		day := time.Date(l.Year(), l.Month(), l.Day()+d, 0, 0, 0, 0, loc)
		switch s.Frequency {
		case Weekly:
			if int(day.Weekday()) != s.Weekday {
				continue
			}
		case Monthly:
			if day.Day() != s.MonthDay {
				continue
			}
		}
		if at := time.Date(day.Year(), day.Month(), day.Day(), s.Hour, 0, 0, 0, loc); at.After(t) {
			return at
		}
	}
	// Unreachable for a valid schedule: every month has its day.
	return t.Add(24 * time.Hour)
}

// Period returns the local dates (first and last, both included) the
// report sent at run covers: the day before run's day, the seven days
// before it, or the calendar month before it.
func (s *ReportSchedule) Period(run time.Time, loc *time.Location) (from, to time.Time) {
	l := run.In(loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	switch s.Frequency {
	case Weekly:
		return day.AddDate(0, 0, -7), day.AddDate(0, 0, -1)
	case Monthly:
		first := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, time.UTC)
		return first.AddDate(0, -1, 0), first.AddDate(0, 0, -1)
	}
	return day.AddDate(0, 0, -1), day.AddDate(0, 0, -1)
}

// ReportRun is what one send of a schedule did, for the store to record.
type ReportRun struct {
	At     time.Time
	Status ReportRunStatus
	Error  string
	// Next is when the schedule sends next: its next period after a send
	// (or after giving up on this one), a retry after a failure.
	Next time.Time
	// Due is the calendar time of the period owed after this run: Next
	// after a send, the failed period's time before a retry.
	Due time.Time
	// Failures is the count of failed tries of the period now due.
	Failures int
}

// ReportScheduleService manages the report schedules of the caller's
// account. DueReportSchedules, ClaimReportSchedule and RecordReportRun
// are the scheduler's, across accounts.
type ReportScheduleService interface {
	CreateReportSchedule(ctx context.Context, s *ReportSchedule) error
	FindReportScheduleByID(ctx context.Context, id int64) (*ReportSchedule, error)
	ListReportSchedules(ctx context.Context) ([]*ReportSchedule, error)
	// UpdateReportSchedule lets fn change a schedule; when its calendar
	// or enabled flag changes, NextRunAt is set to next (nil: disabled).
	UpdateReportSchedule(ctx context.Context, id int64, fn func(*ReportSchedule) error, next func(*ReportSchedule) *time.Time) (*ReportSchedule, error)
	DeleteReportSchedule(ctx context.Context, id int64) error

	// DueReportSchedules returns the enabled schedules of every account
	// whose NextRunAt is at or before now, oldest first, at most limit.
	DueReportSchedules(ctx context.Context, now time.Time, limit int) ([]*ReportSchedule, error)
	// ClaimReportSchedule moves a due schedule's NextRunAt from was to
	// until, and reports whether it did: false when another scheduler
	// claimed it first or it changed meanwhile. A claim that is never
	// recorded (the process died) expires at until, and the send is tried
	// again.
	ClaimReportSchedule(ctx context.Context, accountID, id int64, was, until time.Time) (bool, error)
	// RecordReportRun stores how a send went and when the next is due.
	RecordReportRun(ctx context.Context, accountID, id int64, run ReportRun) error
}

// SMTPSecurity is how the connection to the mail server is protected.
type SMTPSecurity string

// The security modes: STARTTLS on a plain connection (port 587), TLS
// from the first byte (port 465), or none (a relay on a private network,
// never with credentials).
const (
	SMTPStartTLS SMTPSecurity = "starttls"
	SMTPTLS      SMTPSecurity = "tls"
	SMTPNone     SMTPSecurity = "none"
)

// SMTPSecurities lists every security mode.
var SMTPSecurities = []SMTPSecurity{SMTPStartTLS, SMTPTLS, SMTPNone}

// SMTPSettings is the account's mail server for automated reports.
type SMTPSettings struct {
	AccountID int64        `json:"-"`
	Host      string       `json:"host"`
	Port      int          `json:"port"`
	Security  SMTPSecurity `json:"security"`
	Username  string       `json:"username"`
	// Password is never shown: the API answers with PasswordSet.
	Password    string    `json:"-"`
	PasswordSet bool      `json:"password_set"`
	From        string    `json:"from"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Configured reports whether the account has a mail server set.
func (m *SMTPSettings) Configured() bool { return m != nil && m.Host != "" }

// Validate checks the settings.
func (m *SMTPSettings) Validate() error {
	m.Host = strings.TrimSpace(m.Host)
	m.Username = strings.TrimSpace(m.Username)
	if m.Host == "" {
		return FieldError(ErrFieldRequired, "host", "host is required: the mail server's name or address")
	}
	if len(m.Host) > 253 || strings.ContainsAny(m.Host, " /:@\r\n\t") {
		return FieldError(ErrInvalidField, "host", "host must be a name or an address, without port or scheme")
	}
	if m.Port < 1 || m.Port > 65535 {
		return FieldError(ErrInvalidField, "port", "port must be from 1 to 65535 (587 for STARTTLS, 465 for TLS)")
	}
	switch m.Security {
	case SMTPStartTLS, SMTPTLS, SMTPNone:
	default:
		return FieldError(ErrInvalidField, "security", "security must be starttls, tls or none")
	}
	if len(m.Username) > 256 || strings.ContainsAny(m.Username, "\r\n") {
		return FieldError(ErrInvalidField, "username", "username is at most 256 characters on one line")
	}
	if len(m.Password) > 256 || strings.ContainsAny(m.Password, "\r\n") {
		return FieldError(ErrInvalidField, "password", "password is at most 256 characters on one line")
	}
	if m.Username == "" && m.Password != "" {
		return FieldError(ErrFieldRequired, "username", "a password needs its username")
	}
	if m.Username != "" && m.Security == SMTPNone {
		return FieldError(ErrInvalidField, "security", "credentials are only sent over TLS: choose starttls or tls, or remove the username")
	}
	from, err := checkEmail("from", m.From)
	if err != nil {
		return err
	}
	m.From = from
	m.PasswordSet = m.Password != ""
	return nil
}

// SMTPSettingsService keeps the caller's account's mail server.
type SMTPSettingsService interface {
	// FindSMTPSettings returns the account's settings, password
	// included; ErrNotFound when none are set.
	FindSMTPSettings(ctx context.Context) (*SMTPSettings, error)
	// PutSMTPSettings lets fn change the settings (a zero value when
	// there are none yet) and stores them.
	PutSMTPSettings(ctx context.Context, fn func(*SMTPSettings) error) (*SMTPSettings, error)
	// DeleteSMTPSettings removes them; schedules then fail until set.
	DeleteSMTPSettings(ctx context.Context) error
}
