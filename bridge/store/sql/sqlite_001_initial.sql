-- Version 1: SMS jobs and the bridge's own outgoing mail, both claimed with leases.
-- Times are Unix seconds (REAL, UTC).

CREATE TABLE sms_jobs (
    id                  TEXT PRIMARY KEY,
    idempotency_key     TEXT NOT NULL UNIQUE,
    message_id          TEXT NOT NULL,
    author              TEXT NOT NULL,
    subject             TEXT NOT NULL,
    to_number           TEXT NOT NULL,
    sender              TEXT NOT NULL,
    body                TEXT NOT NULL,
    encoding            TEXT NOT NULL,
    segments            INTEGER NOT NULL,
    state               TEXT NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     REAL NOT NULL,
    lease_until         REAL,
    lease_owner         TEXT,
    in_doubt            INTEGER NOT NULL DEFAULT 0,  -- reclaimed from a claim that never ended
    provider            TEXT,
    provider_message_id TEXT,
    price               TEXT,
    error               TEXT,
    error_code          TEXT,
    created_at          REAL NOT NULL,
    updated_at          REAL NOT NULL
);

CREATE INDEX sms_jobs_waiting ON sms_jobs (next_attempt_at) WHERE state = 'queued';
CREATE INDEX sms_jobs_leased ON sms_jobs (lease_until) WHERE state = 'sending';
CREATE INDEX sms_jobs_created ON sms_jobs (created_at);

CREATE TABLE mail_jobs (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    envelope_from   TEXT NOT NULL,
    recipients      TEXT NOT NULL,  -- JSON array
    content         BLOB NOT NULL,
    state           TEXT NOT NULL,  -- queued, sending, sent, failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    lease_until     REAL,
    lease_owner     TEXT,
    in_doubt        INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL
);

CREATE INDEX mail_jobs_waiting ON mail_jobs (next_attempt_at) WHERE state = 'queued';
CREATE INDEX mail_jobs_leased ON mail_jobs (lease_until) WHERE state = 'sending';
