-- Integrated system webhooks (see docs/webhooks.md). An endpoint keeps a
-- cursor into its account's journal (cursor_seq); a delivery worker moves
-- it forward in the same transaction that puts the events the endpoint
-- wants into its outbox, so the outbox never disagrees with the journal.
-- A journal message is only its seq (the body is built from the journal
-- at each send); payload holds the body of a message that is not in the
-- journal (a test). lane is the event's extension (0: none): a lane's
-- messages go in order, lanes in parallel. A claimed message's
-- next_attempt_at is moved to the end of the claim, so a worker that dies
-- lets it go. The secrets are sealed like the trunks' passwords.

CREATE TABLE webhook_endpoints (
	id                     INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id             INTEGER NOT NULL REFERENCES accounts (id),
	url                    TEXT NOT NULL,
	description            TEXT NOT NULL,
	event_types            TEXT NOT NULL,
	extension_id           INTEGER REFERENCES extensions (id),
	enabled                BOOLEAN NOT NULL,
	disabled_reason        TEXT NOT NULL,
	disabled_at            BIGINT,
	secret                 TEXT NOT NULL,
	previous_secret        TEXT NOT NULL,
	previous_secret_until  BIGINT,
	cursor_seq             BIGINT NOT NULL,
	last_success_at        BIGINT,
	last_failure_at        BIGINT,
	created_at             BIGINT NOT NULL,
	updated_at             BIGINT NOT NULL
);

CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, id);
CREATE INDEX webhook_endpoints_enabled ON webhook_endpoints (id) WHERE enabled;

CREATE TABLE webhook_outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id      INTEGER NOT NULL REFERENCES accounts (id),
	endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id),
	seq             BIGINT NOT NULL,
	lane            BIGINT NOT NULL,
	event_type      TEXT NOT NULL,
	payload         TEXT NOT NULL,
	status          TEXT NOT NULL,
	attempts        INTEGER NOT NULL,
	next_attempt_at BIGINT NOT NULL,
	queued_at       BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL
);

CREATE UNIQUE INDEX webhook_outbox_seq ON webhook_outbox (endpoint_id, seq) WHERE seq > 0;
CREATE INDEX webhook_outbox_lanes ON webhook_outbox (endpoint_id, status, lane, id);
CREATE INDEX webhook_outbox_done ON webhook_outbox (updated_at) WHERE status <> 'pending';

CREATE TABLE webhook_attempts (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id      INTEGER NOT NULL REFERENCES accounts (id),
	endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id),
	message_id      TEXT NOT NULL,
	seq             BIGINT NOT NULL,
	event_type      TEXT NOT NULL,
	at              BIGINT NOT NULL,
	attempt         INTEGER NOT NULL,
	status          INTEGER NOT NULL,
	error           TEXT NOT NULL,
	latency_ms      BIGINT NOT NULL,
	response        TEXT NOT NULL,
	outcome         TEXT NOT NULL,
	next_attempt_at BIGINT
);

CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
CREATE INDEX webhook_attempts_at ON webhook_attempts (at);
