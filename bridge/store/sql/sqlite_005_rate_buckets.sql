-- Version 5: rate limits shared by every bridge on one database (issue 8).
-- One token bucket per limited key (a provider's name or a sending number): the tokens it
-- held at `at` (seconds since the epoch); a bridge refills and takes under a row lock.
CREATE TABLE rate_buckets (
    name   TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    at     REAL NOT NULL
);
