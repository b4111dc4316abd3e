-- Version 7: what the outbound chain did to each text (which rules rewrote, deferred or
-- refused it, and why), as a JSON list of [rule, action, detail] triples; '[]' when no rule
-- acted, as for every text stored before.
ALTER TABLE sms_jobs ADD COLUMN chain TEXT NOT NULL DEFAULT '[]';
