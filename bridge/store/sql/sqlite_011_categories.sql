-- Version 11: each text's category (transactional or marketing, docs/compliance.md), for the
-- guard rails that count a customer's texts of one category over time.
ALTER TABLE sms_jobs ADD COLUMN category TEXT NOT NULL DEFAULT 'transactional';
CREATE INDEX sms_jobs_category ON sms_jobs (to_number, category, created_at);
