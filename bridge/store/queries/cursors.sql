-- Where each watcher got to: an IMAP folder's (UIDVALIDITY, last UID), and the time up to
-- which a reply-number watcher has seen every inbound text (it never moves back).

-- name: mailbox_cursor
SELECT uidvalidity, last_uid FROM mailbox_cursors WHERE mailbox = ?

-- name: set_mailbox_cursor
INSERT INTO mailbox_cursors VALUES (?, ?, ?)
ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity,
    last_uid = excluded.last_uid

-- name: watch_cursor
SELECT seen_until FROM watch_cursors WHERE provider = ? AND reply_number = ?

-- name: set_watch_cursor
INSERT INTO watch_cursors VALUES (?, ?, ?)
ON CONFLICT (provider, reply_number)
DO UPDATE SET seen_until = max(watch_cursors.seen_until, excluded.seen_until)

-- name: set_watch_cursor.postgres
INSERT INTO watch_cursors VALUES (?, ?, ?)
ON CONFLICT (provider, reply_number)
DO UPDATE SET seen_until = GREATEST(watch_cursors.seen_until, excluded.seen_until)
