-- The velocity guard (ops_velocity.py): the numbers an author texted for the first time
-- within a window, and the alert an administrator gets once a window about that author.

-- When the author first texted this number, and how many of their numbers first texted
-- within the window came before it, in one statement (run for every text at the send
-- stage): since, author, to_number.
-- name: first_texted_rank
SELECT f.first_at AS first_at,
  (SELECT COUNT(*) FROM first_texts e
   WHERE e.author = f.author AND e.first_at >= ?
     AND (e.first_at < f.first_at OR (e.first_at = f.first_at AND e.to_number < f.to_number))
  ) AS earlier
FROM first_texts f WHERE f.author = ? AND f.to_number = ?

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
