-- The licence check counts an account's agent extensions on every
-- extension created or given the agent feature. Without an index the
-- count read every extension row of the account, so a bulk import slowed
-- down as the account grew; this partial index holds only the agents.

CREATE INDEX extensions_agents ON extensions (account_id) WHERE agent_enabled;
