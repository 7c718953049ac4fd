-- callfloor configuration tables. Times are Unix milliseconds; *_key
-- columns hold the lower-cased name that uniqueness and ordering use.

CREATE TABLE accounts (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	name           TEXT NOT NULL,
	name_key       TEXT NOT NULL UNIQUE,
	time_zone      TEXT NOT NULL,
	licence_kind   TEXT NOT NULL,
	agent_licences INTEGER NOT NULL,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);

CREATE TABLE caller_id_pools (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	name       TEXT NOT NULL,
	name_key   TEXT NOT NULL,
	UNIQUE (account_id, name_key)
);

CREATE TABLE caller_id_numbers (
	pool_id    INTEGER NOT NULL REFERENCES caller_id_pools (id) ON DELETE CASCADE,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	position   INTEGER NOT NULL,
	number     TEXT NOT NULL,
	PRIMARY KEY (pool_id, position)
);

CREATE TABLE extensions (
	id                     INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id             INTEGER NOT NULL REFERENCES accounts (id),
	number                 TEXT NOT NULL,
	name                   TEXT NOT NULL,
	sip_username           TEXT NOT NULL UNIQUE,
	sip_ha1                TEXT NOT NULL,
	sip_ha1_sha256         TEXT NOT NULL,
	queues_feature         BOOLEAN NOT NULL,
	agent_enabled          BOOLEAN NOT NULL,
	phone_engine           TEXT NOT NULL,
	outbound_queue_id      INTEGER REFERENCES queues (id),
	permissions            TEXT NOT NULL, -- JSON object of callfloor.Permissions
	auto_answer            TEXT NOT NULL,
	wrapup_timeout_seconds INTEGER NOT NULL,
	caller_id_pool_id      INTEGER REFERENCES caller_id_pools (id),
	randomise_caller_id    BOOLEAN NOT NULL,
	created_at             BIGINT NOT NULL,
	updated_at             BIGINT NOT NULL,
	UNIQUE (account_id, number)
);
CREATE INDEX extensions_outbound_queue ON extensions (outbound_queue_id);
CREATE INDEX extensions_caller_id_pool ON extensions (caller_id_pool_id);

CREATE TABLE users (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id     INTEGER NOT NULL REFERENCES accounts (id),
	username       TEXT NOT NULL,
	name           TEXT NOT NULL,
	email          TEXT NOT NULL,
	role           TEXT NOT NULL,
	extension_id   INTEGER UNIQUE REFERENCES extensions (id),
	disabled       BOOLEAN NOT NULL,
	password_hash  TEXT NOT NULL,
	login_failures INTEGER NOT NULL DEFAULT 0,
	locked_until   BIGINT,
	last_login_at  BIGINT,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL,
	UNIQUE (account_id, username)
);

CREATE TABLE sessions (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id  INTEGER NOT NULL REFERENCES accounts (id),
	user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash  BLOB NOT NULL UNIQUE,
	remote_addr TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id   INTEGER NOT NULL REFERENCES accounts (id),
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	token_hash   BLOB NOT NULL UNIQUE,
	last_used_at BIGINT,
	created_at   BIGINT NOT NULL
);
CREATE INDEX api_tokens_account ON api_tokens (account_id, name);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE pause_reasons (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id        INTEGER NOT NULL REFERENCES accounts (id),
	name              TEXT NOT NULL,
	name_key          TEXT NOT NULL,
	code              INTEGER NOT NULL,
	threshold_seconds INTEGER NOT NULL,
	productive        BOOLEAN NOT NULL,
	system            BOOLEAN NOT NULL,
	UNIQUE (account_id, code),
	UNIQUE (account_id, name_key)
);

CREATE TABLE queues (
	id                    INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id            INTEGER NOT NULL REFERENCES accounts (id),
	number                TEXT NOT NULL,
	name                  TEXT NOT NULL,
	strategy              TEXT NOT NULL,
	ring_timeout_seconds  INTEGER NOT NULL,
	max_wait_seconds      INTEGER NOT NULL,
	max_callers           INTEGER NOT NULL,
	overflow_action       TEXT NOT NULL,
	overflow_queue_id     INTEGER REFERENCES queues (id),
	overflow_extension_id INTEGER REFERENCES extensions (id),
	service_level_seconds INTEGER NOT NULL,
	missed_offers_pause   INTEGER NOT NULL,
	announce_position     BOOLEAN NOT NULL,
	dispositions_enabled  BOOLEAN NOT NULL,
	created_at            BIGINT NOT NULL,
	updated_at            BIGINT NOT NULL,
	UNIQUE (account_id, number)
);
CREATE INDEX queues_overflow_queue ON queues (overflow_queue_id);
CREATE INDEX queues_overflow_extension ON queues (overflow_extension_id);

CREATE TABLE queue_members (
	queue_id     INTEGER NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
	extension_id INTEGER NOT NULL REFERENCES extensions (id) ON DELETE CASCADE,
	account_id   INTEGER NOT NULL REFERENCES accounts (id),
	penalty      INTEGER NOT NULL,
	PRIMARY KEY (queue_id, extension_id)
);
CREATE INDEX queue_members_extension ON queue_members (extension_id);

-- outcomes belong to a queue now and to a campaign later (campaign_id).
CREATE TABLE outcomes (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	queue_id   INTEGER REFERENCES queues (id) ON DELETE CASCADE,
	position   INTEGER NOT NULL,
	category   TEXT NOT NULL,
	name       TEXT NOT NULL,
	fail_scope TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outcomes_queue ON outcomes (queue_id, position);

CREATE TABLE directory_entries (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	name       TEXT NOT NULL,
	name_key   TEXT NOT NULL,
	number     TEXT NOT NULL,
	company    TEXT NOT NULL,
	notes      TEXT NOT NULL
);
CREATE INDEX directory_entries_account ON directory_entries (account_id, name_key);
