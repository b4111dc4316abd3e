-- The inbound path: texts from customers (deduplicated by the provider's id, routed by a
-- leased worker), the parts of long texts, conversations, suppressions (STOP) and the last
-- auto-reply per customer. Claims work as for jobs (jobs.sql).

-- name: insert_inbound
INSERT INTO inbound_sms (id, provider, provider_message_id, from_number, to_number, body,
    received_at, media, state, next_attempt_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)
ON CONFLICT (provider, provider_message_id) DO NOTHING

-- name: inbound_id
SELECT id FROM inbound_sms WHERE provider = ? AND provider_message_id = ?

-- name: inbound_waiting_from
SELECT id FROM inbound_sms
WHERE from_number = ? AND to_number = ? AND state IN ('queued', 'sending') LIMIT 1

-- name: insert_part
INSERT INTO inbound_parts (provider, provider_message_id, from_number, to_number, concat_ref,
    part, total, body, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (provider, provider_message_id) DO NOTHING

-- name: waiting_parts
SELECT * FROM inbound_parts
WHERE provider = ? AND from_number = ? AND to_number = ? AND concat_ref = ? AND total = ?
    AND assembled = 0
ORDER BY received_at

-- name: part_assembled
UPDATE inbound_parts SET assembled = 1 WHERE provider = ? AND provider_message_id = ?

-- name: claim_inbound
UPDATE inbound_sms SET state = 'sending', lease_until = ?, lease_owner = ?,
    in_doubt = (state = 'sending'), attempts = attempts + 1, updated_at = ?
WHERE id IN (SELECT id FROM (
    SELECT id, next_attempt_at AS due FROM inbound_sms
    WHERE state = 'queued' AND next_attempt_at <= ?
    UNION ALL
    SELECT id, lease_until FROM inbound_sms WHERE state = 'sending' AND lease_until <= ?
    ORDER BY 2 LIMIT ?))
RETURNING *

-- name: claim_inbound.postgres
WITH waiting AS (SELECT id, next_attempt_at AS due FROM inbound_sms
    WHERE state = 'queued' AND next_attempt_at <= $4
    ORDER BY next_attempt_at LIMIT $6 FOR UPDATE SKIP LOCKED),
expired AS (SELECT id, lease_until AS due FROM inbound_sms
    WHERE state = 'sending' AND lease_until <= $5
    ORDER BY lease_until LIMIT $6 FOR UPDATE SKIP LOCKED)
UPDATE inbound_sms SET state = 'sending', lease_until = $1, lease_owner = $2,
    in_doubt = (state = 'sending')::int, attempts = attempts + 1, updated_at = $3
WHERE id IN (SELECT id FROM (SELECT id, due FROM waiting UNION ALL SELECT id, due FROM expired)
    AS due ORDER BY due LIMIT $6)
RETURNING *

-- name: inbound_routed
UPDATE inbound_sms SET state = 'routed', route = ?, explanation = ?, mailed_to = ?,
    lease_until = NULL, lease_owner = NULL, updated_at = ?
WHERE id = ?

-- name: inbound_retry
UPDATE inbound_sms SET state = 'queued', next_attempt_at = ?, lease_until = NULL,
    lease_owner = NULL, updated_at = ?
WHERE id = ?

-- name: recent_inbound
SELECT * FROM inbound_sms ORDER BY created_at DESC, id DESC LIMIT ?

-- name: get_inbound
SELECT * FROM inbound_sms WHERE id = ?

-- The latest email to text this customer from this number owns the conversation. A closed
-- conversation (or one stored before conversations had ids) starts again with a new id.
-- name: record_conversation
INSERT INTO conversations (customer_number, reply_number, author, message_id, subject,
    last_text, last_at, id, active_at, closed_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
ON CONFLICT (customer_number, reply_number) DO UPDATE SET author = excluded.author,
    message_id = excluded.message_id, subject = excluded.subject,
    last_text = excluded.last_text, last_at = excluded.last_at,
    active_at = excluded.active_at,
    id = CASE WHEN conversations.closed_at IS NULL AND conversations.id <> ''
        THEN conversations.id ELSE excluded.id END,
    closed_at = NULL

-- A member of staff hands the conversation over (a "/owner" line): the new owner gets the
-- customer's next texts, whether or not anyone has texted them yet.
-- name: hand_over
INSERT INTO conversations (customer_number, reply_number, author, message_id, subject,
    last_text, last_at, id, active_at, closed_at)
VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, NULL)
ON CONFLICT (customer_number, reply_number) DO UPDATE SET author = excluded.author,
    active_at = excluded.active_at,
    id = CASE WHEN conversations.closed_at IS NULL AND conversations.id <> ''
        THEN conversations.id ELSE excluded.id END,
    closed_at = NULL

-- name: close_conversation
UPDATE conversations SET closed_at = ?
WHERE customer_number = ? AND reply_number = ? AND closed_at IS NULL

-- A customer's text within a live conversation keeps it alive.
-- name: touch_conversation
UPDATE conversations SET active_at = ?
WHERE customer_number = ? AND reply_number = ? AND closed_at IS NULL

-- Both ways of a conversation, newest first, for the thread view.
-- name: thread_inbound
SELECT body, received_at AS at FROM inbound_sms
WHERE from_number = ? AND to_number = ? AND received_at >= ?
ORDER BY received_at DESC LIMIT ?

-- name: thread_outbound
SELECT body, author, state, created_at AS at FROM sms_jobs
WHERE to_number = ? AND sender = ? AND created_at >= ?
ORDER BY created_at DESC LIMIT ?

-- name: conversations_of
SELECT * FROM conversations WHERE customer_number = ? ORDER BY active_at DESC

-- name: conversation
SELECT * FROM conversations WHERE customer_number = ? AND reply_number = ?

-- name: last_auto_reply
SELECT last_at FROM auto_replies WHERE customer_number = ? AND reply_number = ?

-- name: suppress
INSERT INTO suppressions VALUES (?, ?, ?) ON CONFLICT DO NOTHING

-- name: auto_replied
INSERT INTO auto_replies VALUES (?, ?, ?)
ON CONFLICT (reply_number, customer_number) DO UPDATE SET last_at = excluded.last_at

-- name: release_inbound_leases
UPDATE inbound_sms SET lease_until = ? WHERE state = 'sending'

-- Routed texts, forgotten conversations and auto-replies, assembled parts. The suppression
-- list is never purged: a STOP lasts until START.
-- name: purge_inbound
DELETE FROM inbound_sms WHERE state NOT IN ('queued', 'sending') AND updated_at < ?

-- name: purge_conversations
DELETE FROM conversations WHERE last_at < ?

-- name: purge_auto_replies
DELETE FROM auto_replies WHERE last_at < ?

-- name: purge_parts
DELETE FROM inbound_parts WHERE assembled = 1 AND received_at < ?

-- Which of the bridge's numbers a reply belongs to (bridge.chain.reply_sender): the number a
-- customer's text went to, by the id in the Message-ID the bridge gave its email; the sender
-- of an email that texted them, by its idempotency key (Message-ID|number); the numbers of
-- their live conversations and recent texts.
-- name: reply_number_of_inbound
SELECT to_number FROM inbound_sms WHERE id = ? AND from_number = ?

-- name: sender_of_email
SELECT sender FROM sms_jobs WHERE idempotency_key = ?

-- name: live_reply_numbers
SELECT reply_number FROM conversations
WHERE customer_number = ? AND active_at >= ? AND closed_at IS NULL
UNION
SELECT to_number FROM inbound_sms WHERE from_number = ? AND received_at >= ?
