-- Automated reports: the schedules that mail a report to a list of
-- addresses, and each account's mail server. The SMTP password is sealed
-- like the trunks' passwords. next_run_at is the scheduler's queue and
-- claim: a scheduler moves it forward before sending (see
-- ClaimReportSchedule), so two servers never send the same period;
-- due_at is the calendar time of the period owed, kept across retries.

CREATE TABLE report_schedules (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id  INTEGER NOT NULL REFERENCES accounts (id),
	name        TEXT NOT NULL,
	name_key    TEXT NOT NULL,
	report      TEXT NOT NULL,
	frequency   TEXT NOT NULL,
	weekday     INTEGER NOT NULL,
	month_day   INTEGER NOT NULL,
	hour        INTEGER NOT NULL,
	recipients  TEXT NOT NULL,
	enabled     BOOLEAN NOT NULL,
	next_run_at BIGINT,
	due_at      BIGINT,
	last_run_at BIGINT,
	last_status TEXT NOT NULL,
	last_error  TEXT NOT NULL,
	failures    INTEGER NOT NULL,
	created_at  BIGINT NOT NULL,
	UNIQUE (account_id, name_key)
);

CREATE INDEX report_schedules_due ON report_schedules (next_run_at) WHERE enabled;

CREATE TABLE smtp_settings (
	account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
	host       TEXT NOT NULL,
	port       INTEGER NOT NULL,
	security   TEXT NOT NULL,
	username   TEXT NOT NULL,
	password   TEXT NOT NULL,
	from_addr  TEXT NOT NULL,
	updated_at BIGINT NOT NULL
);
