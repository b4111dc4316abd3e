-- Dialogue flows' states (bridge/store/ops_flows.py): read with the inbound context, saved
-- with the text's outcome, each save only over the version it was decided on.

-- name: flow_state
SELECT * FROM flow_states WHERE customer_number = ? AND reply_number = ?

-- name: flow_insert
INSERT INTO flow_states (customer_number, reply_number, flow, step, status, answers, failures,
    updated_at, version, last_inbound)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
ON CONFLICT (customer_number, reply_number) DO NOTHING

-- name: flow_update
UPDATE flow_states SET flow = ?, step = ?, status = ?, answers = ?, failures = ?,
    updated_at = ?, version = version + 1, last_inbound = ?
WHERE customer_number = ? AND reply_number = ? AND version = ?

-- name: flow_delete
DELETE FROM flow_states WHERE customer_number = ? AND reply_number = ? AND version = ?

-- name: flow_states
SELECT * FROM flow_states ORDER BY updated_at DESC LIMIT ?
