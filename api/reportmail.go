package api

import (
	"net/http"
	"time"

	"github.com/callfloor/callfloor"
)

// Automated reports: the account's mail server and the schedules that
// mail a report to a list of addresses. The sending itself is in
// reportrender.go; the calendar is kept by package reportsched.

func reportMailRoutes() []route {
	const (
		ok      = http.StatusOK
		created = http.StatusCreated
		none    = http.StatusNoContent
	)
	return []route{
		{"GET", "/api/v1/settings/smtp", admin, ok, "getSMTPSettings", "automated-reports",
			"The account's mail server for automated reports (host empty: none set); the password is never shown", read((*Server).getSMTP)},
		{"PUT", "/api/v1/settings/smtp", admin, ok, "putSMTPSettings", "automated-reports",
			"Replace the account's mail server settings; an omitted password keeps the stored one (a username is needed for it)", write((*Server).putSMTP)},
		{"DELETE", "/api/v1/settings/smtp", admin, none, "deleteSMTPSettings", "automated-reports",
			"Forget the account's mail server; schedules fail until one is set", read((*Server).deleteSMTP)},
		{"POST", "/api/v1/settings/smtp/test", admin, none, "testSMTPSettings", "automated-reports",
			"Send a test message through the stored mail server; a failure says which step failed and what the server answered", write((*Server).testSMTP)},

		{"GET", "/api/v1/report-schedules", admin, ok, "listReportSchedules", "automated-reports", "List the account's report schedules", read((*Server).listSchedules)},
		{"POST", "/api/v1/report-schedules", admin, created, "createReportSchedule", "automated-reports",
			"Schedule a report: daily, weekly or monthly at an hour of the account's time zone, to a list of addresses", write((*Server).createSchedule)},
		{"GET", "/api/v1/report-schedules/{id}", admin, ok, "getReportSchedule", "automated-reports", "Get a report schedule with how its last send went", read((*Server).getSchedule)},
		{"PATCH", "/api/v1/report-schedules/{id}", admin, ok, "updateReportSchedule", "automated-reports",
			"Change a report schedule; a new calendar moves its next send", write((*Server).updateSchedule)},
		{"DELETE", "/api/v1/report-schedules/{id}", admin, none, "deleteReportSchedule", "automated-reports", "Delete a report schedule", read((*Server).deleteSchedule)},
		{"POST", "/api/v1/report-schedules/{id}/send", admin, ok, "sendReportSchedule", "automated-reports",
			"Send the schedule's report now, for its last complete period, and record how it went; the calendar is unchanged", read((*Server).sendScheduleNow)},
	}
}

// smtpInput is the writable part of the mail server settings. Password
// is write-only: nil (omitted or null) keeps the stored one, "" clears it.
type smtpInput struct {
	Host     string                 `json:"host" api:"required"`
	Port     int                    `json:"port" api:"required"`
	Security callfloor.SMTPSecurity `json:"security" api:"required"`
	Username string                 `json:"username"`
	Password *string                `json:"password"`
	From     string                 `json:"from" api:"required"`
}

func (smtpInput) resource() any { return callfloor.SMTPSettings{} }

func (s *Server) getSMTP(_ http.ResponseWriter, r *http.Request) (*callfloor.SMTPSettings, error) {
	m, err := s.store.FindSMTPSettings(r.Context())
	if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
		return &callfloor.SMTPSettings{Port: 587, Security: callfloor.SMTPStartTLS}, nil
	}
	return m, err
}

func (s *Server) putSMTP(_ http.ResponseWriter, r *http.Request, dec decoder[smtpInput]) (*callfloor.SMTPSettings, error) {
	return s.store.PutSMTPSettings(r.Context(), func(m *callfloor.SMTPSettings) error {
		var in smtpInput // a PUT replaces every field but the password
		if err := dec(&in); err != nil {
			return err
		}
		m.Host, m.Port, m.Security, m.Username, m.From = in.Host, in.Port, in.Security, in.Username, in.From
		switch {
		case in.Password != nil:
			m.Password = *in.Password
		case m.Username == "":
			m.Password = "" // no login: the stored password goes too
		}
		return nil
	})
}

func (s *Server) deleteSMTP(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	return noContent{}, s.store.DeleteSMTPSettings(r.Context())
}

// smtpTestInput names where the test message goes.
type smtpTestInput struct {
	To string `json:"to" api:"required"`
}

func (s *Server) testSMTP(_ http.ResponseWriter, r *http.Request, dec decoder[smtpTestInput]) (noContent, error) {
	var in smtpTestInput
	if err := dec(&in); err != nil {
		return noContent{}, err
	}
	probe := callfloor.ReportSchedule{Name: "test", Report: callfloor.ReportAttendance, Frequency: callfloor.Daily,
		Recipients: []string{in.To}}
	if err := probe.Validate(); err != nil {
		return noContent{}, callfloor.FieldError(callfloor.ErrInvalidField, "to", "%s", callfloor.ErrorMessage(err))
	}
	return noContent{}, s.sendTestMail(r.Context(), actorOf(r).AccountID, probe.Recipients[0])
}

