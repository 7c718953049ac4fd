-- Webhook delivery at volume. A worker's claim reads the first pending
-- messages of an endpoint in outbox order (webhook_outbox_pending), a
-- window in which each lane's first row is its head, rather than
-- grouping every pending row by lane (webhook_outbox_lanes, which every
-- change of a message's status rewrote, is dropped); and the age of an
-- endpoint's backlog reads its oldest pending message from
-- webhook_outbox_waiting. Both hold pending rows only: a delivered
-- message leaves them. webhook_outbox_endpoint finds an endpoint's
-- messages when it is deleted.
DROP INDEX webhook_outbox_lanes;
CREATE INDEX webhook_outbox_endpoint ON webhook_outbox (endpoint_id, id);
CREATE INDEX webhook_outbox_pending ON webhook_outbox (endpoint_id, id) WHERE status = 'pending';
CREATE INDEX webhook_outbox_waiting ON webhook_outbox (endpoint_id, queued_at) WHERE status = 'pending';
