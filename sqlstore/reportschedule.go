package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/callfloor/callfloor"
)

// The automated reports' schedules and each account's mail server.

const scheduleColumns = `id, account_id, name, report, frequency, weekday, month_day, hour, recipients, enabled,
	next_run_at, due_at, last_run_at, last_status, last_error, failures, created_at`

func scanSchedule(sc scanner) (*callfloor.ReportSchedule, error) {
	var (
		rs                callfloor.ReportSchedule
		recipients        string
		next, due, last   sql.NullInt64
		created           int64
		report, freq, sts string
	)
	err := sc.Scan(&rs.ID, &rs.AccountID, &rs.Name, &report, &freq, &rs.Weekday, &rs.MonthDay, &rs.Hour, &recipients,
		&rs.Enabled, &next, &due, &last, &sts, &rs.LastError, &rs.Failures, &created)
	if err != nil {
		return nil, err
	}
	rs.Report, rs.Frequency, rs.LastStatus = callfloor.ReportKind(report), callfloor.Frequency(freq), callfloor.ReportRunStatus(sts)
	if err := json.Unmarshal([]byte(recipients), &rs.Recipients); err != nil {
		return nil, err
	}
	rs.NextRunAt, rs.DueAt, rs.LastRunAt, rs.CreatedAt = timePtr(next), timePtr(due), timePtr(last), fromMS(created)
	return &rs, nil
}

func loadSchedules(ctx context.Context, c conn, where string, args ...any) ([]*callfloor.ReportSchedule, error) {
	rows, err := c.query(ctx, `SELECT `+scheduleColumns+` FROM report_schedules WHERE `+where, args...)
	if err != nil {
		return nil, dbErr("load report schedules", err)
	}
	defer rows.Close()
	list := []*callfloor.ReportSchedule{}
	for rows.Next() {
		rs, err := scanSchedule(rows)
		if err != nil {
			return nil, dbErr("load report schedules", err)
		}
		list = append(list, rs)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("load report schedules", err)
	}
	return list, nil
}

func loadSchedule(ctx context.Context, c conn, account, id int64) (*callfloor.ReportSchedule, error) {
	list, err := loadSchedules(ctx, c, `account_id = ? AND id = ?`, account, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, notFound("report schedule", id)
	}
	return list[0], nil
}

func checkScheduleName(ctx context.Context, c conn, account int64, name string, self int64) error {
	taken, err := c.exists(ctx, `SELECT 1 FROM report_schedules WHERE account_id = ? AND name_key = ? AND id <> ?`, account, foldKey(name), self)
	if err != nil {
		return dbErr("check schedule name", err)
	}
	if taken {
		return callfloor.FieldError(callfloor.ErrNameTaken, "name", "another report schedule is named %q", name)
	}
	return nil
}

// CreateReportSchedule stores a schedule of the caller's account; its
// NextRunAt is stored as given (the caller computes it).
func (s *Store) CreateReportSchedule(ctx context.Context, rs *callfloor.ReportSchedule) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if err := rs.Validate(); err != nil {
		return err
	}
	recipients, _ := json.Marshal(rs.Recipients)
	now := truncMS(s.clock.Now())
	if rs.NextRunAt != nil {
		t := truncMS(*rs.NextRunAt)
		rs.NextRunAt = &t
	}
	rs.DueAt = rs.NextRunAt
	err = s.write(ctx, account, func(c conn) error {
		if err := checkScheduleName(ctx, c, account, rs.Name, 0); err != nil {
			return err
		}
		err := c.row(ctx, `INSERT INTO report_schedules (account_id, name, name_key, report, frequency, weekday, month_day, hour,
			recipients, enabled, next_run_at, due_at, last_status, last_error, failures, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', 0, ?) RETURNING id`,
			account, rs.Name, foldKey(rs.Name), string(rs.Report), string(rs.Frequency), rs.Weekday, rs.MonthDay, rs.Hour,
			string(recipients), rs.Enabled, msPtr(rs.NextRunAt), msPtr(rs.DueAt), toMS(now)).Scan(&rs.ID)
		if err != nil {
			return dbErr("insert report schedule", err)
		}
		return nil
	})
	if err != nil {
		rs.ID = 0
		return err
	}
	rs.AccountID, rs.CreatedAt, rs.LastStatus, rs.LastError, rs.Failures, rs.LastRunAt = account, now, "", "", 0, nil
	return nil
}

