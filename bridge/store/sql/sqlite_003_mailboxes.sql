-- Version 3: where each IMAP mailbox watcher got to (issue 5).
CREATE TABLE mailbox_cursors (
    mailbox     TEXT PRIMARY KEY,   -- user@host:port/folder
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL
);
