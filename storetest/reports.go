package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var reportTests = []test{
	{"ReportScheduleRoundTrip", testScheduleRoundTrip},
	{"ReportScheduleRules", testScheduleRules},
	{"ReportScheduleDueAndClaim", testScheduleDueAndClaim},
	{"ReportScheduleIsolation", testScheduleIsolation},
	{"SMTPSettings", testSMTPSettings},
}

func schedule(name string) *callfloor.ReportSchedule {
	return &callfloor.ReportSchedule{Name: name, Report: callfloor.ReportDispositions, Frequency: callfloor.Daily,
		Hour: 7, Recipients: []string{"manager@example.com"}, Enabled: true}
}

func mustSchedule(t *testing.T, st callfloor.Store, ctx context.Context, rs *callfloor.ReportSchedule, next time.Time) *callfloor.ReportSchedule {
	t.Helper()
	rs.NextRunAt = &next
	ok(t, st.CreateReportSchedule(ctx, rs))
	return rs
}

func testScheduleRoundTrip(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	next := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	rs := mustSchedule(t, st, ctx, &callfloor.ReportSchedule{Name: " Weekly pauses ", Report: callfloor.ReportPauses,
		Frequency: callfloor.Weekly, Weekday: 1, Hour: 7, Recipients: []string{" a@example.com", "b@example.org"}, Enabled: true}, next)
	if rs.ID == 0 || rs.Name != "Weekly pauses" || rs.Recipients[0] != "a@example.com" {
		t.Fatalf("created %+v: want an id, the trimmed name and addresses", rs)
	}
	got, err := st.FindReportScheduleByID(ctx, rs.ID)
	ok(t, err)
	same(t, "found schedule", got, rs)
	list, err := st.ListReportSchedules(ctx)
	ok(t, err)
	same(t, "listed schedules", list, []*callfloor.ReportSchedule{rs})

	// A new recipient list keeps the run; a new hour moves it.
	nextFn := func(*callfloor.ReportSchedule) *time.Time { t := next.Add(time.Hour); return &t }
	up, err := st.UpdateReportSchedule(ctx, rs.ID, func(x *callfloor.ReportSchedule) error {
		x.Recipients = []string{"c@example.com"}
		return nil
	}, nextFn)
	ok(t, err)
	if !up.NextRunAt.Equal(next) || up.Recipients[0] != "c@example.com" {
		t.Fatalf("after a recipients change: %+v, want next run kept at %v", up, next)
	}
	up, err = st.UpdateReportSchedule(ctx, rs.ID, func(x *callfloor.ReportSchedule) error { x.Hour = 8; return nil }, nextFn)
	ok(t, err)
	if !up.NextRunAt.Equal(next.Add(time.Hour)) {
		t.Fatalf("after an hour change the next run is %v, want %v", up.NextRunAt, next.Add(time.Hour))
	}
	got, err = st.FindReportScheduleByID(ctx, rs.ID)
	ok(t, err)
	same(t, "stored after update", got, up)

	// Disabling takes it off the calendar.
	up, err = st.UpdateReportSchedule(ctx, rs.ID, func(x *callfloor.ReportSchedule) error { x.Enabled = false; return nil },
		func(*callfloor.ReportSchedule) *time.Time { return nil })
	ok(t, err)
	if up.NextRunAt != nil {
		t.Fatalf("a disabled schedule has a next run %v", up.NextRunAt)
	}
	ok(t, st.DeleteReportSchedule(ctx, rs.ID))
	_, err = st.FindReportScheduleByID(ctx, rs.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteReportSchedule(ctx, rs.ID), callfloor.ErrNotFound, "")
}

