-- Version 19 (the admin console, docs/operations.md): what administrators did there, and the
-- wrong passwords that lock a client address out for a while.
-- ``console_audit`` keeps who (the name given at login, and the client address), when, what
-- (retry, cancel, reveal) and which text, with what came of it; it is read newest first, and
-- for one text on its timeline. ``login_failures`` holds one row per wrong password, kept
-- only as long as the lockout window needs it.
-- The history pages read texts newest first, a page at a time by keyset ((created_at, id)
-- after the last row shown, never OFFSET), optionally of one author or one state: the
-- indexes end in (created_at, id) so each page is one range read. A filter on a common state
-- reads the history index until a page is full; the rare states an admin looks for (failed,
-- undelivered, cancelled) have a partial index of their own, which a text on its usual way
-- (queued, sending, sent, delivered) never enters, so claims and sends do not update it; with
-- updated_at in it, the queue counts' "failed in the last day" reads it alone (jobs.sql).
-- sms_jobs_history replaces sms_jobs_created, which it covers.
CREATE TABLE console_audit (
    id       TEXT PRIMARY KEY,
    at       REAL NOT NULL,
    who      TEXT NOT NULL,
    address  TEXT NOT NULL,
    action   TEXT NOT NULL,
    job_id   TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX console_audit_at ON console_audit (at, id);
CREATE INDEX console_audit_job ON console_audit (job_id, at);
CREATE TABLE login_failures (
    address  TEXT NOT NULL,
    at       REAL NOT NULL
);
CREATE INDEX login_failures_address ON login_failures (address, at);
CREATE INDEX login_failures_at ON login_failures (at);
CREATE INDEX sms_jobs_history ON sms_jobs (created_at, id);
CREATE INDEX sms_jobs_author_history ON sms_jobs (author, created_at, id);
CREATE INDEX sms_jobs_trouble ON sms_jobs (state, created_at, id, updated_at)
    WHERE state IN ('failed', 'undelivered', 'cancelled');
DROP INDEX sms_jobs_created;
