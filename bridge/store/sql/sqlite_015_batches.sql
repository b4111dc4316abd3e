-- Version 15 (scheduling, docs/bulk.md): the texts of one email that wait for a later time
-- make a batch, which its author can cancel by replying CANCEL to the confirmation (sent
-- from batch-<token>@…). ``token`` is 128 random bits, the only name the author's reply
-- carries; ``kind`` is 'scheduled' (bulk sends will add 'bulk'); ``state`` 'open' or
-- 'cancelled'; the control address is refused once ``expires_at`` has passed. A cancelled
-- text's job is in state 'cancelled', which no claim takes.
CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    token       TEXT NOT NULL UNIQUE,
    author      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    zone        TEXT NOT NULL,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL,
    expires_at  REAL NOT NULL
);
ALTER TABLE sms_jobs ADD COLUMN batch_id TEXT;
CREATE INDEX sms_jobs_batch ON sms_jobs (batch_id) WHERE batch_id IS NOT NULL;
