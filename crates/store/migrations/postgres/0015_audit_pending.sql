-- Audit records written in their change's transaction and not yet linked
-- into the chain: on PostgreSQL the chain's head is taken by one appender,
-- in batches, a few milliseconds after the commit, instead of by every
-- audited transaction until its commit. SQLite links each record at once
-- (its one writer serialises them anyway) and has no such table.
CREATE TABLE audit_pending (
    id          BIGSERIAL   PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT        NOT NULL,
    action      TEXT        NOT NULL,
    object_type TEXT        NOT NULL,
    object_id   TEXT        NOT NULL,
    source      TEXT,
    request_id  TEXT,
    detail      TEXT        NOT NULL
);
