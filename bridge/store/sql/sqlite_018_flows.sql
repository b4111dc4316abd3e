-- Version 18 (dialogue flows, docs/flows.md): where each customer is in a flow with one
-- reply number. ``status`` is 'active' or 'handed over'; ``answers`` a JSON list of
-- [field, value] pairs; ``failures`` the wrong answers at ``step``. ``version`` counts saves:
-- a save names the version it was decided on, so two texts decided on the same state (two
-- bridges, one store) cannot both advance it. ``last_inbound`` is the text that saved it.
CREATE TABLE flow_states (
    customer_number TEXT NOT NULL,
    reply_number    TEXT NOT NULL,
    flow            TEXT NOT NULL,
    step            TEXT NOT NULL,
    status          TEXT NOT NULL,
    answers         TEXT NOT NULL,
    failures        INTEGER NOT NULL,
    updated_at      REAL NOT NULL,
    version         INTEGER NOT NULL,
    last_inbound    TEXT NOT NULL,
    PRIMARY KEY (customer_number, reply_number)
);
