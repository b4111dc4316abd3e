-- Version 4: several providers (issue 6).
-- The inbound route whose decision made a text, so a route can choose its provider.
ALTER TABLE sms_jobs ADD COLUMN route TEXT NOT NULL DEFAULT '';
-- The provider whose answer to an attempt never came (a timeout after the request was sent):
-- it may have the text, so it is asked before the job goes anywhere else.
ALTER TABLE sms_jobs ADD COLUMN maybe_sent_via TEXT;

-- Parts of a long inbound text that a provider delivers one by one (Vonage's concat-*),
-- kept until every part is here; then the whole text becomes one inbound_sms row.
CREATE TABLE inbound_parts (
    provider            TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    from_number         TEXT NOT NULL,
    to_number           TEXT NOT NULL,
    concat_ref          TEXT NOT NULL,
    part                INTEGER NOT NULL,
    total               INTEGER NOT NULL,
    body                TEXT NOT NULL,
    received_at         REAL NOT NULL,
    assembled           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, provider_message_id)
);
CREATE INDEX inbound_parts_pending ON inbound_parts (provider, from_number, concat_ref)
    WHERE assembled = 0;
