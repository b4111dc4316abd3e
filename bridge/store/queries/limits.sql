-- Token buckets shared by every bridge on one database (ops_limits.py): one row per
-- limited key, the tokens it held at `at`. A bridge locks the buckets it needs in key order,
-- so two bridges never wait on each other crosswise.

-- name: create_bucket
INSERT INTO rate_buckets (name, tokens, at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING

-- name: lock_bucket
SELECT name, tokens, at FROM rate_buckets WHERE name = ?

-- name: lock_bucket.postgres
SELECT name, tokens, at FROM rate_buckets WHERE name = ? FOR UPDATE

-- name: take_token
UPDATE rate_buckets SET tokens = ?, at = ? WHERE name = ?
