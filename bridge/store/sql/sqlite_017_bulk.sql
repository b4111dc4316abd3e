-- Version 17 (bulk sends by attachment, docs/bulk.md): an email to the bulk address is kept
-- whole, as received, before its 250: the attached file, its name and the template (the
-- email's new text), under a batch of kind 'bulk'. The batch's state says where it is:
-- 'received' (waiting for the bulk worker, which takes it with a lease: ``lease_until``,
-- ``lease_owner``), 'held' (planned and previewed: its texts wait, in job state 'held',
-- for the author's SEND), 'open' (sent: its texts are queued), 'cancelled', and 'failed'
-- (the file could not be used; the author was told why). ``not_sent`` holds the rows that
-- got no text (JSON: line, number, status, reason, country), for the result CSV;
-- ``summary_at`` is when the summary was stored, so it is sent once. ``bulk_line`` is the
-- line of the author's file a text came from.
CREATE TABLE bulk_sends (
    batch_id      TEXT PRIMARY KEY,
    filename      TEXT NOT NULL,
    file          BLOB NOT NULL,
    template      TEXT NOT NULL,
    domain        TEXT NOT NULL,
    at_once       INTEGER NOT NULL,
    lease_until   REAL,
    lease_owner   TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    not_sent      TEXT,
    sent_at       REAL,
    summary_at    REAL
);
ALTER TABLE sms_jobs ADD COLUMN bulk_line INTEGER;
-- A batch's texts by state: SEND's one statement, CANCEL, and whether a sent batch has ended.
CREATE INDEX sms_jobs_batch_state ON sms_jobs (batch_id, state) WHERE batch_id IS NOT NULL;
