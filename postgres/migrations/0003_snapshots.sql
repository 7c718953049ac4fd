-- The latest snapshot of each account's floor state, so that a restart
-- replays only the journal after it.

CREATE TABLE floor_snapshots (
	account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
	seq        BIGINT NOT NULL,
	at         BIGINT NOT NULL,
	body       TEXT NOT NULL
);
