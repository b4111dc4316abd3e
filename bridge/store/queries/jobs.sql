-- SMS jobs and the bridge's own mail jobs: stored, claimed with a lease, finished.
-- Times are Unix seconds. A job still in 'sending' when it is claimed again was claimed by a
-- process that never finished it: the claim marks it in doubt (SET reads the row's old
-- values in both databases). A claim takes the jobs that are due, earliest first: a queued
-- job is due at next_attempt_at, a leased one when its lease runs out. SQLite merges the two
-- partial indexes (sms_jobs_waiting, sms_jobs_leased), already in due order, and stops at the
-- limit; PostgreSQL locks what it takes with FOR UPDATE SKIP LOCKED, so that several bridges
-- never claim the same job. FOR UPDATE is not allowed in a UNION, so PostgreSQL locks the
-- first jobs of each index in a CTE of its own and takes the earliest of both: two index
-- scans that stop at the limit, where one WHERE with an OR read and sorted the whole queue
-- (4 ms a claim with 10,000 queued, 0.4 ms so). What is locked and not taken is free again
-- at the end of the statement, which runs alone.

-- name: insert_sms
INSERT INTO sms_jobs (id, idempotency_key, message_id, author, subject, to_number, sender,
    body, encoding, segments, route, chain, media, category, country, state, next_attempt_at,
    created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)
ON CONFLICT (idempotency_key) DO NOTHING

-- name: sms_by_key
SELECT id, created_at FROM sms_jobs WHERE idempotency_key = ?

-- A job too old to merge with a new one of the same key gives the key up: it becomes
-- key|id, unique because the id is. The key must still be the one read (two bridges may
-- both find the old job; only one renames it).
-- name: rename_sms_key
UPDATE sms_jobs SET idempotency_key = idempotency_key || '|' || id
WHERE id = ? AND idempotency_key = ?

-- name: insert_mail
INSERT INTO mail_jobs (id, kind, envelope_from, recipients, content, state, next_attempt_at,
    created_at, updated_at)
VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)

-- name: claim_sms
UPDATE sms_jobs SET state = 'sending', lease_until = ?, lease_owner = ?,
    in_doubt = (state = 'sending'), attempts = attempts + 1, updated_at = ?
WHERE id IN (SELECT id FROM (
    SELECT id, next_attempt_at AS due FROM sms_jobs
    WHERE state = 'queued' AND next_attempt_at <= ?
    UNION ALL
    SELECT id, lease_until FROM sms_jobs WHERE state = 'sending' AND lease_until <= ?
    ORDER BY 2 LIMIT ?))
RETURNING *

-- name: claim_sms.postgres
WITH waiting AS (SELECT id, next_attempt_at AS due FROM sms_jobs
    WHERE state = 'queued' AND next_attempt_at <= $4
    ORDER BY next_attempt_at LIMIT $6 FOR UPDATE SKIP LOCKED),
expired AS (SELECT id, lease_until AS due FROM sms_jobs
    WHERE state = 'sending' AND lease_until <= $5
    ORDER BY lease_until LIMIT $6 FOR UPDATE SKIP LOCKED)
UPDATE sms_jobs SET state = 'sending', lease_until = $1, lease_owner = $2,
    in_doubt = (state = 'sending')::int, attempts = attempts + 1, updated_at = $3
WHERE id IN (SELECT id FROM (SELECT id, due FROM waiting UNION ALL SELECT id, due FROM expired)
    AS due ORDER BY due LIMIT $6)
RETURNING *

-- name: claim_mail
UPDATE mail_jobs SET state = 'sending', lease_until = ?, lease_owner = ?,
    in_doubt = (state = 'sending'), attempts = attempts + 1, updated_at = ?
WHERE id IN (SELECT id FROM (
    SELECT id, next_attempt_at AS due FROM mail_jobs
    WHERE state = 'queued' AND next_attempt_at <= ?
    UNION ALL
    SELECT id, lease_until FROM mail_jobs WHERE state = 'sending' AND lease_until <= ?
    ORDER BY 2 LIMIT ?))
RETURNING *

