-- The nodes of a cluster, one row per node name (the node of
-- account_owners), rewritten by the node while it runs: where the SIP
-- front door (Kamailio) sends the SIP of the accounts the node owns, the
-- base URL of its HTTP API, and when it last said it was alive (Unix
-- milliseconds of the node's clock). A single server has no rows here.
CREATE TABLE cluster_nodes (
	name     TEXT PRIMARY KEY,
	sip_uri  TEXT NOT NULL,
	http_url TEXT NOT NULL,
	seen_at  BIGINT NOT NULL
);
