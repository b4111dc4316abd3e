-- Version 20 (the HTTP send endpoint, docs/api.md, and sender checks, docs/mail-servers.md):
-- one token per system that sends texts
-- over HTTP. Only ``digest`` is kept, the SHA-256 of the token (256 random bits, so a hash
-- needs no salt or stretching: nothing short enough to guess is ever hashed). ``author`` is
-- whose texts they count as (sender rules, caps, notices); '' for none. A revoked token
-- keeps its row, so the listing says when; adding its name again replaces it.
CREATE TABLE api_tokens (
    name        TEXT PRIMARY KEY,
    digest      TEXT NOT NULL UNIQUE,
    author      TEXT NOT NULL,
    created_at  REAL NOT NULL,
    revoked_at  REAL
);
-- The first answer to each Idempotency-Key of a token, for 24 hours: the same key again gets
-- it back and nothing is sent twice. ``fingerprint`` is the SHA-256 of the request's body,
-- so a key used again for another text is told so.
CREATE TABLE api_answers (
    token            TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    status           INTEGER NOT NULL,
    body             TEXT NOT NULL,
    created_at       REAL NOT NULL,
    PRIMARY KEY (token, idempotency_key)
);
CREATE INDEX api_answers_created ON api_answers (created_at);
-- What [smtp.sender_auth] found for each email it checked, accepted or refused: the
-- Authentication-Results header as the bridge wrote it, by the email's Message-ID (which
-- its texts' jobs carry in sms_jobs.message_id).
CREATE TABLE sender_checks (
    message_id  TEXT NOT NULL,
    author      TEXT NOT NULL,
    results     TEXT NOT NULL,
    refused     INTEGER NOT NULL,
    created_at  REAL NOT NULL
);
CREATE INDEX sender_checks_message ON sender_checks (message_id);
CREATE INDEX sender_checks_created ON sender_checks (created_at);
