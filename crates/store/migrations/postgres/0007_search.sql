-- The search synonym list (one group per line), edited by administrators;
-- every node expands queries with the newest.
CREATE TABLE search_synonyms (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    body       TEXT    NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- Nodes keep their search index fresh from the audit records of what
-- changed since they looked: records are numbered in commit order, so no
-- change slips behind the mark the way a timestamp could.
CREATE INDEX audit_log_action_seq ON audit_log (action, seq);
