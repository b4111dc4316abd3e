-- Version 22: the guard rails' counts read from their indexes alone. The outbound chain counts
-- a recipient's texts of one category (frequency caps) and sums a team's or an author's
-- segments (spend caps) for every text. With only the keys indexed, each text counted or
-- each quarter hour summed also read its table row, a page each; and on SQLite every commit
-- empties a reader's page cache, so those pages were read again for nearly every text
-- (docs/benchmarks.md, the guard rails). These indexes hold every column the counts read;
-- the writer keeps them up to date on its own thread. A text that failed for good reached
-- nobody and is never counted, so it is left out of the first. That index is partial for a
-- second reason: holding every text's state, it would look to SQLite's planner like a cheap
-- way to count the texts being sent (/metrics), which migration 1's partial index answers
-- without reading every text; a query may use a partial index only if it names its WHERE.
CREATE INDEX sms_jobs_counted ON sms_jobs
    (to_number, category, created_at, state, next_attempt_at) WHERE state <> 'failed';
DROP INDEX sms_jobs_category;
CREATE INDEX spend_counts_team_sums ON spend_counts
    (rdomain, slot, author, country, segments, priced_segments, cost);
DROP INDEX spend_counts_team;
CREATE INDEX spend_counts_author_sums ON spend_counts
    (author, slot, country, segments, priced_segments, cost);
DROP INDEX spend_counts_author;
