-- A counter every calendar load moves on, so each node's cached calendar
-- knows, from one row, when to read the years again.
CREATE TABLE calendar_revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO calendar_revision (id, revision) VALUES (1, 0);