// scheduleInput is the writable part of a report schedule.
type scheduleInput struct {
	Name       string               `json:"name" api:"required"`
	Report     callfloor.ReportKind `json:"report" api:"required"`
	Frequency  callfloor.Frequency  `json:"frequency" api:"required"`
	Weekday    int                  `json:"weekday"`
	MonthDay   int                  `json:"month_day"`
	Hour       int                  `json:"hour"`
	Recipients []string             `json:"recipients" api:"required"`
	Enabled    bool                 `json:"enabled"`
}

func (scheduleInput) resource() any { return callfloor.ReportSchedule{} }

func (in *scheduleInput) to(rs *callfloor.ReportSchedule) {
	rs.Name, rs.Report, rs.Frequency, rs.Weekday, rs.MonthDay = in.Name, in.Report, in.Frequency, in.Weekday, in.MonthDay
	rs.Hour, rs.Recipients, rs.Enabled = in.Hour, in.Recipients, in.Enabled
}

// nextRun is when an enabled schedule first sends from now, in the
// account's time zone; nil for a disabled one.
func (s *Server) nextRun(r *http.Request) (func(*callfloor.ReportSchedule) *time.Time, error) {
	acc, err := s.store.FindAccountByID(r.Context(), actorOf(r).AccountID)
	if err != nil {
		return nil, err
	}
	loc, now := acc.Location(), s.clock.Now()
	return func(rs *callfloor.ReportSchedule) *time.Time {
		if !rs.Enabled {
			return nil
		}
		t := rs.NextRun(now, loc)
		return &t
	}, nil
}

func (s *Server) listSchedules(_ http.ResponseWriter, r *http.Request) (list[*callfloor.ReportSchedule], error) {
	return listOf(s.store.ListReportSchedules(r.Context()))
}

func (s *Server) getSchedule(_ http.ResponseWriter, r *http.Request) (*callfloor.ReportSchedule, error) {
	id, err := pathID(r, "report schedule")
	if err != nil {
		return nil, err
	}
	return s.store.FindReportScheduleByID(r.Context(), id)
}

func (s *Server) createSchedule(_ http.ResponseWriter, r *http.Request, dec decoder[scheduleInput]) (*callfloor.ReportSchedule, error) {
	in := scheduleInput{Weekday: 1, MonthDay: 1, Hour: 7, Enabled: true, Recipients: []string{}}
	if err := dec(&in); err != nil {
		return nil, err
	}
	next, err := s.nextRun(r)
	if err != nil {
		return nil, err
	}
	rs := &callfloor.ReportSchedule{}
	in.to(rs)
	if err := rs.Validate(); err != nil {
		return nil, err
	}
	rs.NextRunAt = next(rs)
	if err := s.store.CreateReportSchedule(r.Context(), rs); err != nil {
		return nil, err
	}
	return rs, nil
}

func (s *Server) updateSchedule(_ http.ResponseWriter, r *http.Request, dec decoder[scheduleInput]) (*callfloor.ReportSchedule, error) {
	id, err := pathID(r, "report schedule")
	if err != nil {
		return nil, err
	}
	next, err := s.nextRun(r)
	if err != nil {
		return nil, err
	}
	return s.store.UpdateReportSchedule(r.Context(), id, func(rs *callfloor.ReportSchedule) error {
		in := scheduleInput{Name: rs.Name, Report: rs.Report, Frequency: rs.Frequency, Weekday: rs.Weekday,
			MonthDay: rs.MonthDay, Hour: rs.Hour, Recipients: rs.Recipients, Enabled: rs.Enabled}
		if err := dec(&in); err != nil {
			return err
		}
		in.to(rs)
		return nil
	}, next)
}

func (s *Server) deleteSchedule(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "report schedule")
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.store.DeleteReportSchedule(r.Context(), id)
}

// sendScheduleNow sends the report as the scheduler would have at this
// moment, records the outcome on the schedule and answers with it; a
// failed send is recorded too, and answered with its error.
func (s *Server) sendScheduleNow(_ http.ResponseWriter, r *http.Request) (*callfloor.ReportSchedule, error) {
	id, err := pathID(r, "report schedule")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	rs, err := s.store.FindReportScheduleByID(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	sendErr := s.DeliverReport(ctx, rs, now)
	run := callfloor.ReportRun{At: now, Status: callfloor.RunSent, Failures: rs.Failures, Next: now, Due: now}
	if rs.NextRunAt != nil && rs.DueAt != nil {
		run.Next, run.Due = *rs.NextRunAt, *rs.DueAt
	}
	if sendErr != nil {
		run.Status, run.Error = callfloor.RunFailed, callfloor.ErrorMessage(sendErr)
	}
	if err := s.store.RecordReportRun(ctx, rs.AccountID, rs.ID, run); err != nil {
		return nil, err
	}
	if sendErr != nil {
		return nil, sendErr
	}
	return s.store.FindReportScheduleByID(ctx, id)
}
