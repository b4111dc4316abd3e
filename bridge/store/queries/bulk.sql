-- Bulk sends by attachment (ops_bulk.py). The email is kept under a batch of kind 'bulk'
-- before its 250; the bulk worker takes a 'received' one with a lease (on PostgreSQL under
-- a row lock, skipping one another bridge holds), decides every row, stores the preview
-- (``previewed_at``), then its texts in job state 'held', and moves the batch to 'held';
-- SEND moves every held text of it to 'queued' in one statement.

-- name: bulk_batch_of_email
SELECT id, state FROM batches WHERE kind = 'bulk' AND author = ? AND message_id = ?

-- name: insert_bulk_batch
INSERT INTO batches (id, token, author, kind, state, message_id, subject, zone, created_at,
    updated_at, expires_at)
VALUES (?, ?, ?, 'bulk', 'received', ?, ?, ?, ?, ?, ?)

-- name: insert_bulk_send
INSERT INTO bulk_sends (batch_id, filename, file, template, domain, at_once)
VALUES (?, ?, ?, ?, ?, ?)

-- name: claim_bulk
UPDATE bulk_sends SET lease_until = ?, lease_owner = ?, attempts = attempts + 1
WHERE batch_id IN (SELECT s.batch_id FROM bulk_sends s JOIN batches b ON b.id = s.batch_id
    WHERE b.state = 'received' AND (s.lease_until IS NULL OR s.lease_until <= ?)
    ORDER BY b.created_at LIMIT 1)
RETURNING *

-- name: claim_bulk.postgres
UPDATE bulk_sends SET lease_until = ?, lease_owner = ?, attempts = attempts + 1
WHERE batch_id IN (SELECT s.batch_id FROM bulk_sends s JOIN batches b ON b.id = s.batch_id
    WHERE b.state = 'received' AND (s.lease_until IS NULL OR s.lease_until <= ?)
    ORDER BY b.created_at LIMIT 1 FOR UPDATE OF s SKIP LOCKED)
RETURNING *

-- name: keep_bulk_lease
UPDATE bulk_sends SET lease_until = ? WHERE batch_id = ? AND lease_owner = ?

-- The preview stored, once: by the worker holding the send, while its batch is still open
-- to it (a CANCEL may have come first). Its texts are stored after it.
-- name: mark_bulk_previewed
UPDATE bulk_sends SET previewed_at = ?, not_sent = ?
WHERE batch_id = ? AND lease_owner = ? AND previewed_at IS NULL
    AND EXISTS (SELECT 1 FROM batches b WHERE b.id = bulk_sends.batch_id AND b.state = 'received')

-- name: bulk_send_state
SELECT s.lease_owner, b.state
FROM bulk_sends s JOIN batches b ON b.id = s.batch_id WHERE s.batch_id = ?

-- name: end_bulk_lease
UPDATE bulk_sends SET lease_until = NULL, lease_owner = NULL, not_sent = ?
WHERE batch_id = ? AND lease_owner = ?

-- A text of the file: of the batch, from its line, held for SEND (a text stored by an
-- earlier attempt at the same batch keeps the state it has reached).
-- name: mark_bulk_job
UPDATE sms_jobs SET batch_id = ?, bulk_line = ?,
    state = CASE WHEN state = 'queued' THEN ? ELSE state END
WHERE id = ?

-- Before a bulk send's texts are stored: its batch still open to them (and, on PostgreSQL,
-- its row locked until they are committed, so a CANCEL waits for them and then finds them).
-- name: touch_open_batch
UPDATE batches SET updated_at = ? WHERE id = ? AND state <> 'cancelled'

-- name: batch_by_id
SELECT * FROM batches WHERE id = ?

-- name: move_batch
UPDATE batches SET state = ?, updated_at = ? WHERE id = ? AND state = ?

-- At SEND: the held texts whose customer has opted out since the preview (with the
-- organisation's scope, any STOP; with the number's, a STOP to the text's sender or the
-- organisation's list), which are cancelled rather than queued.
-- name: held_opted_out
SELECT j.* FROM sms_jobs j WHERE j.batch_id = ? AND j.state = 'held'
    AND EXISTS (SELECT 1 FROM suppressions s WHERE s.customer_number = j.to_number
        AND (CAST(? AS INTEGER) = 1 OR s.reply_number = j.sender OR s.reply_number = '*'))

-- name: release_held
UPDATE sms_jobs SET state = 'queued', updated_at = ? WHERE batch_id = ? AND state = 'held'

-- name: bulk_sent_at
UPDATE bulk_sends SET sent_at = ? WHERE batch_id = ? AND sent_at IS NULL

-- A sent bulk batch none of whose texts can still change: its summary is due.
-- name: bulk_finished
SELECT b.id, b.author, b.message_id, b.subject, b.token, s.filename, s.domain, s.not_sent
FROM bulk_sends s JOIN batches b ON b.id = s.batch_id
WHERE s.sent_at IS NOT NULL AND s.summary_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM sms_jobs j
        WHERE j.batch_id = b.id AND j.state IN ('queued', 'sending', 'held'))
ORDER BY s.sent_at LIMIT ?

-- name: bulk_results
SELECT id, bulk_line, to_number, state, error, error_code, country, segments
FROM sms_jobs WHERE batch_id = ? ORDER BY bulk_line

-- name: bulk_summarised
UPDATE bulk_sends SET summary_at = ? WHERE batch_id = ? AND summary_at IS NULL

-- A bulk send's file is forgotten with its batch (before it: ``purge_batches``).
-- name: purge_bulk_sends
DELETE FROM bulk_sends WHERE batch_id IN (SELECT id FROM batches WHERE expires_at < ?)

-- At the start of a bridge that owns its database: a bulk send it was reading when it
-- stopped is taken again at once.
-- name: release_bulk_leases
UPDATE bulk_sends SET lease_until = ? WHERE lease_until IS NOT NULL AND lease_owner IS NOT NULL

-- Every customer with an opt-out of any scope: a bulk send's rows ask only about these.
-- name: suppressed_customers
SELECT DISTINCT customer_number FROM suppressions

-- A bulk send's text; ops_bulk repeats the VALUES group to store up to a thousand in one
-- statement (parameters bound as they are, where a JSON array would be parsed again for each
-- column). A text whose key is stored already (an earlier attempt at the same batch) is left
-- as it is; the keys stored now are returned.
-- name: insert_bulk_sms
INSERT INTO sms_jobs (id, idempotency_key, message_id, author, subject, to_number, sender, body, encoding,
    segments, route, chain, media, category, country, state, next_attempt_at, created_at,
    updated_at, batch_id, bulk_line)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING idempotency_key

-- name: first_texts_bulk
INSERT INTO first_texts (author, to_number, first_at)
SELECT ?, value, ? FROM json_each(?) WHERE true
ON CONFLICT (author, to_number) DO NOTHING

-- name: first_texts_bulk.postgres
INSERT INTO first_texts (author, to_number, first_at)
SELECT ?, value, ? FROM json_array_elements_text(CAST(? AS json)) AS value
ON CONFLICT (author, to_number) DO NOTHING

-- Previewed bulk sends whose author never replied SEND, past their batch's expiry.
-- name: bulk_expired
SELECT id FROM batches WHERE kind = 'bulk' AND state = 'held' AND expires_at < ?
