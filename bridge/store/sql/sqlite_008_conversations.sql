-- Version 8: conversations as teams use them. Each has an id (for webhooks and the admin
-- page; '' for a conversation stored before, until its next text), the time of its last text
-- either way (a conversation lives conversation_days from then) and the time it was closed.
-- Each routed text keeps who was actually mailed, and both directions of a conversation are
-- read by customer and reply number for the thread view.
ALTER TABLE conversations ADD COLUMN id TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN active_at REAL NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN closed_at REAL;
UPDATE conversations SET active_at = last_at;
ALTER TABLE inbound_sms ADD COLUMN mailed_to TEXT NOT NULL DEFAULT '[]';
CREATE INDEX inbound_sms_customer ON inbound_sms (from_number, to_number, received_at);
CREATE INDEX sms_jobs_recipient ON sms_jobs (to_number, sender, created_at);
CREATE INDEX conversations_active ON conversations (customer_number, active_at);
