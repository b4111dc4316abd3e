-- The HTTP send endpoint's tokens and remembered answers (bridge/store/ops_api.py).

-- name: api_token_add
-- A name in use is refused (no row changed) unless its token was revoked.
INSERT INTO api_tokens (name, digest, author, created_at, revoked_at)
VALUES (?, ?, ?, ?, NULL)
ON CONFLICT (name) DO UPDATE SET digest = excluded.digest, author = excluded.author,
    created_at = excluded.created_at, revoked_at = NULL
WHERE api_tokens.revoked_at IS NOT NULL

-- name: api_token_by_digest
SELECT name, author, created_at, revoked_at FROM api_tokens WHERE digest = ?

-- name: api_tokens
SELECT name, author, created_at, revoked_at FROM api_tokens ORDER BY name

-- name: api_token_revoke
UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL

-- name: api_answer
SELECT fingerprint, status, body FROM api_answers
WHERE token = ? AND idempotency_key = ? AND created_at > ?

-- name: api_answer_save
-- An answer older than the window gives its key up to the new one.
INSERT INTO api_answers (token, idempotency_key, fingerprint, status, body, created_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (token, idempotency_key) DO UPDATE SET fingerprint = excluded.fingerprint,
    status = excluded.status, body = excluded.body, created_at = excluded.created_at
WHERE api_answers.created_at <= ?

-- name: api_answers_forget
DELETE FROM api_answers WHERE created_at <= ?

-- name: sender_check_add
INSERT INTO sender_checks (message_id, author, results, refused, created_at)
VALUES (?, ?, ?, ?, ?)

-- name: sender_checks
SELECT message_id, author, results, refused, created_at FROM sender_checks
WHERE message_id = ? ORDER BY created_at
