-- The reports' daily rollups.
--
-- report_daily counts the calls with a disposition per local date, agent,
-- queue or campaign, category and outcome: the disposition report reads
-- it rather than every call. It is part of the call history's projection
-- of the journal (package history): the projector changes it in the same
-- transaction as the rows it counts, and it is dropped and rebuilt with
-- them. Its dates are in the zone on the account's cursor, the account's
-- when they were made; a cursor in another zone than the account's now
-- makes the projector rebuild the account's call history and rollups
-- from the journal. The cursors made before this table have the zone '',
-- so each account is rebuilt once, with its rollups.
--
-- attendance_days keeps one agent's time and attendance summary of one
-- past local date (JSON, see api), folded from the journal the first time
-- a day's team report asks for it, valid for the zone it names. The
-- cursor's last_at is the latest time of the events the projector has
-- folded; late_seq the last event that came dated before last_at's date
-- (a timer journaled when the floor starts again after a stop): the
-- projector then drops the kept days from that event's date on, and days
-- folded before it are not kept.

CREATE TABLE report_daily (
	account_id   INTEGER NOT NULL REFERENCES accounts (id),
	local_date   TEXT NOT NULL,
	extension_id INTEGER NOT NULL,
	queue_id     INTEGER NOT NULL,
	campaign_id  INTEGER NOT NULL,
	category     TEXT NOT NULL,
	outcome      TEXT NOT NULL,
	calls        INTEGER NOT NULL,
	PRIMARY KEY (account_id, local_date, extension_id, queue_id, campaign_id, category, outcome)
);

ALTER TABLE call_history_cursors ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE call_history_cursors ADD COLUMN last_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE call_history_cursors ADD COLUMN late_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE attendance_days (
	account_id   INTEGER NOT NULL REFERENCES accounts (id),
	local_date   TEXT NOT NULL,
	extension_id INTEGER NOT NULL,
	time_zone    TEXT NOT NULL,
	summary      TEXT NOT NULL,
	PRIMARY KEY (account_id, local_date, extension_id)
);
