-- Reports (bridge/reports, smsbridge report): figures over the texts accepted between two
-- times (created_at in [start, end)), grouped by one of four keys. Each statement takes the
-- key's name first ('team', 'sender', 'provider' or 'country') and groups by this expression:
--
--   CASE CAST(<key> AS TEXT)
--       WHEN 'team' THEN lower(substr(author, length(rtrim(author, replace(author, '@', ''))) + 1))
--       WHEN 'sender' THEN sender WHEN 'provider' THEN COALESCE(provider, '') ELSE country END
--
-- A team is the author's domain, as bridge.parsing.addresses.domain_of gives it: rtrim takes
-- every character but '@' off the end, which leaves the address up to its last '@'; what
-- follows is the domain. Both databases have rtrim with a set of characters, so the same
-- text serves both. A text without an author (an automatic reply, smsbridge send) has team ''.
-- Times are Unix seconds; durations are rounded to the second, so a percentile is read from
-- a few thousand (group, seconds, count) rows rather than from every text.

-- Texts by group and recipient's country: what became of them, and their cost. "sent" is a
-- text a provider took (sent, delivered, undelivered); "failed" failed for good at the
-- provider's answer (failed) or in its delivery report (undelivered). Cost counts only the
-- texts a provider took: their reported cost, and the segments of those without one (priced
-- by country from compliance.prices by the caller).
-- name: report_totals
SELECT
    CASE CAST(? AS TEXT)
        WHEN 'team' THEN lower(substr(author, length(rtrim(author, replace(author, '@', ''))) + 1))
        WHEN 'sender' THEN sender WHEN 'provider' THEN COALESCE(provider, '') ELSE country END
        AS grp,
    country,
    count(*) AS accepted,
    sum(CASE WHEN state IN ('sent', 'delivered', 'undelivered') THEN 1 ELSE 0 END) AS sent,
    sum(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END) AS delivered,
    sum(CASE WHEN state IN ('failed', 'undelivered') THEN 1 ELSE 0 END) AS failed,
    sum(CASE WHEN state IN ('queued', 'sending') THEN 1 ELSE 0 END) AS pending,
    sum(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
    sum(CASE WHEN state IN ('sent', 'delivered', 'undelivered') THEN segments ELSE 0 END)
        AS segments,
    sum(CASE WHEN state IN ('sent', 'delivered', 'undelivered') AND cost IS NULL
        THEN segments ELSE 0 END) AS unpriced_segments,
    sum(CASE WHEN state IN ('sent', 'delivered', 'undelivered') THEN COALESCE(cost, 0) ELSE 0 END)
        AS reported_cost
FROM sms_jobs
WHERE created_at >= ? AND created_at < ?
GROUP BY 1, 2

-- Accepted to delivered, by group, to the second. A delivery report that makes a text
-- delivered stamps updated_at, and nothing moves a text out of 'delivered' afterwards
-- (queries/jobs.sql, sms_reported), so updated_at is when it was delivered.
-- name: report_delivery_times
SELECT
    CASE CAST(? AS TEXT)
        WHEN 'team' THEN lower(substr(author, length(rtrim(author, replace(author, '@', ''))) + 1))
        WHEN 'sender' THEN sender WHEN 'provider' THEN COALESCE(provider, '') ELSE country END
        AS grp,
    CAST(round(updated_at - created_at) AS INTEGER) AS seconds,
    count(*) AS texts
FROM sms_jobs
WHERE created_at >= ? AND created_at < ? AND state = 'delivered'
GROUP BY 1, 2

-- Why texts failed, by group: the provider's error code and the sentence kept with it.
-- name: report_failures
SELECT
    CASE CAST(? AS TEXT)
        WHEN 'team' THEN lower(substr(author, length(rtrim(author, replace(author, '@', ''))) + 1))
        WHEN 'sender' THEN sender WHEN 'provider' THEN COALESCE(provider, '') ELSE country END
        AS grp,
    COALESCE(error_code, '') AS code,
    COALESCE(error, '') AS error,
    count(*) AS texts
FROM sms_jobs
WHERE created_at >= ? AND created_at < ? AND state IN ('failed', 'undelivered')
GROUP BY 1, 2, 3

-- The customers each group texted in the period (distinct numbers), and of those: who opted
-- in, who opted out (the consent ledger, any scope, within the period) and who replied (an
-- inbound text from the number within the period, at or after the group's first text to it
-- in the period). The opt-in and opt-out sets are read once (uncorrelated IN); a reply is
-- looked up by number in inbound_sms_customer.
-- name: report_customers
SELECT grp, count(*) AS customers,
    sum(CASE WHEN to_number IN (SELECT customer_number FROM consent_events
        WHERE action = 'opt-in' AND at >= ? AND at < ?) THEN 1 ELSE 0 END) AS opted_in,
    sum(CASE WHEN to_number IN (SELECT customer_number FROM consent_events
        WHERE action = 'opt-out' AND at >= ? AND at < ?) THEN 1 ELSE 0 END) AS opted_out,
    sum(CASE WHEN EXISTS (SELECT 1 FROM inbound_sms i WHERE i.from_number = texted.to_number
        AND i.received_at >= texted.first_at AND i.received_at < ?) THEN 1 ELSE 0 END)
        AS replied
FROM (
    SELECT
        CASE CAST(? AS TEXT)
            WHEN 'team' THEN lower(substr(author, length(rtrim(author, replace(author, '@', ''))) + 1))
            WHEN 'sender' THEN sender WHEN 'provider' THEN COALESCE(provider, '') ELSE country END
            AS grp,
        to_number, min(created_at) AS first_at
    FROM sms_jobs
    WHERE created_at >= ? AND created_at < ?
    GROUP BY 1, 2
) texted
GROUP BY grp

-- The same customers across every group (a customer texted by two teams counts once here).
-- name: report_customers_total
SELECT count(*) AS customers,
    sum(CASE WHEN to_number IN (SELECT customer_number FROM consent_events
        WHERE action = 'opt-in' AND at >= ? AND at < ?) THEN 1 ELSE 0 END) AS opted_in,
    sum(CASE WHEN to_number IN (SELECT customer_number FROM consent_events
        WHERE action = 'opt-out' AND at >= ? AND at < ?) THEN 1 ELSE 0 END) AS opted_out,
    sum(CASE WHEN EXISTS (SELECT 1 FROM inbound_sms i WHERE i.from_number = texted.to_number
        AND i.received_at >= texted.first_at AND i.received_at < ?) THEN 1 ELSE 0 END)
        AS replied
FROM (
    SELECT to_number, min(created_at) AS first_at
    FROM sms_jobs
    WHERE created_at >= ? AND created_at < ?
    GROUP BY to_number
) texted

-- Every opt-in and opt-out the ledger holds for the period, texted or not.
-- name: report_consent_events
SELECT action, count(*) AS events FROM consent_events WHERE at >= ? AND at < ? GROUP BY action

-- Staff response time: each inbound text received in the period, and the first text a
-- person (a text with an author) sent that customer at or after it; grouped by that text's
-- group, to the second. An inbound text nobody has answered has grp and seconds NULL.
-- name: report_responses
SELECT grp, CAST(round(answered_at - received_at) AS INTEGER) AS seconds, count(*) AS texts
FROM (
    SELECT i.received_at,
        (SELECT min(j.created_at) FROM sms_jobs j
         WHERE j.to_number = i.from_number AND j.created_at >= i.received_at
           AND j.author <> '') AS answered_at,
        (SELECT
            CASE CAST(? AS TEXT)
                WHEN 'team' THEN lower(substr(j.author,
                    length(rtrim(j.author, replace(j.author, '@', ''))) + 1))
                WHEN 'sender' THEN j.sender WHEN 'provider' THEN COALESCE(j.provider, '')
                ELSE j.country END
         FROM sms_jobs j
         WHERE j.to_number = i.from_number AND j.created_at >= i.received_at
           AND j.author <> ''
         ORDER BY j.created_at, j.id LIMIT 1) AS grp
    FROM inbound_sms i
    WHERE i.received_at >= ? AND i.received_at < ?
) answered
GROUP BY 1, 2
