-- Outbound campaigns: their settings, member agents, lists of leads, and
-- the account's do-not-call list. A campaign's custom fields, outcomes and
-- webhook buttons are small lists always read and written with it: they
-- are JSON columns. A lead's numbers and field values are JSON too;
-- lead_numbers indexes the numbers for duplicate checks and look-ups.

CREATE TABLE campaigns (
	id                      INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id              INTEGER NOT NULL REFERENCES accounts (id),
	name                    TEXT NOT NULL,
	name_key                TEXT NOT NULL,
	type                    TEXT NOT NULL,
	active                  BOOLEAN NOT NULL,
	hours_start             TEXT NOT NULL,
	hours_end               TEXT NOT NULL,
	hours_days              TEXT NOT NULL,
	time_zone               TEXT NOT NULL,
	country_code            TEXT NOT NULL,
	caller_id_pool_id       INTEGER REFERENCES caller_id_pools (id),
	random_caller_id        BOOLEAN NOT NULL,
	fields                  TEXT NOT NULL,
	script                  TEXT NOT NULL,
	outcomes                TEXT NOT NULL,
	allow_add_lead          BOOLEAN NOT NULL,
	allow_edit_lead         BOOLEAN NOT NULL,
	webhook_buttons         TEXT NOT NULL,
	preview_seconds         INTEGER NOT NULL,
	skip_allowed            BOOLEAN NOT NULL,
	max_ratio               REAL NOT NULL,
	abandon_target          REAL NOT NULL,
	max_attempts            INTEGER NOT NULL,
	retry_busy_minutes      INTEGER NOT NULL,
	retry_no_answer_minutes INTEGER NOT NULL,
	retry_machine_minutes   INTEGER NOT NULL,
	created_at              BIGINT NOT NULL,
	updated_at              BIGINT NOT NULL,
	UNIQUE (account_id, name_key)
);

CREATE TABLE campaign_members (
	campaign_id  INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
	account_id   INTEGER NOT NULL REFERENCES accounts (id),
	extension_id INTEGER NOT NULL REFERENCES extensions (id),
	position     INTEGER NOT NULL,
	on_hold      BOOLEAN NOT NULL,
	PRIMARY KEY (campaign_id, extension_id)
);

CREATE INDEX campaign_members_extension ON campaign_members (account_id, extension_id);

CREATE TABLE campaign_lists (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id  INTEGER NOT NULL REFERENCES accounts (id),
	campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
	name        TEXT NOT NULL,
	name_key    TEXT NOT NULL,
	active      BOOLEAN NOT NULL,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	UNIQUE (campaign_id, name_key)
);

CREATE INDEX campaign_lists_account ON campaign_lists (account_id, campaign_id);

-- next_at, last_tried_at and abandoned_at are 0 for "never".
CREATE TABLE leads (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id      INTEGER NOT NULL REFERENCES accounts (id),
	campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
	list_id         INTEGER NOT NULL REFERENCES campaign_lists (id),
	name            TEXT NOT NULL,
	numbers         TEXT NOT NULL,
	fields          TEXT NOT NULL,
	time_zone       TEXT NOT NULL,
	assigned_ext_id INTEGER,
	priority        INTEGER NOT NULL,
	status          TEXT NOT NULL,
	attempts        INTEGER NOT NULL,
	next_at         BIGINT NOT NULL,
	callback_ext_id INTEGER,
	last_tried_at   BIGINT NOT NULL,
	last_result     TEXT NOT NULL,
	abandoned_at    BIGINT NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL
);

CREATE INDEX leads_list ON leads (list_id, id);
CREATE INDEX leads_account ON leads (account_id, campaign_id, id);
-- The pool the dialler picks from, in its order.
CREATE INDEX leads_pool ON leads (campaign_id, priority DESC, last_tried_at, id)
	WHERE status IN ('new', 'retry', 'callback') AND assigned_ext_id IS NULL;
-- An agent's own leads and callbacks.
CREATE INDEX leads_assigned ON leads (campaign_id, assigned_ext_id) WHERE assigned_ext_id IS NOT NULL;
CREATE INDEX leads_callbacks ON leads (campaign_id, callback_ext_id) WHERE callback_ext_id IS NOT NULL;

CREATE TABLE lead_numbers (
	lead_id     INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
	account_id  INTEGER NOT NULL REFERENCES accounts (id),
	campaign_id INTEGER NOT NULL,
	number      TEXT NOT NULL,
	PRIMARY KEY (lead_id, number)
);

CREATE INDEX lead_numbers_number ON lead_numbers (campaign_id, number);
CREATE INDEX lead_numbers_account ON lead_numbers (account_id, number);

CREATE TABLE dnc_numbers (
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	number     TEXT NOT NULL,
	note       TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, number)
);
