-- The floor's journal: every event the floor engine accepted, in order per
-- account. Recovery, reports and webhooks are built from it. body is the
-- event as JSON; the other columns are for lookups.

CREATE TABLE journal (
	account_id   BIGINT NOT NULL REFERENCES accounts (id),
	seq          BIGINT NOT NULL,
	at           BIGINT NOT NULL,
	type         TEXT NOT NULL,
	extension_id BIGINT NOT NULL,
	body         TEXT NOT NULL,
	PRIMARY KEY (account_id, seq)
);

CREATE INDEX journal_extension ON journal (account_id, extension_id, at);
