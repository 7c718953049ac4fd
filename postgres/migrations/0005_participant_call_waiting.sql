-- A queue may let its participants (members without the agent feature)
-- who are on a call still be offered its calls; agents never are. Existing
-- queues keep the old rule: the column defaults to false.

ALTER TABLE queues ADD COLUMN participant_call_waiting BOOLEAN NOT NULL DEFAULT FALSE;