-- name: claim_mail.postgres
WITH waiting AS (SELECT id, next_attempt_at AS due FROM mail_jobs
    WHERE state = 'queued' AND next_attempt_at <= $4
    ORDER BY next_attempt_at LIMIT $6 FOR UPDATE SKIP LOCKED),
expired AS (SELECT id, lease_until AS due FROM mail_jobs
    WHERE state = 'sending' AND lease_until <= $5
    ORDER BY lease_until LIMIT $6 FOR UPDATE SKIP LOCKED)
UPDATE mail_jobs SET state = 'sending', lease_until = $1, lease_owner = $2,
    in_doubt = (state = 'sending')::int, attempts = attempts + 1, updated_at = $3
WHERE id IN (SELECT id FROM (SELECT id, due FROM waiting UNION ALL SELECT id, due FROM expired)
    AS due ORDER BY due LIMIT $6)
RETURNING *

-- Lease fencing. A worker's claim is good only while the job is still leased to its owner:
-- a bridge frozen longer than its lease (a VM stall, SIGSTOP) may find the job taken over
-- by another bridge, or already finished. Right before each provider call the worker keeps
-- the lease (it must still be the owner; the lease is extended), and every outcome it
-- records applies only while it is still the owner: it learns from the row count.
-- An expired lease that nobody has claimed since is still the owner's, and taking it back
-- is safe: a claim elsewhere would have changed the owner, under the same row lock.
-- name: keep_sms_lease
UPDATE sms_jobs SET lease_until = ? WHERE id = ? AND state = 'sending' AND lease_owner = ?

-- name: sms_sent
UPDATE sms_jobs SET state = 'sent', provider = ?, provider_message_id = ?, price = ?,
    lease_until = NULL, lease_owner = NULL, error = NULL, error_code = NULL,
    maybe_sent_via = NULL, updated_at = ?
WHERE id = ? AND lease_owner = ?

