-- Version 9: the address book of customers, one row per number (E.164). Tags are kept as a
-- comma list, lower-case and sorted, between a leading and a trailing comma (",vip,late,"),
-- so that one tag is found with LIKE '%,vip,%' on both backends.
CREATE TABLE contacts (
    number     TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    tags       TEXT NOT NULL DEFAULT ',',
    timezone   TEXT NOT NULL DEFAULT '',
    language   TEXT NOT NULL DEFAULT '',
    notes      TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
