-- Version 13: the spend caps' warnings, one a cap a period (ops_caps.py): the key names the
-- cap, the team or author and the period, so that every bridge on the database sends it once.
CREATE TABLE cap_warnings (
    key TEXT PRIMARY KEY,
    at  REAL NOT NULL
);
