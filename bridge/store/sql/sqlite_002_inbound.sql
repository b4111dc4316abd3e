-- Version 2: the inbound path. Inbound texts (deduplicated by the provider's id and routed by
-- a leased worker), conversations (who texted whom last), suppression lists (STOP) and the
-- time of the last auto-reply per customer (so two robots cannot loop).

CREATE TABLE inbound_sms (
    id                  TEXT PRIMARY KEY,
    provider            TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    from_number         TEXT NOT NULL,
    to_number           TEXT NOT NULL,
    body                TEXT NOT NULL,
    received_at         REAL NOT NULL,
    state               TEXT NOT NULL,  -- queued, sending (being routed), routed
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     REAL NOT NULL,
    lease_until         REAL,
    lease_owner         TEXT,
    in_doubt            INTEGER NOT NULL DEFAULT 0,
    route               TEXT,
    explanation         TEXT,
    created_at          REAL NOT NULL,
    updated_at          REAL NOT NULL,
    UNIQUE (provider, provider_message_id)
);

CREATE INDEX inbound_sms_waiting ON inbound_sms (next_attempt_at) WHERE state = 'queued';
CREATE INDEX inbound_sms_leased ON inbound_sms (lease_until) WHERE state = 'sending';
CREATE INDEX inbound_sms_created ON inbound_sms (created_at);

CREATE TABLE conversations (
    customer_number TEXT NOT NULL,
    reply_number    TEXT NOT NULL,
    author          TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    last_text       TEXT NOT NULL,
    last_at         REAL NOT NULL,
    PRIMARY KEY (customer_number, reply_number)
);

CREATE TABLE suppressions (
    reply_number    TEXT NOT NULL,
    customer_number TEXT NOT NULL,
    since           REAL NOT NULL,
    PRIMARY KEY (reply_number, customer_number)
);

CREATE TABLE auto_replies (
    reply_number    TEXT NOT NULL,
    customer_number TEXT NOT NULL,
    last_at         REAL NOT NULL,
    PRIMARY KEY (reply_number, customer_number)
);

CREATE INDEX sms_jobs_provider_message ON sms_jobs (provider, provider_message_id);

-- Where each reply-number watcher (the poller for bridges without a public URL) got to.
CREATE TABLE watch_cursors (
    provider     TEXT NOT NULL,
    reply_number TEXT NOT NULL,
    seen_until   REAL NOT NULL,
    PRIMARY KEY (provider, reply_number)
);
