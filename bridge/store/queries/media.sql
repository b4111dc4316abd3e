-- Pictures the bridge serves to providers for MMS (media_files), by an unguessable token,
-- until they expire; the clean-up deletes them after that.

-- The same picture stored again under the same token (never, with random tokens) is ignored.
-- name: insert_media
INSERT INTO media_files (token, content_type, bytes, size, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (token) DO NOTHING

-- name: media_file
SELECT content_type, bytes FROM media_files WHERE token = ? AND expires_at > ?

-- name: purge_media
DELETE FROM media_files WHERE expires_at <= ?