// FindReportScheduleByID returns one schedule of the caller's account.
func (s *Store) FindReportScheduleByID(ctx context.Context, id int64) (*callfloor.ReportSchedule, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var rs *callfloor.ReportSchedule
	err = s.read(ctx, func(c conn) (err error) {
		rs, err = loadSchedule(ctx, c, account, id)
		return err
	})
	return rs, err
}

// ListReportSchedules returns the caller's account's schedules by name.
func (s *Store) ListReportSchedules(ctx context.Context) ([]*callfloor.ReportSchedule, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var list []*callfloor.ReportSchedule
	err = s.read(ctx, func(c conn) (err error) {
		list, err = loadSchedules(ctx, c, `account_id = ? ORDER BY name_key, id`, account)
		return err
	})
	return list, err
}

// UpdateReportSchedule lets fn change a schedule; a change of calendar
// or of the enabled flag resets NextRunAt to next's answer and forgets
// the failures of the period that was due.
func (s *Store) UpdateReportSchedule(ctx context.Context, id int64, fn func(*callfloor.ReportSchedule) error,
	next func(*callfloor.ReportSchedule) *time.Time) (*callfloor.ReportSchedule, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.ReportSchedule
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadSchedule(ctx, c, account, id)
		if err != nil {
			return err
		}
		rs := *old
		rs.Recipients = append([]string{}, old.Recipients...)
		if err := fn(&rs); err != nil {
			return err
		}
		rs.ID, rs.AccountID, rs.CreatedAt = old.ID, old.AccountID, old.CreatedAt
		rs.LastRunAt, rs.LastStatus, rs.LastError, rs.Failures = old.LastRunAt, old.LastStatus, old.LastError, old.Failures
		if err := rs.Validate(); err != nil {
			return err
		}
		if err := checkScheduleName(ctx, c, account, rs.Name, id); err != nil {
			return err
		}
		rs.NextRunAt, rs.DueAt = old.NextRunAt, old.DueAt
		if rs.Enabled != old.Enabled || rs.Frequency != old.Frequency || rs.Weekday != old.Weekday ||
			rs.MonthDay != old.MonthDay || rs.Hour != old.Hour || rs.Report != old.Report {
			rs.NextRunAt, rs.Failures = next(&rs), 0
			if rs.NextRunAt != nil {
				t := truncMS(*rs.NextRunAt)
				rs.NextRunAt = &t
			}
			rs.DueAt = rs.NextRunAt
		}
		recipients, _ := json.Marshal(rs.Recipients)
		_, err = c.exec(ctx, `UPDATE report_schedules SET name = ?, name_key = ?, report = ?, frequency = ?, weekday = ?,
			month_day = ?, hour = ?, recipients = ?, enabled = ?, next_run_at = ?, due_at = ?, failures = ? WHERE account_id = ? AND id = ?`,
			rs.Name, foldKey(rs.Name), string(rs.Report), string(rs.Frequency), rs.Weekday, rs.MonthDay, rs.Hour,
			string(recipients), rs.Enabled, msPtr(rs.NextRunAt), msPtr(rs.DueAt), rs.Failures, account, id)
		if err != nil {
			return dbErr("update report schedule", err)
		}
		out = &rs
		return nil
	})
	return out, err
}

// DeleteReportSchedule removes a schedule; a send in progress finishes.
func (s *Store) DeleteReportSchedule(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM report_schedules WHERE account_id = ? AND id = ?`, account, id)
		if err != nil {
			return dbErr("delete report schedule", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("report schedule", id)
		}
		return nil
	})
}

// DueReportSchedules returns the enabled schedules of every account due
// at now, the longest due first.
func (s *Store) DueReportSchedules(ctx context.Context, now time.Time, limit int) ([]*callfloor.ReportSchedule, error) {
	var list []*callfloor.ReportSchedule
	err := s.read(ctx, func(c conn) (err error) {
		list, err = loadSchedules(ctx, c, `enabled AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at, id LIMIT ?`,
			toMS(now), limit)
		return err
	})
	return list, err
}

// ClaimReportSchedule moves NextRunAt from was to until when it still is
// was, in one statement: of two schedulers, one wins.
func (s *Store) ClaimReportSchedule(ctx context.Context, accountID, id int64, was, until time.Time) (bool, error) {
	var won bool
	err := s.write(ctx, 0, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE report_schedules SET next_run_at = ? WHERE account_id = ? AND id = ? AND enabled AND next_run_at = ?`,
			toMS(until), accountID, id, toMS(was))
		if err != nil {
			return dbErr("claim report schedule", err)
		}
		n, err := res.RowsAffected()
		won = n == 1
		return err
	})
	return won, err
}

