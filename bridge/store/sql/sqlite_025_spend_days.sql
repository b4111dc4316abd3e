-- Version 25: the spend caps' segments by day as well as by quarter hour. A team's cap summed
-- this month's quarter hours of every author of the team for every text, and its read went
-- through all the quarter hours kept (store.retention_days): with 50 authors sending all day
-- that was 100,000 rows and 75 ms a text (bench/spend_caps.py). ``spend_days`` holds each
-- author's segments to each country by UTC day, written with the quarter hour; a cap reads
-- whole days from it and quarter hours only where its month or its day begins inside a UTC
-- day (its time zone's midnight), so at most two days of them (``ops_caps.spent_part``). The
-- days are filled from the quarter hours already counted: a quarter hour starts on a multiple
-- of 900 seconds, so ``ROUND(slot / 86400 - 0.49)`` is its UTC day in both databases.
CREATE TABLE spend_days (
    author          TEXT NOT NULL,
    rdomain         TEXT NOT NULL,
    country         TEXT NOT NULL,
    day             REAL NOT NULL,
    segments        INTEGER NOT NULL,
    priced_segments INTEGER NOT NULL DEFAULT 0,
    cost            REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (author, country, day)
);
INSERT INTO spend_days (author, rdomain, country, day, segments, priced_segments, cost)
SELECT author, MIN(rdomain), country, 86400 * ROUND(slot / 86400 - 0.49),
       SUM(segments), SUM(priced_segments), SUM(cost)
FROM spend_counts
GROUP BY author, country, 86400 * ROUND(slot / 86400 - 0.49);
CREATE INDEX spend_days_team_sums ON spend_days
    (rdomain, day, author, country, segments, priced_segments, cost);
CREATE INDEX spend_days_author_sums ON spend_days
    (author, day, country, segments, priced_segments, cost);
