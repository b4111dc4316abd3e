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
-- (migration 16). Whole UTC days come from spend_days, the quarter hours before the month's
-- first UTC midnight and from the last one before the day began from spend_counts (migration
-- 25): the month's quarter hours [?, ?), its days [?, ?), the quarter hours since ?, then the
-- day's start three times. A team's domains are found one by one in the index (the recursive
-- ``domains``), so that each is read from its first row of the month, not its first ever.
-- name: spent_by_author
WITH spent (author, country, at, segments, priced_segments, cost) AS (
  SELECT author, country, slot, segments, priced_segments, cost FROM spend_counts
  WHERE author = ? AND slot >= ? AND slot < ?
  UNION ALL
  SELECT author, country, day, segments, priced_segments, cost FROM spend_days
  WHERE author = ? AND day >= ? AND day < ?
  UNION ALL
  SELECT author, country, slot, segments, priced_segments, cost FROM spend_counts
  WHERE author = ? AND slot >= ?
)
SELECT author, country, SUM(segments) AS month,
       SUM(CASE WHEN at >= ? THEN segments ELSE 0 END) AS day,
       SUM(priced_segments) AS month_priced, SUM(cost) AS month_cost,
       SUM(CASE WHEN at >= ? THEN priced_segments ELSE 0 END) AS day_priced,
       SUM(CASE WHEN at >= ? THEN cost ELSE 0 END) AS day_cost
FROM spent GROUP BY author, country

-- name: spent_by_team
WITH RECURSIVE domains (rdomain) AS (
  SELECT MIN(rdomain) FROM spend_days WHERE rdomain >= ? AND rdomain < ?
  UNION ALL
  SELECT (SELECT MIN(next.rdomain) FROM spend_days AS next
          WHERE next.rdomain > domains.rdomain AND next.rdomain < ?)
  FROM domains WHERE domains.rdomain IS NOT NULL
),
spent (author, country, at, segments, priced_segments, cost) AS (
  SELECT c.author, c.country, c.slot, c.segments, c.priced_segments, c.cost
  FROM domains JOIN spend_counts AS c ON c.rdomain = domains.rdomain
  WHERE c.slot >= ? AND c.slot < ?
  UNION ALL
  SELECT d.author, d.country, d.day, d.segments, d.priced_segments, d.cost
  FROM domains JOIN spend_days AS d ON d.rdomain = domains.rdomain
  WHERE d.day >= ? AND d.day < ?
  UNION ALL
  SELECT c.author, c.country, c.slot, c.segments, c.priced_segments, c.cost
  FROM domains JOIN spend_counts AS c ON c.rdomain = domains.rdomain
  WHERE c.slot >= ?
)
SELECT author, country, SUM(segments) AS month,
       SUM(CASE WHEN at >= ? THEN segments ELSE 0 END) AS day,
       SUM(priced_segments) AS month_priced, SUM(cost) AS month_cost,
       SUM(CASE WHEN at >= ? THEN priced_segments ELSE 0 END) AS day_priced,
       SUM(CASE WHEN at >= ? THEN cost ELSE 0 END) AS day_cost
FROM spent GROUP BY author, country

-- A text stored adds its segments to its quarter hour; one that fails for good takes them off.
-- name: spend
INSERT INTO spend_counts (author, rdomain, country, slot, segments) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (author, country, slot) DO UPDATE
SET segments = spend_counts.segments + excluded.segments

-- name: unspend
UPDATE spend_counts SET segments = segments - ?, priced_segments = priced_segments - ?,
    cost = cost - ?
WHERE author = ? AND country = ? AND slot = ?

-- And to its UTC day (migration 25), which a cap reads for the whole days of its month.
-- name: spend_day
INSERT INTO spend_days (author, rdomain, country, day, segments) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (author, country, day) DO UPDATE
SET segments = spend_days.segments + excluded.segments

-- name: unspend_day
UPDATE spend_days SET segments = segments - ?, priced_segments = priced_segments - ?,
    cost = cost - ?
WHERE author = ? AND country = ? AND day = ?

-- A provider reported a text's price (or a new one): its segments move from the table's
-- estimate to the reported price (priced segments, then cost, added; may be negative).
-- name: reprice
UPDATE spend_counts SET priced_segments = priced_segments + ?, cost = cost + ?
WHERE author = ? AND country = ? AND slot = ?

-- name: reprice_day
UPDATE spend_days SET priced_segments = priced_segments + ?, cost = cost + ?
WHERE author = ? AND country = ? AND day = ?

-- name: sms_priced
UPDATE sms_jobs SET price = ?, cost = ? WHERE id = ?

-- name: purge_spend_counts
DELETE FROM spend_counts WHERE slot < ?

-- name: purge_spend_days
DELETE FROM spend_days WHERE day < ?

-- name: claim_warning
INSERT INTO cap_warnings (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING
