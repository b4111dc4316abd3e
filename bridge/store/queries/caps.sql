-- Counts for the caps of the outbound chain (ops_caps.py): a recipient's texts of one
-- category (frequency caps, on the sms_jobs_category index of migration 011), a team's
-- segments this month and today (spend caps), and the warnings sent once a period
-- (migration 013). Texts that failed for good reached nobody and are not counted.

-- name: sent_times
-- When each text goes: when it was made, or later if a rule deferred it (next_attempt_at).
SELECT CASE WHEN next_attempt_at > created_at THEN next_attempt_at ELSE created_at END AS at
FROM sms_jobs
WHERE to_number = ? AND category = ? AND created_at >= ? AND state <> 'failed'
ORDER BY at

-- name: spent
-- An address, or a domain with its subdomains (two LIKE patterns), as the outbox filters.
SELECT author, to_number, SUM(segments) AS month,
       SUM(CASE WHEN created_at >= ? THEN segments ELSE 0 END) AS day
FROM sms_jobs
WHERE created_at >= ? AND state <> 'failed'
  AND (author = ? OR author LIKE ? ESCAPE '\' OR author LIKE ? ESCAPE '\')
GROUP BY author, to_number

-- name: claim_warning
INSERT INTO cap_warnings (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING
