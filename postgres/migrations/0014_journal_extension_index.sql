-- The journal's index by extension moves off the commit path. As an
-- index of the journal itself it was keyed by extension, so every commit
-- wrote one of its leaf pages per extension the commit touched (some
-- 11 KB per event, most of a commit's cost). Now the store indexes the
-- journal after the fact (sqlstore.IndexJournals), keyed by time first:
-- the journal is cut into chunks of 1,024 sequence numbers, and
-- journal_chunks holds, for each chunk and extension, the sequence
-- numbers of the extension's events in it ("12,15,"). New rows and their
-- updates all fall at the end of the table. journal_chunk_spans says when
-- each chunk's events happened, and journal_index_cursors how far each
-- account's journal is indexed; a read by extension scans the journal
-- after the cursor.
DROP INDEX journal_extension;

CREATE TABLE journal_chunks (
	account_id   BIGINT NOT NULL REFERENCES accounts (id),
	chunk        BIGINT NOT NULL,
	extension_id BIGINT NOT NULL,
	seqs         TEXT NOT NULL,
	PRIMARY KEY (account_id, chunk, extension_id)
);

CREATE TABLE journal_chunk_spans (
	account_id BIGINT NOT NULL REFERENCES accounts (id),
	chunk      BIGINT NOT NULL,
	first_at   BIGINT NOT NULL,
	last_at    BIGINT NOT NULL,
	PRIMARY KEY (account_id, chunk)
);

CREATE TABLE journal_index_cursors (
	account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
	seq        BIGINT NOT NULL
);
