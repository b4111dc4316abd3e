-- The consent ledger (consent_events), the organisation-wide view of the suppression list
-- and the customers asked to confirm an opt-in campaign (campaign_pending). Scope '*' is the
-- whole organisation.

-- name: insert_consent
INSERT INTO consent_events (id, customer_number, action, scope, at, how, evidence, by_whom,
    reason, campaign)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: consent_events
SELECT * FROM consent_events WHERE customer_number LIKE ?
ORDER BY at DESC, id DESC LIMIT ?

-- The latest opt-in or opt-out of a customer that applies to a sender: the organisation's,
-- or one for that sender itself.
-- name: latest_consent
SELECT * FROM consent_events WHERE customer_number = ? AND (scope = '*' OR scope = ?)
ORDER BY at DESC, id DESC LIMIT 1

-- Opt-ins per campaign between two times, for reports: how many, by how.
-- name: campaign_opt_ins
SELECT campaign, how, COUNT(*) AS opt_ins FROM consent_events
WHERE action = 'opt-in' AND campaign <> '' AND at >= ? AND at < ?
GROUP BY campaign, how ORDER BY campaign, how

-- The customer's latest STOP to any of the bridge's numbers (or the organisation's list).
-- name: suppressed_anywhere
SELECT reply_number, since FROM suppressions WHERE customer_number = ?
ORDER BY since DESC LIMIT 1

-- The customer's STOP to one number, or their place on the organisation's list ('*').
-- name: suppressed_here
SELECT reply_number, since FROM suppressions
WHERE customer_number = ? AND (reply_number = ? OR reply_number = '*')
ORDER BY since DESC LIMIT 1

-- START with the organisation's scope: off every number's list.
-- name: unsuppress_everywhere
DELETE FROM suppressions WHERE customer_number = ?

-- START to one number: off that number's list and the organisation's ('*', an import's).
-- name: unsuppress_here
DELETE FROM suppressions WHERE customer_number = ? AND (reply_number = ? OR reply_number = '*')

-- name: pending_campaign
SELECT campaign, asked_at FROM campaign_pending WHERE customer_number = ? AND reply_number = ?

-- name: ask_campaign
INSERT INTO campaign_pending VALUES (?, ?, ?, ?)
ON CONFLICT (customer_number, reply_number) DO UPDATE SET campaign = excluded.campaign,
    asked_at = excluded.asked_at

-- name: forget_campaign
DELETE FROM campaign_pending WHERE customer_number = ? AND reply_number = ?
