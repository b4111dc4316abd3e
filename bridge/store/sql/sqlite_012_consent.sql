-- Version 12: the consent ledger (docs/compliance.md): every opt-in and opt-out of a customer,
-- for the whole organisation (scope '*') or one reply number, how it happened (keyword,
-- double opt-in, import, staff, admin), the evidence (the inbound text's id, a file's name),
-- who (an address, or 'customer') and why. Never updated, never purged. And the customers
-- asked to confirm an opt-in campaign by YES (double opt-in), until they answer.
CREATE TABLE consent_events (
    id              TEXT PRIMARY KEY,
    customer_number TEXT NOT NULL,
    action          TEXT NOT NULL,
    scope           TEXT NOT NULL,
    at              REAL NOT NULL,
    how             TEXT NOT NULL,
    evidence        TEXT NOT NULL DEFAULT '',
    by_whom         TEXT NOT NULL DEFAULT 'customer',
    reason          TEXT NOT NULL DEFAULT '',
    campaign        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consent_events_customer ON consent_events (customer_number, at);
CREATE INDEX consent_events_campaign ON consent_events (campaign, at);

CREATE TABLE campaign_pending (
    customer_number TEXT NOT NULL,
    reply_number    TEXT NOT NULL,
    campaign        TEXT NOT NULL,
    asked_at        REAL NOT NULL,
    PRIMARY KEY (customer_number, reply_number)
);
