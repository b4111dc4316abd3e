-- The admin console (bridge/web/console_*.py): the outbound history a page at a time, each
-- text's audit entries, the console's own actions, and the login lockout.

-- The history, newest first, a page at a time by keyset: the rows after (created_at, id)
-- (the first page passes +infinity). A row-value comparison, so that both databases read it
-- as one range of the index (an OR of two conditions makes SQLite read and sort them all). Each filter is a NULL that
-- lets every row through when left out; an author is an address, or a domain with its
-- subdomains (bridge/store/outbox_filter.author_patterns). ``until`` bounds the newest.
-- name: history_page
SELECT id, created_at, updated_at, author, to_number, sender, state, attempts, segments,
    provider, error, error_code, category, next_attempt_at
FROM sms_jobs
WHERE (created_at, id) < (?, ?)
  AND (CAST(? AS TEXT) IS NULL OR state = ?)
  AND (CAST(? AS TEXT) IS NULL OR to_number = ?)
  AND (CAST(? AS TEXT) IS NULL OR author = ? OR author LIKE ? ESCAPE '\' OR author LIKE ? ESCAPE '\')
  AND created_at >= ?
ORDER BY created_at DESC, id DESC LIMIT ?

-- The same for one exact author: its own index (author, created_at, id) gives the order.
-- name: history_author_page
SELECT id, created_at, updated_at, author, to_number, sender, state, attempts, segments,
    provider, error, error_code, category, next_attempt_at
FROM sms_jobs
WHERE author = ? AND (created_at, id) < (?, ?)
  AND (CAST(? AS TEXT) IS NULL OR state = ?)
  AND (CAST(? AS TEXT) IS NULL OR to_number = ?)
  AND created_at >= ?
ORDER BY created_at DESC, id DESC LIMIT ?

-- One number's texts: the recipient index (to_number, sender, created_at) finds them, few
-- enough to sort.
-- name: history_number_page
SELECT id, created_at, updated_at, author, to_number, sender, state, attempts, segments,
    provider, error, error_code, category, next_attempt_at
FROM sms_jobs
WHERE to_number = ? AND (created_at, id) < (?, ?)
  AND (CAST(? AS TEXT) IS NULL OR state = ?)
  AND (CAST(? AS TEXT) IS NULL OR author = ? OR author LIKE ? ESCAPE '\' OR author LIKE ? ESCAPE '\')
  AND created_at >= ?
ORDER BY created_at DESC, id DESC LIMIT ?

-- The texts in a state few texts are in (failed, undelivered, cancelled): their partial
-- index (sms_jobs_trouble), which the texts on their usual way (queued, sending, sent,
-- delivered) never enter. The IN list repeats the index's condition so that SQLite uses it.
-- name: history_trouble_page
SELECT id, created_at, updated_at, author, to_number, sender, state, attempts, segments,
    provider, error, error_code, category, next_attempt_at
FROM sms_jobs
WHERE state IN ('failed', 'undelivered', 'cancelled') AND state = ?
  AND (created_at, id) < (?, ?)
  AND (CAST(? AS TEXT) IS NULL OR author = ? OR author LIKE ? ESCAPE '\' OR author LIKE ? ESCAPE '\')
  AND created_at >= ?
ORDER BY created_at DESC, id DESC LIMIT ?

-- The texts being sent (few, while a worker holds them): their partial index
-- (sms_jobs_leased) finds them, and the few found are sorted. SQLite is told to use it (it
-- would walk the history index for the order, every row of it when none is being sent).
-- name: history_sending_page
SELECT id, created_at, updated_at, author, to_number, sender, state, attempts, segments,
    provider, error, error_code, category, next_attempt_at
FROM sms_jobs INDEXED BY sms_jobs_leased
WHERE state = 'sending' AND (created_at, id) < (?, ?)
  AND (CAST(? AS TEXT) IS NULL OR author = ? OR author LIKE ? ESCAPE '\' OR author LIKE ? ESCAPE '\')
  AND created_at >= ?
ORDER BY created_at DESC, id DESC LIMIT ?

-- name: history_sending_page.postgres
SELECT id, created_at, updated_at, author, to_number, sender, state, attempts, segments,
    provider, error, error_code, category, next_attempt_at
FROM sms_jobs
WHERE state = 'sending' AND (created_at, id) < (?, ?)
  AND (CAST(? AS TEXT) IS NULL OR author = ? OR author LIKE ? ESCAPE '\' OR author LIKE ? ESCAPE '\')
  AND created_at >= ?
ORDER BY created_at DESC, id DESC LIMIT ?

-- A failed text back in the queue from its start: attempts reset, due now, its error and
-- provider's id forgotten (a late report of the old send cannot move the new one). Only a
-- text that reached nobody: failed for good, or reported undelivered.
-- name: retry_sms
UPDATE sms_jobs SET state = 'queued', attempts = 0, next_attempt_at = ?, error = NULL,
    error_code = NULL, provider_message_id = NULL, in_doubt = 0, maybe_sent_via = NULL,
    lease_until = NULL, lease_owner = NULL, cost = CASE WHEN state = 'failed' THEN NULL ELSE cost END,
    updated_at = ?
WHERE id = ? AND state IN ('failed', 'undelivered')

-- name: insert_audit
INSERT INTO console_audit (id, at, who, address, action, job_id, detail)
VALUES (?, ?, ?, ?, ?, ?, ?)

-- The audit log newest first, a page at a time after (at, id).
-- name: audit_page
SELECT * FROM console_audit WHERE (at, id) < (?, ?)
ORDER BY at DESC, id DESC LIMIT ?

-- name: audit_of_job
SELECT * FROM console_audit WHERE job_id = ? ORDER BY at, id

-- Texts made since ? by the hour and state: the console's volume and delivery charts.
-- name: volume_by_hour
SELECT CAST(created_at / 3600 AS INTEGER) AS hour, state, count(*) AS n
FROM sms_jobs WHERE created_at >= ? GROUP BY 1, 2

-- name: volume_by_hour.postgres
SELECT floor(created_at / 3600)::bigint AS hour, state, count(*) AS n
FROM sms_jobs WHERE created_at >= ? GROUP BY 1, 2

-- The latest wrong passwords from one address (the lockout decides from them).
-- name: login_failures
SELECT at FROM login_failures WHERE address = ? AND at >= ? ORDER BY at DESC LIMIT ?

-- name: login_failed
INSERT INTO login_failures (address, at) VALUES (?, ?)

-- name: forget_login_failures
DELETE FROM login_failures WHERE address = ? OR at < ?

-- name: forget_old_login_failures
DELETE FROM login_failures WHERE at < ?
