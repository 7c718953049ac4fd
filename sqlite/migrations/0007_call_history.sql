-- The call history: one row per call and agent, a projection of the
-- journal (package history) that the workspace's Most Recent Activity and
-- the supervisors' call list read. It can be dropped and rebuilt from the
-- journal at any time; call_history_cursors says how far each account's
-- rows have folded its journal.

CREATE TABLE call_history (
	account_id   INTEGER NOT NULL REFERENCES accounts (id),
	extension_id INTEGER NOT NULL,
	call_id      TEXT NOT NULL,
	direction    TEXT NOT NULL,
	number       TEXT NOT NULL,
	queue_id     INTEGER NOT NULL,
	campaign_id  INTEGER NOT NULL,
	start_at     BIGINT NOT NULL,
	answered_at  BIGINT,
	ended_at     BIGINT,
	end_reason   TEXT NOT NULL,
	category     TEXT NOT NULL,
	outcome      TEXT NOT NULL,
	notes        TEXT NOT NULL,
	tags         TEXT NOT NULL,
	incomplete   BOOLEAN NOT NULL,
	seq          INTEGER NOT NULL,
	PRIMARY KEY (account_id, extension_id, call_id)
);

CREATE INDEX call_history_start ON call_history (account_id, start_at, call_id);
CREATE INDEX call_history_agent ON call_history (account_id, extension_id, start_at, call_id);

CREATE TABLE call_history_cursors (
	account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
	seq        INTEGER NOT NULL
);
