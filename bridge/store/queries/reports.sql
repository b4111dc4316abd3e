-- Reports (bridge/reports, smsbridge report): figures over the texts accepted between two
-- times (created_at in [start, end), Unix seconds), grouped in the database so that a month
-- of a million texts comes back as a few thousand rows. Each statement takes the report's key
-- first ('team', 'sender', 'provider' or 'country'). Durations are rounded to the second, so
-- percentiles are read from (group, seconds, texts) histograms.
--
-- For a team, a statement groups by the author, and the caller makes the author's team of
-- it (bridge.parsing.addresses.domain_of), except where distinct customers are counted
-- (report_customers), which tests/test_reports.py checks against domain_of.

-- One pass over the period's texts: by group, recipient's country and state, and a delivered
-- text's delivery time (a delivery report stamps updated_at when it makes a text delivered,
-- and nothing moves it out of 'delivered' afterwards: queries/jobs.sql). Cost counts only
-- for the texts a provider took (sent, delivered, undelivered), which the caller picks out:
-- what providers reported, and the segments without a reported cost, which the caller prices
-- by country from compliance.prices.
-- name: report_texts
SELECT
    CASE CAST(? AS TEXT) WHEN 'team' THEN author WHEN 'sender' THEN sender
        WHEN 'provider' THEN COALESCE(provider, '') ELSE country END AS grp,
    country,
    state,
    CASE WHEN state = 'delivered' THEN CAST(round(updated_at - created_at) AS INTEGER) END
        AS seconds,
    count(*) AS texts,
    sum(segments) AS segments,
    sum(CASE WHEN cost IS NULL THEN segments ELSE 0 END) AS unpriced_segments,
    sum(COALESCE(cost, 0)) AS reported_cost
FROM sms_jobs
WHERE created_at >= ? AND created_at < ?
GROUP BY 1, 2, 3, 4

-- Why the period's texts failed (for good, or undelivered), by group: the provider's error
-- code and the sentence kept with it. Apart from the pass above, whose sort the sentences
-- would double.
-- name: report_failures
SELECT
    CASE CAST(? AS TEXT) WHEN 'team' THEN author WHEN 'sender' THEN sender
        WHEN 'provider' THEN COALESCE(provider, '') ELSE country END AS grp,
    COALESCE(error_code, '') AS code,
    COALESCE(error, '') AS error,
    count(*) AS texts
FROM sms_jobs
WHERE created_at >= ? AND created_at < ? AND state IN ('failed', 'undelivered')
GROUP BY 1, 2, 3