-- Leases kept together (PostgreSQL's group commit): a JSON list of {id, owner, until}; the
-- ids whose lease was kept come back. The ids are looked up in the primary key first, as
-- for sms_sent_many below.
-- name: keep_sms_leases
UPDATE sms_jobs SET lease_until = s.until
FROM (SELECT value ->> 'id' AS id, value ->> 'owner' AS owner, value ->> 'until' AS until
    FROM json_each(?)) AS s
WHERE sms_jobs.id = s.id AND sms_jobs.state = 'sending' AND sms_jobs.lease_owner = s.owner
RETURNING sms_jobs.id

-- name: keep_sms_leases.postgres
UPDATE sms_jobs SET lease_until = s.until
FROM jsonb_to_recordset($1::jsonb) AS s(id text, owner text, until float8)
WHERE sms_jobs.id = ANY (ARRAY(SELECT jsonb_array_elements($1::jsonb) ->> 'id'))
    AND sms_jobs.id = s.id AND sms_jobs.state = 'sending' AND sms_jobs.lease_owner = s.owner
RETURNING sms_jobs.id

-- Texts sent, recorded together (PostgreSQL's group commit, bridge/store/grouped.py): a
-- JSON list of {id, owner, provider, message_id, price, at}; each is recorded only while
-- still leased to its owner, and the ids recorded come back.
-- name: sms_sent_many
UPDATE sms_jobs SET state = 'sent', provider = s.provider, provider_message_id = s.message_id,
    price = s.price, lease_until = NULL, lease_owner = NULL, error = NULL, error_code = NULL,
    maybe_sent_via = NULL, updated_at = s.at
FROM (SELECT value ->> 'id' AS id, value ->> 'owner' AS owner, value ->> 'provider' AS provider,
    value ->> 'message_id' AS message_id, value ->> 'price' AS price, value ->> 'at' AS at
    FROM json_each(?)) AS s
WHERE sms_jobs.id = s.id AND sms_jobs.lease_owner = s.owner
RETURNING sms_jobs.id

-- PostgreSQL guesses a hundred rows from a JSON list and would join them to a scan of the
-- whole table (4 ms with 10,000 jobs): the ids, looked up in the primary key first, keep
-- it to the rows named (0.2 ms).
-- name: sms_sent_many.postgres
UPDATE sms_jobs SET state = 'sent', provider = s.provider, provider_message_id = s.message_id,
    price = s.price, lease_until = NULL, lease_owner = NULL, error = NULL, error_code = NULL,
    maybe_sent_via = NULL, updated_at = s.at
FROM jsonb_to_recordset($1::jsonb)
    AS s(id text, owner text, provider text, message_id text, price text, at float8)
WHERE sms_jobs.id = ANY (ARRAY(SELECT jsonb_array_elements($1::jsonb) ->> 'id'))
    AND sms_jobs.id = s.id AND sms_jobs.lease_owner = s.owner
RETURNING sms_jobs.id

-- Texts sent recorded and the jobs their workers take next leased, in one statement
-- (PostgreSQL only: SQLite has no UPDATE inside WITH, and its writer commits the runner's
-- claim with the texts sent anyway). It saves a worker a round trip and a commit per text
-- (docs/benchmarks.md, dispatch). $1 is the texts sent, as for sms_sent_many; $2 to $7 are
-- claim_sms's arguments. A text recorded here is never claimed by it too, although its lease
-- may have run out: one statement may not update a row twice. Every row carries the ids
-- recorded; the claimed jobs' columns are NULL on the one row when none was due.
-- name: sms_sent_claiming (postgres only)
WITH sent AS (UPDATE sms_jobs SET state = 'sent', provider = s.provider,
    provider_message_id = s.message_id, price = s.price, lease_until = NULL,
    lease_owner = NULL, error = NULL, error_code = NULL, maybe_sent_via = NULL, updated_at = s.at
    FROM jsonb_to_recordset($1::jsonb)
        AS s(id text, owner text, provider text, message_id text, price text, at float8)
    WHERE sms_jobs.id = ANY (ARRAY(SELECT jsonb_array_elements($1::jsonb) ->> 'id'))
        AND sms_jobs.id = s.id AND sms_jobs.lease_owner = s.owner
    RETURNING sms_jobs.id),
waiting AS (SELECT id, next_attempt_at AS due FROM sms_jobs
    WHERE state = 'queued' AND next_attempt_at <= $5
    ORDER BY next_attempt_at LIMIT $7 FOR UPDATE SKIP LOCKED),
expired AS (SELECT id, lease_until AS due FROM sms_jobs
    WHERE state = 'sending' AND lease_until <= $6
        AND id <> ALL (ARRAY(SELECT jsonb_array_elements($1::jsonb) ->> 'id'))
    ORDER BY lease_until LIMIT $7 FOR UPDATE SKIP LOCKED),
claimed AS (UPDATE sms_jobs SET state = 'sending', lease_until = $2, lease_owner = $3,
    in_doubt = (state = 'sending')::int, attempts = attempts + 1, updated_at = $4
    WHERE id IN (SELECT id FROM (SELECT id, due FROM waiting UNION ALL SELECT id, due FROM expired)
        AS due ORDER BY due LIMIT $7)
    RETURNING sms_jobs.*)
SELECT ARRAY(SELECT id FROM sent) AS recorded, claimed.*
FROM (VALUES (1)) AS one (n) LEFT JOIN claimed ON true

-- name: sms_retry
UPDATE sms_jobs SET state = 'queued', next_attempt_at = ?, error = ?, error_code = ?,
    maybe_sent_via = ?, lease_until = NULL, lease_owner = NULL, updated_at = ?
WHERE id = ? AND lease_owner = ?

-- A deferral does not spend an attempt: the claim's is given back.
-- name: sms_defer
UPDATE sms_jobs SET state = 'queued', next_attempt_at = ?, attempts = attempts - 1,
    error = COALESCE(?, error), error_code = COALESCE(?, error_code),
    lease_until = NULL, lease_owner = NULL, updated_at = ?
WHERE id = ? AND lease_owner = ?

-- name: sms_failed
UPDATE sms_jobs SET state = 'failed', error = ?, error_code = ?, lease_until = NULL,
    lease_owner = NULL, updated_at = ?
WHERE id = ? AND lease_owner = ?

-- A report never moves a job out of a final state (providers repeat and reorder reports).
-- name: sms_reported
UPDATE sms_jobs SET state = ?, error = COALESCE(?, error), error_code = COALESCE(?, error_code),
    price = COALESCE(?, price), updated_at = ?
WHERE id = ? AND state NOT IN ('delivered', 'undelivered', 'failed')

-- name: mail_state
UPDATE mail_jobs SET state = ?, error = ?, next_attempt_at = ?, lease_until = NULL,
    lease_owner = NULL, updated_at = ?
WHERE id = ? AND lease_owner = ?

-- Only safe when no other bridge shares the store: every lease becomes claimable now.
-- name: release_sms_leases
UPDATE sms_jobs SET lease_until = ? WHERE state = 'sending'

-- name: release_mail_leases
UPDATE mail_jobs SET lease_until = ? WHERE state = 'sending'

-- Queued and leased work is never purged.
-- name: purge_sms
DELETE FROM sms_jobs WHERE state NOT IN ('queued', 'sending') AND updated_at < ?

-- name: purge_mail
DELETE FROM mail_jobs WHERE state NOT IN ('queued', 'sending') AND updated_at < ?

-- name: recent_sms
-- The outbox, newest first; each filter is a NULL that lets every row through when left out
-- (bridge/store/outbox_filter.py gives the arguments). An author is an address, or a domain
-- that covers its subdomains (two LIKE patterns).
SELECT * FROM sms_jobs
WHERE (CAST(? AS TEXT) IS NULL OR state = ?)
  AND (CAST(? AS TEXT) IS NULL OR to_number = ?)
  AND (CAST(? AS TEXT) IS NULL OR author = ? OR author LIKE ? ESCAPE '\' OR author LIKE ? ESCAPE '\')
  AND created_at >= ?
ORDER BY created_at DESC, id DESC LIMIT ?

-- name: get_sms
SELECT * FROM sms_jobs WHERE id = ?

-- name: find_sms
SELECT * FROM sms_jobs WHERE provider = ? AND provider_message_id = ?

-- The texts failed in the last day are counted from the partial index of the rare states
-- (sms_jobs_trouble, migration 019), whose condition the IN list repeats so SQLite uses it.
-- name: counts
SELECT
    (SELECT count(*) FROM sms_jobs WHERE state = 'queued' AND attempts = 0),
    (SELECT count(*) FROM sms_jobs WHERE state = 'queued' AND attempts > 0),
    (SELECT count(*) FROM sms_jobs WHERE state = 'sending'),
    (SELECT count(*) FROM mail_jobs WHERE state IN ('queued', 'sending')),
    (SELECT count(*) FROM sms_jobs WHERE state IN ('failed', 'undelivered', 'cancelled')
        AND state = 'failed' AND updated_at >= ?),
    (SELECT count(*) FROM mail_jobs WHERE state = 'failed' AND updated_at >= ?)

-- One row per bridge process: a write that proves the store takes writes (/healthz).
-- name: heartbeat
INSERT INTO bridge_heartbeats (owner, at) VALUES (?, ?)
ON CONFLICT (owner) DO UPDATE SET at = excluded.at

-- name: purge_heartbeats
DELETE FROM bridge_heartbeats WHERE at < ?

-- What /metrics shows of the queues, read at each scrape: one statement, every part of it
-- answered from the partial indexes of the waiting and leased jobs (never the whole table).
-- name: queue_gauges
SELECT
    (SELECT count(*) FROM sms_jobs WHERE state = 'queued' AND next_attempt_at <= ?),
    (SELECT count(*) FROM sms_jobs WHERE state = 'queued' AND next_attempt_at > ?),
    (SELECT count(*) FROM sms_jobs WHERE state = 'sending'),
    (SELECT min(next_attempt_at) FROM sms_jobs WHERE state = 'queued'),
    (SELECT count(*) FROM mail_jobs WHERE state = 'queued' AND next_attempt_at <= ?),
    (SELECT count(*) FROM mail_jobs WHERE state = 'queued' AND next_attempt_at > ?),
    (SELECT count(*) FROM mail_jobs WHERE state = 'sending'),
    (SELECT min(next_attempt_at) FROM mail_jobs WHERE state = 'queued')
