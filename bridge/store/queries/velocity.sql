-- The velocity guard (ops_velocity.py): the numbers an author texted for the first time
-- within a window, and the alert an administrator gets once a window about that author.

-- name: first_texted
SELECT MIN(created_at) AS first_at FROM sms_jobs WHERE author = ? AND to_number = ?

-- The author's numbers first texted within the window, before this number (by the time of
-- their first text, then by number): author, since, first, first, to_number, since.
-- name: new_numbers_before
SELECT COUNT(DISTINCT j.to_number) AS earlier FROM sms_jobs j
WHERE j.author = ? AND j.created_at >= ?
  AND (j.created_at < ? OR (j.created_at = ? AND j.to_number < ?))
  AND NOT EXISTS (
    SELECT 1 FROM sms_jobs o
    WHERE o.author = j.author AND o.to_number = j.to_number AND o.created_at < ?
  )

-- Changes a row only if the author was not alerted since the window began: author, now, since.
-- name: mark_alerted
INSERT INTO velocity_alerts (author, alerted_at) VALUES (?, ?)
ON CONFLICT (author) DO UPDATE SET alerted_at = excluded.alerted_at
WHERE velocity_alerts.alerted_at < ?
