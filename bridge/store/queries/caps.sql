-- Counts for the caps of the outbound chain (ops_caps.py): a recipient's texts of one
-- category (frequency caps, from the covering index of migration 022), a team's
-- segments this month and today (spend caps), and the warnings sent once a period
-- (migration 013). Texts that failed for good reached nobody and are not counted. The
-- outbound chain reads the counts of one text in one statement (ops_facts.py).

-- name: sent_times
-- When each text goes: when it was made, or later if a rule deferred it (next_attempt_at).
SELECT CASE WHEN next_attempt_at > created_at THEN next_attempt_at ELSE created_at END AS at
FROM sms_jobs
WHERE to_number = ? AND category = ? AND created_at >= ? AND state <> 'failed'
ORDER BY at

-- name: sent_in_window
-- How many of those go in [start, end), counted no further than the cap's limit: a
-- recipient texted thousands of times costs the index rows up to the limit, no more.
SELECT COUNT(*) AS n FROM (
  SELECT 1 FROM sms_jobs
  WHERE to_number = ? AND category = ? AND created_at >= ? AND state <> 'failed'
    AND CASE WHEN next_attempt_at > created_at THEN next_attempt_at ELSE created_at END >= ?
    AND CASE WHEN next_attempt_at > created_at THEN next_attempt_at ELSE created_at END < ?
  LIMIT ?
) AS counted

-- The segments of one author (spent_by_author) or of a team, a domain and its subdomains
-- (spent_by_team: a range of reversed domains), by author and country, since the month and
-- since the day began, and of those the ones whose price a provider reported, with that price
-- (migration 016) (day three times, month, then who).
-- name: spent_by_author
SELECT author, country, SUM(segments) AS month,
       SUM(CASE WHEN slot >= ? THEN segments ELSE 0 END) AS day,
       SUM(priced_segments) AS month_priced, SUM(cost) AS month_cost,
       SUM(CASE WHEN slot >= ? THEN priced_segments ELSE 0 END) AS day_priced,
       SUM(CASE WHEN slot >= ? THEN cost ELSE 0 END) AS day_cost
FROM spend_counts WHERE slot >= ? AND author = ?
GROUP BY author, country

-- name: spent_by_team
SELECT author, country, SUM(segments) AS month,
       SUM(CASE WHEN slot >= ? THEN segments ELSE 0 END) AS day,
       SUM(priced_segments) AS month_priced, SUM(cost) AS month_cost,
       SUM(CASE WHEN slot >= ? THEN priced_segments ELSE 0 END) AS day_priced,
       SUM(CASE WHEN slot >= ? THEN cost ELSE 0 END) AS day_cost
FROM spend_counts WHERE slot >= ? AND rdomain >= ? AND rdomain < ?
GROUP BY author, country

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
