-- Version 14 (the velocity guard, docs/compliance.md): how many numbers an author texted for
-- the first time lately, counted from sms_jobs, and when an administrator was last alerted
-- about each author (once a window).
CREATE INDEX sms_jobs_author_number ON sms_jobs (author, to_number, created_at);
CREATE INDEX sms_jobs_author_created ON sms_jobs (author, created_at);
CREATE TABLE velocity_alerts (
    author      TEXT PRIMARY KEY,
    alerted_at  REAL NOT NULL
);
