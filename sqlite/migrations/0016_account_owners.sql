-- Which node of a cluster owns each account's live state, and the epoch
-- of that ownership. A node that takes an account raises epoch by one in
-- one statement; its journal appends carry the epoch it took, and an
-- append with another epoch is refused in its own transaction (fenced),
-- so a node that lost the account writes nothing more to its journal. A
-- single server has no rows here: its appends carry epoch 0, unchecked.
CREATE TABLE account_owners (
	account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
	node       TEXT NOT NULL,
	epoch      INTEGER NOT NULL,
	since      BIGINT NOT NULL
);
