-- What the outbound chain's content stage reads about one recipient (ops_facts.py), as the
-- parts of one SELECT: the address book's entry, the recipient's texts in each window of a
-- frequency cap, the team's spend. One statement a text, not one a fact: on SQLite each
-- statement the event loop runs hands the interpreter lock to the writer's thread and waits
-- to take it back, and on PostgreSQL each is a round trip (docs/benchmarks.md). Each part is
-- a scalar subquery; a row's columns come back as a JSON array, as ops_facts reads them.

-- name: fact_contact
(SELECT json_array(number, name, email, tags, timezone, language, notes)
 FROM contacts WHERE number = ?)

-- name: fact_contact.postgres
(SELECT json_build_array(number, name, email, tags, timezone, language, notes)::text
 FROM contacts WHERE number = ?)

-- How many of the recipient's texts of one category made since a time go within
-- [start, end), counted no further than the cap's limit: a recipient texted thousands of
-- times costs the index rows up to the limit, no more (when each text goes: when it was
-- made, or later if a rule deferred it; texts that failed for good are not counted).
-- name: fact_sent_in_window
(SELECT COUNT(*) FROM (
  SELECT 1 FROM sms_jobs
  WHERE to_number = ? AND category = ? AND created_at >= ? AND state <> 'failed'
    AND CASE WHEN next_attempt_at > created_at THEN next_attempt_at ELSE created_at END >= ?
    AND CASE WHEN next_attempt_at > created_at THEN next_attempt_at ELSE created_at END < ?
  LIMIT ?
) AS counted)

-- The segments of one author (fact_spent_by_author) or of a team, a domain and its
-- subdomains (fact_spent_by_team: a range of reversed domains), by author and country, since
-- the month and since the day began, and of those the ones whose price a provider reported,
-- with that price (migration 016) (day three times, month, then who). Each row is
-- [author, country, month, day, month_priced, month_cost, day_priced, day_cost].
-- name: fact_spent_by_author
(SELECT json_group_array(json_array(author, country, month, day, month_priced, month_cost,
                                    day_priced, day_cost))
 FROM (SELECT author, country, SUM(segments) AS month,
              SUM(CASE WHEN slot >= ? THEN segments ELSE 0 END) AS day,
              SUM(priced_segments) AS month_priced, SUM(cost) AS month_cost,
              SUM(CASE WHEN slot >= ? THEN priced_segments ELSE 0 END) AS day_priced,
              SUM(CASE WHEN slot >= ? THEN cost ELSE 0 END) AS day_cost
       FROM spend_counts WHERE slot >= ? AND author = ?
       GROUP BY author, country) AS spent)

-- name: fact_spent_by_author.postgres
(SELECT COALESCE(json_agg(json_build_array(author, country, month, day, month_priced,
                                           month_cost, day_priced, day_cost)), '[]')::text
 FROM (SELECT author, country, SUM(segments) AS month,
              SUM(CASE WHEN slot >= ? THEN segments ELSE 0 END) AS day,
              SUM(priced_segments) AS month_priced, SUM(cost) AS month_cost,
              SUM(CASE WHEN slot >= ? THEN priced_segments ELSE 0 END) AS day_priced,
              SUM(CASE WHEN slot >= ? THEN cost ELSE 0 END) AS day_cost
       FROM spend_counts WHERE slot >= ? AND author = ?
       GROUP BY author, country) AS spent)

-- name: fact_spent_by_team
(SELECT json_group_array(json_array(author, country, month, day, month_priced, month_cost,
                                    day_priced, day_cost))
 FROM (SELECT author, country, SUM(segments) AS month,
              SUM(CASE WHEN slot >= ? THEN segments ELSE 0 END) AS day,
              SUM(priced_segments) AS month_priced, SUM(cost) AS month_cost,
              SUM(CASE WHEN slot >= ? THEN priced_segments ELSE 0 END) AS day_priced,
              SUM(CASE WHEN slot >= ? THEN cost ELSE 0 END) AS day_cost
       FROM spend_counts WHERE slot >= ? AND rdomain >= ? AND rdomain < ?
       GROUP BY author, country) AS spent)

-- name: fact_spent_by_team.postgres
(SELECT COALESCE(json_agg(json_build_array(author, country, month, day, month_priced,
                                           month_cost, day_priced, day_cost)), '[]')::text
 FROM (SELECT author, country, SUM(segments) AS month,
              SUM(CASE WHEN slot >= ? THEN segments ELSE 0 END) AS day,
              SUM(priced_segments) AS month_priced, SUM(cost) AS month_cost,
              SUM(CASE WHEN slot >= ? THEN priced_segments ELSE 0 END) AS day_priced,
              SUM(CASE WHEN slot >= ? THEN cost ELSE 0 END) AS day_cost
       FROM spend_counts WHERE slot >= ? AND rdomain >= ? AND rdomain < ?
       GROUP BY author, country) AS spent)
