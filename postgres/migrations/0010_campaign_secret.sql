-- A campaign's secret for signing its in-call webhook buttons' requests
-- (Standard Webhooks, whsec_...), sealed like the trunks' passwords.

ALTER TABLE campaigns ADD COLUMN webhook_secret TEXT NOT NULL DEFAULT '';
