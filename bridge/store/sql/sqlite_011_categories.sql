-- Version 11: each text's category (transactional or marketing, docs/compliance.md), for the
-- guard rails that count a customer's texts of one category over time, and its recipient's
-- country (ISO code, '' when unknown), so that a spend cap sums a team's segments by country
-- in the database instead of reading every text of the month.
ALTER TABLE sms_jobs ADD COLUMN category TEXT NOT NULL DEFAULT 'transactional';
ALTER TABLE sms_jobs ADD COLUMN country TEXT NOT NULL DEFAULT '';
CREATE INDEX sms_jobs_category ON sms_jobs (to_number, category, created_at);
