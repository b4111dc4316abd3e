-- Version 21: short links and their clicks. A short link belongs to one text (``job_id``)
-- and is stored with it; ``position`` is its place among the text's links. A click is one
-- request for it: ``counted`` 1 for a person's, 0 for a preview's or scanner's, with ``why``
-- (their name). No address, no User-Agent is kept (docs/links.md, Privacy).
CREATE TABLE short_links (
    code TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    target TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL
);
CREATE INDEX short_links_job ON short_links (job_id);
CREATE TABLE link_clicks (
    code TEXT NOT NULL,
    at REAL NOT NULL,
    counted INTEGER NOT NULL,
    why TEXT NOT NULL DEFAULT ''
);
CREATE INDEX link_clicks_code ON link_clicks (code, at);