func testScheduleRules(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	next := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	mustSchedule(t, st, ctx, schedule("Daily"), next)
	cases := []struct {
		name  string
		edit  func(*callfloor.ReportSchedule)
		code  string
		field string
	}{
		{"name taken, any case", func(s *callfloor.ReportSchedule) { s.Name = "DAILY" }, callfloor.ErrNameTaken, "name"},
		{"unknown report", func(s *callfloor.ReportSchedule) { s.Report = "sales" }, callfloor.ErrInvalidField, "report"},
		{"unknown frequency", func(s *callfloor.ReportSchedule) { s.Frequency = "hourly" }, callfloor.ErrInvalidField, "frequency"},
		{"weekday out of range", func(s *callfloor.ReportSchedule) { s.Frequency, s.Weekday = callfloor.Weekly, 7 }, callfloor.ErrInvalidField, "weekday"},
		{"day 31", func(s *callfloor.ReportSchedule) { s.Frequency, s.MonthDay = callfloor.Monthly, 31 }, callfloor.ErrInvalidField, "month_day"},
		{"hour 24", func(s *callfloor.ReportSchedule) { s.Hour = 24 }, callfloor.ErrInvalidField, "hour"},
		{"no recipients", func(s *callfloor.ReportSchedule) { s.Recipients = nil }, callfloor.ErrFieldRequired, "recipients"},
		{"not an address", func(s *callfloor.ReportSchedule) { s.Recipients = []string{"manager"} }, callfloor.ErrInvalidField, "recipients[0]"},
		{"header injection", func(s *callfloor.ReportSchedule) {
			s.Recipients = []string{"a@example.com", "b@example.com\r\nBcc: x@evil.test"}
		}, callfloor.ErrInvalidField, "recipients[1]"},
		{"duplicate address", func(s *callfloor.ReportSchedule) {
			s.Recipients = []string{"a@example.com", "A@example.com"}
		}, callfloor.ErrInvalidField, "recipients[1]"},
	}
	for _, tc := range cases {
		rs := schedule("Other")
		tc.edit(rs)
		wantErr(t, st.CreateReportSchedule(ctx, rs), tc.code, tc.field)
	}
	list, err := st.ListReportSchedules(ctx)
	ok(t, err)
	if len(list) != 1 {
		t.Fatalf("refused schedules were stored: %d schedules", len(list))
	}
}

func testScheduleDueAndClaim(t *testing.T, st callfloor.Store) {
	a, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	t0 := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	early := mustSchedule(t, st, ctx, schedule("Early"), t0)
	late := mustSchedule(t, st, other, schedule("Late"), t0.Add(time.Minute))
	mustSchedule(t, st, ctx, schedule("Tomorrow"), t0.Add(24*time.Hour))
	off := schedule("Off")
	off.Enabled = false
	ok(t, st.CreateReportSchedule(ctx, off))

	due, err := st.DueReportSchedules(context.Background(), t0.Add(time.Hour), 10)
	ok(t, err)
	if len(due) != 2 || due[0].ID != early.ID || due[1].ID != late.ID {
		t.Fatalf("due at 08:00: %s, want Early then Late (every account, oldest first)", show(due))
	}

	// Of two claims of one run, one wins.
	until := t0.Add(10 * time.Minute)
	won, err := st.ClaimReportSchedule(context.Background(), a.ID, early.ID, t0, until)
	ok(t, err)
	again, err := st.ClaimReportSchedule(context.Background(), a.ID, early.ID, t0, until)
	ok(t, err)
	if !won || again {
		t.Fatalf("claims: first %v, second %v; want only the first to win", won, again)
	}
	due, err = st.DueReportSchedules(context.Background(), t0.Add(5*time.Minute), 10)
	ok(t, err)
	if len(due) != 1 || due[0].ID != late.ID {
		t.Fatalf("a claimed schedule is still due: %s", show(due))
	}

	ran := time.Date(2026, 3, 2, 7, 0, 3, 0, time.UTC)
	ok(t, st.RecordReportRun(context.Background(), a.ID, early.ID, callfloor.ReportRun{
		At: ran, Status: callfloor.RunFailed, Error: "550 mailbox unavailable", Next: t0.Add(5 * time.Minute), Due: t0, Failures: 1}))
	got, err := st.FindReportScheduleByID(ctx, early.ID)
	ok(t, err)
	if got.LastStatus != callfloor.RunFailed || got.LastError != "550 mailbox unavailable" || got.Failures != 1 ||
		!got.LastRunAt.Equal(ran) || !got.NextRunAt.Equal(t0.Add(5*time.Minute)) || !got.DueAt.Equal(t0) {
		t.Fatalf("after a failed run: %s", show(got))
	}

	// A run recorded after the schedule was disabled leaves it disabled.
	_, err = st.UpdateReportSchedule(ctx, early.ID, func(x *callfloor.ReportSchedule) error { x.Enabled = false; return nil },
		func(*callfloor.ReportSchedule) *time.Time { return nil })
	ok(t, err)
	ok(t, st.RecordReportRun(context.Background(), a.ID, early.ID, callfloor.ReportRun{
		At: ran, Status: callfloor.RunSent, Next: t0.Add(24 * time.Hour), Due: t0.Add(24 * time.Hour)}))
	got, err = st.FindReportScheduleByID(ctx, early.ID)
	ok(t, err)
	if got.NextRunAt != nil || got.LastStatus != callfloor.RunSent {
		t.Fatalf("a run recorded on a disabled schedule: %s, want no next run", show(got))
	}
}

