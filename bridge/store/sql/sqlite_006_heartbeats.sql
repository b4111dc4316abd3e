-- Version 6: each bridge writes its heartbeat when asked for its health (issue 8), so that
-- /healthz answers 503 when the store cannot be written, not only when it cannot be read.
CREATE TABLE bridge_heartbeats (
    owner TEXT PRIMARY KEY,
    at    REAL NOT NULL
);
