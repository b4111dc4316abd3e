-- Batches of texts (scheduled ones; bulk sends later) and their cancelling. A text is
-- cancelled only while it waits ('queued') and no provider may have it (maybe_sent_via):
-- the claim moves a job to 'sending' under a row lock, so on PostgreSQL a cancel and a claim
-- of the same job never both succeed, and no claim ever takes a 'cancelled' job.

-- name: insert_batch
INSERT INTO batches (id, token, author, kind, state, message_id, subject, zone, created_at,
    updated_at, expires_at)
VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?)

-- name: set_sms_batch
UPDATE sms_jobs SET batch_id = ? WHERE id = ?

-- name: batch_by_token
SELECT * FROM batches WHERE token = ?

-- A bulk send's texts held for SEND ('held') are cancelled as waiting ones are.
-- name: batch_waiting
SELECT * FROM sms_jobs WHERE batch_id = ? AND state IN ('queued', 'held') AND maybe_sent_via IS NULL

-- name: cancel_sms
UPDATE sms_jobs SET state = 'cancelled', error = ?, lease_until = NULL, lease_owner = NULL,
    updated_at = ?
WHERE id = ? AND state IN ('queued', 'held') AND maybe_sent_via IS NULL

-- name: batch_states
SELECT state, count(*) AS n FROM sms_jobs WHERE batch_id = ? GROUP BY state

-- name: close_batch
UPDATE batches SET state = ?, updated_at = ? WHERE id = ?

-- (A bulk send's texts are its batch's, listed by its preview and summary, not here.)
-- name: scheduled_sms
SELECT j.id, j.to_number, j.next_attempt_at, j.author, j.state, j.subject, b.token, b.zone
FROM sms_jobs j JOIN batches b ON b.id = j.batch_id
WHERE b.kind = 'scheduled' AND (CAST(? AS TEXT) IS NULL OR j.state = ?)
ORDER BY j.next_attempt_at, j.id LIMIT ?

-- A batch is forgotten with the texts it held: once it expired before the clean-up's cutoff.
-- name: purge_batches
DELETE FROM batches WHERE expires_at < ?
