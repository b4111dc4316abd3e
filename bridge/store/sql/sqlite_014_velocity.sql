-- Version 14 (the velocity guard, docs/compliance.md): when each author first texted each
-- number, recorded as a text is stored (so counting an author's new numbers reads only
-- those, never every text), and when an administrator was last alerted about each author
-- (once a window). Filled from the texts already stored.
CREATE TABLE first_texts (
    author    TEXT NOT NULL,
    to_number TEXT NOT NULL,
    first_at  REAL NOT NULL,
    PRIMARY KEY (author, to_number)
);
CREATE INDEX first_texts_recent ON first_texts (author, first_at);
INSERT INTO first_texts (author, to_number, first_at)
SELECT author, to_number, MIN(created_at) FROM sms_jobs WHERE author <> ''
GROUP BY author, to_number;
CREATE TABLE velocity_alerts (
    author      TEXT PRIMARY KEY,
    alerted_at  REAL NOT NULL
);
