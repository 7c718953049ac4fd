-- The latest snapshot of each account's floor state, so that a restart
-- replays only the journal after it.

CREATE TABLE floor_snapshots (
	account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
	seq        INTEGER NOT NULL,
	at         BIGINT NOT NULL,
	body       TEXT NOT NULL
);
