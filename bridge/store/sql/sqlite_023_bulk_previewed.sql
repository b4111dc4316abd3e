-- Version 23: a bulk send's preview goes to its author as soon as every row is decided, and
-- its texts are stored after it (docs/bulk.md): storing 100,000 texts took a third of the
-- time to the preview. ``previewed_at`` is when the preview was stored, so that a worker
-- that takes the send again after a crash stores its texts without a second preview. The
-- batch stays 'received' until its texts are stored, then moves to 'held' as before.
ALTER TABLE bulk_sends ADD COLUMN previewed_at REAL;
