-- Version 24: a customer's opt-outs found by the customer. The key leads with the number
-- they replied STOP to, so the organisation-wide check made at every RCPT TO (the customer's
-- latest opt-out from any number, opt_out_scope = "organisation", the default) read the
-- whole suppression list, and an imported list of 100,000 made every recipient cost that
-- scan (docs/benchmarks.md, guard rails).
CREATE INDEX suppressions_customer ON suppressions (customer_number, since);
