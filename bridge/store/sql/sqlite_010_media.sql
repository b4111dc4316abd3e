-- Version 10: pictures (MMS). An inbound text keeps the provider's media references as a JSON
-- list of [url, content_type] pairs (fetched when its email is written); an outbound text
-- keeps the tokens of the pictures it carries, as a JSON list; the pictures themselves are
-- kept in media_files and served at /media/<token> until expires_at, then purged.
ALTER TABLE inbound_sms ADD COLUMN media TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sms_jobs ADD COLUMN media TEXT NOT NULL DEFAULT '[]';
CREATE TABLE media_files (
    token TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX media_files_expiry ON media_files (expires_at);
