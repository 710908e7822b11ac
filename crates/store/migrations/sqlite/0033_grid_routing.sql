-- Routing grid reports to departments: the versions of the routing rules,
-- past dispatch decisions brought in from before the platform (or the
-- demonstration's), the trained dispatch classifiers with their held-out
-- accuracy, and, per report, where the rules sent it and what the
-- classifier suggested when it was opened (so that a dispatcher's override
-- is known and weighs in the next training).
CREATE TABLE grid_routing_rules (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    version   TEXT NOT NULL UNIQUE,
    source    TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);

CREATE TABLE grid_routing_history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source       TEXT NOT NULL,
    service_code TEXT NOT NULL,
    description  TEXT NOT NULL,
    department   TEXT NOT NULL
);

CREATE TABLE grid_routing_models (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    trained_at       TEXT NOT NULL,
    examples         INTEGER NOT NULL,
    overrides        INTEGER NOT NULL,
    held_out         INTEGER NOT NULL,
    held_out_correct INTEGER NOT NULL,
    model            TEXT NOT NULL,
    -- The newest dispatch event it learnt from: a later one means train again.
    newest_dispatch  INTEGER NOT NULL DEFAULT 0
);

ALTER TABLE grid_reports ADD COLUMN routed_to TEXT;
ALTER TABLE grid_reports ADD COLUMN routing_rule TEXT;
ALTER TABLE grid_reports ADD COLUMN suggested TEXT;
ALTER TABLE grid_reports ADD COLUMN suggested_confidence REAL;
