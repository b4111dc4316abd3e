-- Short links and their clicks (ops_links.py, migration 20). Times are Unix seconds.

-- name: insert_short_link
INSERT INTO short_links (code, job_id, position, target, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?)

-- name: short_link
SELECT code, job_id, position, target, expires_at FROM short_links WHERE code = ?

-- name: insert_click
INSERT INTO link_clicks (code, at, counted, why) VALUES (?, ?, ?, ?)

-- One text's links and what was asked of them: job_id.
-- name: job_clicks
SELECT COUNT(DISTINCT l.code) AS links, COUNT(c.code) AS requests,
    COALESCE(SUM(c.counted), 0) AS clicks,
    MIN(CASE WHEN c.counted = 1 THEN c.at END) AS first_click
FROM short_links l LEFT JOIN link_clicks c ON c.code = l.code
WHERE l.job_id = ?

-- Texts with short links made since a time, by author, sender and category: how many,
-- how many were clicked (by a person, at least once), the clicks and the requests not
-- counted. Texts that failed or were cancelled are left out: since.
-- name: link_report
SELECT j.author AS author, j.sender AS sender, j.category AS category,
    COUNT(DISTINCT j.id) AS texts,
    COUNT(DISTINCT CASE WHEN c.counted = 1 THEN j.id END) AS clicked,
    COALESCE(SUM(c.counted), 0) AS clicks,
    COUNT(c.code) - COALESCE(SUM(c.counted), 0) AS not_counted
FROM sms_jobs j
JOIN short_links l ON l.job_id = j.id
LEFT JOIN link_clicks c ON c.code = l.code
WHERE j.created_at >= ? AND j.state NOT IN ('failed', 'cancelled')
GROUP BY j.author, j.sender, j.category
ORDER BY j.author, j.sender, j.category

-- A text's links go with it (the clean-up purged its job before): cutoff.
-- name: purge_short_links
DELETE FROM short_links
WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM sms_jobs j WHERE j.id = short_links.job_id)

-- name: purge_link_clicks
DELETE FROM link_clicks
WHERE at < ? AND NOT EXISTS (SELECT 1 FROM short_links l WHERE l.code = link_clicks.code)
