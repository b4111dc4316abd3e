-- Version 13: the spend caps (ops_caps.py). Their warnings, one a cap a period: the key names
-- the cap, the team or author and the period, so that every bridge on the database sends it
-- once. And the segments each author sent to each country in each quarter hour (every time
-- zone's day starts on one), added as a text is stored and taken off when it fails for good,
-- so that a cap sums at most a month of quarter hours, never a month of texts. ``rdomain``
-- is the author's domain reversed with a trailing dot (com.example.sales.), so that a team
-- (a domain and its subdomains) is one range of an index.
CREATE TABLE cap_warnings (
    key TEXT PRIMARY KEY,
    at  REAL NOT NULL
);
CREATE TABLE spend_counts (
    author   TEXT NOT NULL,
    rdomain  TEXT NOT NULL,
    country  TEXT NOT NULL,
    slot     REAL NOT NULL,
    segments INTEGER NOT NULL,
    PRIMARY KEY (author, country, slot)
);
CREATE INDEX spend_counts_team ON spend_counts (rdomain, slot);
CREATE INDEX spend_counts_author ON spend_counts (author, slot);
