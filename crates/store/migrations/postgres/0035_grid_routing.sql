-- Routing grid reports to departments: the versions of the routing rules,
-- past dispatch decisions brought in from before the platform (or the
-- demonstration's), the trained dispatch classifiers with their held-out
-- accuracy, and, per report, where the rules sent it and what the
-- classifier suggested when it was opened (so that a dispatcher's override
-- is known and weighs in the next training).
CREATE TABLE grid_routing_rules (
    id        BIGSERIAL PRIMARY KEY,
    version   TEXT NOT NULL UNIQUE,
    source    TEXT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE grid_routing_history (
    id           BIGSERIAL PRIMARY KEY,
    source       TEXT NOT NULL,
    service_code TEXT NOT NULL,
    description  TEXT NOT NULL,
    department   TEXT NOT NULL
);

CREATE TABLE grid_routing_models (
    id               BIGSERIAL PRIMARY KEY,
    trained_at       TIMESTAMPTZ NOT NULL,
    examples         BIGINT NOT NULL,
    overrides        BIGINT NOT NULL,
    held_out         BIGINT NOT NULL,
    held_out_correct BIGINT NOT NULL,
    model            TEXT NOT NULL,
    -- The newest dispatch event it learnt from: a later one means train again.
    newest_dispatch  BIGINT NOT NULL DEFAULT 0
);

ALTER TABLE grid_reports ADD COLUMN routed_to TEXT;
ALTER TABLE grid_reports ADD COLUMN routing_rule TEXT;
ALTER TABLE grid_reports ADD COLUMN suggested TEXT;
ALTER TABLE grid_reports ADD COLUMN suggested_confidence DOUBLE PRECISION;