func testScheduleIsolation(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	rs := mustSchedule(t, st, ctx, schedule("Daily"), time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC))
	_, err := st.FindReportScheduleByID(other, rs.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, err = st.UpdateReportSchedule(other, rs.ID, func(*callfloor.ReportSchedule) error { return nil },
		func(*callfloor.ReportSchedule) *time.Time { return nil })
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteReportSchedule(other, rs.ID), callfloor.ErrNotFound, "")
	list, err := st.ListReportSchedules(other)
	ok(t, err)
	if len(list) != 0 {
		t.Fatalf("another account lists %s", show(list))
	}
	// A schedule of the same name is the other account's own.
	mustSchedule(t, st, other, schedule("Daily"), time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC))
}

func testSMTPSettings(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	_, err := st.FindSMTPSettings(ctx)
	wantErr(t, err, callfloor.ErrNotFound, "")

	set := func(m *callfloor.SMTPSettings) {
		m.Host, m.Port, m.Security, m.Username, m.Password, m.From = "smtp.example.com", 587, callfloor.SMTPStartTLS, "reports", "s3cret", "reports@example.com"
	}
	put, err := st.PutSMTPSettings(ctx, func(m *callfloor.SMTPSettings) error { set(m); return nil })
	ok(t, err)
	if !put.PasswordSet {
		t.Fatalf("stored settings say no password: %+v", put)
	}
	got, err := st.FindSMTPSettings(ctx)
	ok(t, err)
	if got.Host != "smtp.example.com" || got.Port != 587 || got.Password != "s3cret" || got.From != "reports@example.com" {
		t.Fatalf("found %+v, want what was stored, password included", got)
	}
	_, err = st.FindSMTPSettings(other)
	wantErr(t, err, callfloor.ErrNotFound, "")

	// Refused changes keep the stored settings.
	cases := []struct {
		name  string
		edit  func(*callfloor.SMTPSettings)
		code  string
		field string
	}{
		{"no host", func(m *callfloor.SMTPSettings) { m.Host = "" }, callfloor.ErrFieldRequired, "host"},
		{"host with a port", func(m *callfloor.SMTPSettings) { m.Host = "smtp.example.com:25" }, callfloor.ErrInvalidField, "host"},
		{"port 0", func(m *callfloor.SMTPSettings) { m.Port = 0 }, callfloor.ErrInvalidField, "port"},
		{"unknown security", func(m *callfloor.SMTPSettings) { m.Security = "ssl" }, callfloor.ErrInvalidField, "security"},
		{"credentials in clear", func(m *callfloor.SMTPSettings) { m.Security = callfloor.SMTPNone }, callfloor.ErrInvalidField, "security"},
		{"from not an address", func(m *callfloor.SMTPSettings) { m.From = "reports" }, callfloor.ErrInvalidField, "from"},
		{"password without user", func(m *callfloor.SMTPSettings) { m.Username = "" }, callfloor.ErrFieldRequired, "username"},
	}
	for _, tc := range cases {
		_, err := st.PutSMTPSettings(ctx, func(m *callfloor.SMTPSettings) error { tc.edit(m); return nil })
		wantErr(t, err, tc.code, tc.field)
	}
	got, err = st.FindSMTPSettings(ctx)
	ok(t, err)
	if got.Host != "smtp.example.com" || got.Password != "s3cret" {
		t.Fatalf("a refused change altered the settings: %+v", got)
	}

	ok(t, st.DeleteSMTPSettings(ctx))
	_, err = st.FindSMTPSettings(ctx)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteSMTPSettings(ctx), callfloor.ErrNotFound, "")
}
