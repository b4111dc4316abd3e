-- Counts for the caps of the outbound chain (ops_caps.py): a recipient's texts of one
-- category (frequency caps, on the sms_jobs_category index of migration 011), the segments
-- counted as texts are stored (spend caps), and the warnings sent once a period (migration
-- 013). Texts that failed for good reached nobody and are not counted. What the chain reads
-- for each text is in facts.sql, as the parts of one statement.

-- name: sent_times
-- When each text goes: when it was made, or later if a rule deferred it (next_attempt_at).
SELECT CASE WHEN next_attempt_at > created_at THEN next_attempt_at ELSE created_at END AS at
FROM sms_jobs
WHERE to_number = ? AND category = ? AND created_at >= ? AND state <> 'failed'
ORDER BY at

-- A text stored adds its segments to its quarter hour; one that fails for good takes them off.
-- name: spend
INSERT INTO spend_counts (author, rdomain, country, slot, segments) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (author, country, slot) DO UPDATE
SET segments = spend_counts.segments + excluded.segments

-- name: unspend
UPDATE spend_counts SET segments = segments - ?, priced_segments = priced_segments - ?,
    cost = cost - ?
WHERE author = ? AND country = ? AND slot = ?

-- A provider reported a text's price (or a new one): its segments move from the table's
-- estimate to the reported price (priced segments, then cost, added; may be negative).
-- name: reprice
UPDATE spend_counts SET priced_segments = priced_segments + ?, cost = cost + ?
WHERE author = ? AND country = ? AND slot = ?

-- name: sms_priced
UPDATE sms_jobs SET price = ?, cost = ? WHERE id = ?

-- name: purge_spend_counts
DELETE FROM spend_counts WHERE slot < ?

-- name: claim_warning
INSERT INTO cap_warnings (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING
