-- Version 16: the price a provider reported for a text, in the spend caps. ``sms_jobs.cost``
-- is the text's reported price in compliance.currency (NULL while none is known, or when the
-- provider's price is in another currency or none); ``spend_counts`` keeps, beside each
-- quarter hour's segments, how many of them had a reported price (``priced_segments``) and
-- what those cost (``cost``), so a cap counts them at their reported price and the rest at
-- compliance.prices.
ALTER TABLE sms_jobs ADD COLUMN cost REAL;
ALTER TABLE spend_counts ADD COLUMN priced_segments INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spend_counts ADD COLUMN cost REAL NOT NULL DEFAULT 0;
