-- SIP trunks to carriers and the inbound numbers (DIDs) they bring in.
-- A trunk's password is kept in clear: answering the carrier's digest
-- challenge needs it. Inbound numbers are unique across every account
-- (number_key is the number without a leading "+"), so that an inbound
-- call finds its one account by the number it dialled.

CREATE TABLE trunks (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id        INTEGER NOT NULL REFERENCES accounts (id),
	name              TEXT NOT NULL,
	name_key          TEXT NOT NULL,
	host              TEXT NOT NULL,
	transport         TEXT NOT NULL,
	auth              TEXT NOT NULL,
	username          TEXT NOT NULL,
	auth_username     TEXT NOT NULL,
	password          TEXT NOT NULL,
	realm             TEXT NOT NULL,
	domain            TEXT NOT NULL,
	expiry_seconds    INTEGER NOT NULL,
	default_caller_id TEXT NOT NULL,
	strip_digits      INTEGER NOT NULL,
	prefix            TEXT NOT NULL,
	enabled           BOOLEAN NOT NULL,
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL,
	UNIQUE (account_id, name_key)
);
CREATE INDEX trunks_enabled ON trunks (enabled, auth);

-- The source addresses (IP or CIDR) of an ip trunk, in order.
CREATE TABLE trunk_sources (
	trunk_id   INTEGER NOT NULL REFERENCES trunks (id) ON DELETE CASCADE,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	position   INTEGER NOT NULL,
	source     TEXT NOT NULL,
	PRIMARY KEY (trunk_id, position)
);

-- The destination is an extension or a queue: one of the two columns is
-- set, each with its foreign key.
CREATE TABLE inbound_numbers (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id   INTEGER NOT NULL REFERENCES accounts (id),
	number       TEXT NOT NULL,
	number_key   TEXT NOT NULL UNIQUE,
	name         TEXT NOT NULL,
	trunk_id     INTEGER REFERENCES trunks (id),
	extension_id INTEGER REFERENCES extensions (id),
	queue_id     INTEGER REFERENCES queues (id),
	enabled      BOOLEAN NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	CHECK ((extension_id IS NULL) <> (queue_id IS NULL))
);
CREATE INDEX inbound_numbers_account ON inbound_numbers (account_id, number_key);
CREATE INDEX inbound_numbers_trunk ON inbound_numbers (trunk_id);
CREATE INDEX inbound_numbers_extension ON inbound_numbers (extension_id);
CREATE INDEX inbound_numbers_queue ON inbound_numbers (queue_id);