-- The distinct numbers each group texted in the period. A team is made in the database here
-- (the author's domain: what follows its '@'; '' without one), in each database's words for
-- where the '@' is. GROUP BY rather than DISTINCT: SQLite sorts once instead of building a
-- B-tree of every pair.
-- name: report_customers
SELECT grp, count(*) AS customers
FROM (
    SELECT
        CASE CAST(? AS TEXT)
            WHEN 'team' THEN CASE WHEN instr(author, '@') > 0
                THEN lower(substr(author, instr(author, '@') + 1)) ELSE '' END
            WHEN 'sender' THEN sender WHEN 'provider' THEN COALESCE(provider, '') ELSE country
        END AS grp,
        to_number
    FROM sms_jobs
    WHERE created_at >= ? AND created_at < ?
    GROUP BY 1, 2
) texted
GROUP BY grp

-- name: report_customers.postgres
SELECT grp, count(*) AS customers
FROM (
    SELECT
        CASE CAST(? AS TEXT)
            WHEN 'team' THEN CASE WHEN strpos(author, '@') > 0
                THEN lower(substr(author, strpos(author, '@') + 1)) ELSE '' END
            WHEN 'sender' THEN sender WHEN 'provider' THEN COALESCE(provider, '') ELSE country
        END AS grp,
        to_number
    FROM sms_jobs
    WHERE created_at >= ? AND created_at < ?
    GROUP BY 1, 2
) texted
GROUP BY grp

-- name: report_customers_total
SELECT count(*) AS customers
FROM (SELECT to_number FROM sms_jobs WHERE created_at >= ? AND created_at < ? GROUP BY 1) texted

-- The customers texted in the period who opted in or out (the consent ledger, any scope,
-- within the period) or texted back within it: a few, looked up by number
-- (sms_jobs_recipient). One row per such customer and group (its author, for a team): when
-- the group first texted them in the period, whether they opted in, opted out, and their
-- last text back in the period. The caller counts a reply when that is at or after the first.
-- name: report_customer_events
SELECT
    CASE CAST(? AS TEXT) WHEN 'team' THEN j.author WHEN 'sender' THEN j.sender
        WHEN 'provider' THEN COALESCE(j.provider, '') ELSE j.country END AS grp,
    j.to_number AS number,
    min(j.created_at) AS first_at,
    max(f.opted_in) AS opted_in,
    max(f.opted_out) AS opted_out,
    max(f.last_at) AS last_reply_at
FROM (
    SELECT number, max(opted_in) AS opted_in, max(opted_out) AS opted_out, max(last_at) AS last_at
    FROM (
        SELECT from_number AS number, 0 AS opted_in, 0 AS opted_out, received_at AS last_at
        FROM inbound_sms WHERE received_at >= ? AND received_at < ?
        UNION ALL
        SELECT customer_number,
            CASE WHEN action = 'opt-in' THEN 1 ELSE 0 END,
            CASE WHEN action = 'opt-out' THEN 1 ELSE 0 END,
            NULL
        FROM consent_events WHERE at >= ? AND at < ?
    ) events
    GROUP BY number
) f
JOIN sms_jobs j ON j.to_number = f.number
WHERE j.created_at >= ? AND j.created_at < ?
GROUP BY 1, 2

-- Every opt-in and opt-out the ledger holds for the period, texted or not.
-- name: report_consent_events
SELECT action, count(*) AS events FROM consent_events WHERE at >= ? AND at < ? GROUP BY action

-- Staff response time: each inbound text received in the period, with every text a person
-- (a text with an author) sent that customer at or after it, found by number
-- (sms_jobs_recipient); the caller keeps the first for each inbound text, by its group (its
-- author, for a team). An inbound text nobody has answered comes once, with answered_at NULL.
-- "+j.created_at" keeps SQLite from walking the index of every text since the inbound one.
-- name: report_responses
SELECT i.id, i.received_at, j.created_at AS answered_at, j.id AS answer,
    CASE CAST(? AS TEXT) WHEN 'team' THEN j.author WHEN 'sender' THEN j.sender
        WHEN 'provider' THEN COALESCE(j.provider, '') ELSE j.country END AS grp
FROM inbound_sms i
LEFT JOIN sms_jobs j ON j.to_number = i.from_number AND +j.created_at >= i.received_at
    AND j.author <> ''
WHERE i.received_at >= ? AND i.received_at < ?

-- PostgreSQL would hash every text to join them; asked for each inbound text's first
-- answer alone (LATERAL ... LIMIT 1), it looks each up by number.
-- name: report_responses.postgres
SELECT i.id, i.received_at, a.created_at AS answered_at, a.id AS answer, a.grp
FROM inbound_sms i
LEFT JOIN LATERAL (
    SELECT j.created_at, j.id,
        CASE CAST(? AS TEXT) WHEN 'team' THEN j.author WHEN 'sender' THEN j.sender
            WHEN 'provider' THEN COALESCE(j.provider, '') ELSE j.country END AS grp
    FROM sms_jobs j
    WHERE j.to_number = i.from_number AND j.created_at >= i.received_at AND j.author <> ''
    ORDER BY j.created_at, j.id
    LIMIT 1
) a ON true
WHERE i.received_at >= ? AND i.received_at < ?