// RecordReportRun stores a send's result and the schedule's next run; a
// schedule disabled meanwhile stays disabled (no next run).
func (s *Store) RecordReportRun(ctx context.Context, accountID, id int64, run callfloor.ReportRun) error {
	return s.write(ctx, 0, func(c conn) error {
		_, err := c.exec(ctx, `UPDATE report_schedules SET last_run_at = ?, last_status = ?, last_error = ?, failures = ?,
			next_run_at = CASE WHEN enabled THEN CAST(? AS BIGINT) ELSE NULL END,
			due_at = CASE WHEN enabled THEN CAST(? AS BIGINT) ELSE NULL END WHERE account_id = ? AND id = ?`,
			toMS(run.At), string(run.Status), run.Error, run.Failures, toMS(run.Next), toMS(run.Due), accountID, id)
		if err != nil {
			return dbErr("record report run", err)
		}
		return nil
	})
}

// FindSMTPSettings returns the caller's account's mail server, its
// password opened.
func (s *Store) FindSMTPSettings(ctx context.Context) (*callfloor.SMTPSettings, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var m *callfloor.SMTPSettings
	err = s.read(ctx, func(c conn) (err error) {
		m, err = loadSMTP(ctx, c, account)
		return err
	})
	return m, err
}

func loadSMTP(ctx context.Context, c conn, account int64) (*callfloor.SMTPSettings, error) {
	m := &callfloor.SMTPSettings{AccountID: account}
	var sec string
	var updated int64
	err := c.row(ctx, `SELECT host, port, security, username, password, from_addr, updated_at FROM smtp_settings WHERE account_id = ?`,
		account).Scan(&m.Host, &m.Port, &sec, &m.Username, &m.Password, &m.From, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "the account has no mail server set")
	}
	if err != nil {
		return nil, dbErr("load SMTP settings", err)
	}
	if m.Password, err = c.box.open(m.Password); err != nil {
		return nil, dbErr("open SMTP password", err)
	}
	m.Security, m.UpdatedAt, m.PasswordSet = callfloor.SMTPSecurity(sec), fromMS(updated), m.Password != ""
	return m, nil
}

// PutSMTPSettings lets fn change the account's mail server (a zero value
// the first time) and stores it, the password sealed.
func (s *Store) PutSMTPSettings(ctx context.Context, fn func(*callfloor.SMTPSettings) error) (*callfloor.SMTPSettings, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.SMTPSettings
	err = s.write(ctx, account, func(c conn) error {
		m, err := loadSMTP(ctx, c, account)
		if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
			m, err = &callfloor.SMTPSettings{AccountID: account}, nil
		}
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
		m.AccountID, m.UpdatedAt = account, truncMS(s.clock.Now())
		if err := m.Validate(); err != nil {
			return err
		}
		sealed, err := c.box.seal(m.Password)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, `DELETE FROM smtp_settings WHERE account_id = ?`, account); err != nil {
			return dbErr("replace SMTP settings", err)
		}
		_, err = c.exec(ctx, `INSERT INTO smtp_settings (account_id, host, port, security, username, password, from_addr, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, account, m.Host, m.Port, string(m.Security), m.Username, sealed, m.From, toMS(m.UpdatedAt))
		if err != nil {
			return dbErr("store SMTP settings", err)
		}
		out = m
		return nil
	})
	return out, err
}

// DeleteSMTPSettings forgets the caller's account's mail server.
func (s *Store) DeleteSMTPSettings(ctx context.Context) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM smtp_settings WHERE account_id = ?`, account)
		if err != nil {
			return dbErr("delete SMTP settings", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return callfloor.Errorf(callfloor.ErrNotFound, "the account has no mail server set")
		}
		return nil
	})
}
