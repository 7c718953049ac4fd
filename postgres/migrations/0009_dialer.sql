-- The dialler folds the journal into leads: each lead keeps the sequence
-- of the event that last changed it (so an event is applied once), and
-- dialer_cursors says how far each account's journal has been folded.

ALTER TABLE leads ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE dialer_cursors (
	account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
	seq        BIGINT NOT NULL
);

CREATE INDEX leads_active ON leads (account_id, status) WHERE status = 'active';

CREATE INDEX leads_zones ON leads (campaign_id, time_zone);
