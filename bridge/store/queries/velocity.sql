-- The velocity guard (ops_velocity.py): the numbers an author texted for the first time
-- within a window, and the alert an administrator gets once a window about that author.

-- name: first_texted
SELECT first_at FROM first_texts WHERE author = ? AND to_number = ?

-- The author's numbers first texted within the window, before this number (by the time of
-- their first text, then by number): author, since, first, first, to_number.
-- name: new_numbers_before
SELECT COUNT(*) AS earlier FROM first_texts
WHERE author = ? AND first_at >= ? AND (first_at < ? OR (first_at = ? AND to_number < ?))

-- name: first_text
INSERT INTO first_texts (author, to_number, first_at) VALUES (?, ?, ?)
ON CONFLICT (author, to_number) DO NOTHING

-- name: purge_first_texts
DELETE FROM first_texts WHERE first_at < ?

-- Changes a row only if the author was not alerted since the window began: author, now, since.
-- name: mark_alerted
INSERT INTO velocity_alerts (author, alerted_at) VALUES (?, ?)
ON CONFLICT (author) DO UPDATE SET alerted_at = excluded.alerted_at
WHERE velocity_alerts.alerted_at < ?
