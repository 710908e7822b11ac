-- Each reference set (departments and divisions, say) has a revision that
-- every transaction changing it bumps, so that every node, which serves
-- the set from memory, knows to load it again.
CREATE TABLE reference_revisions (
    name     TEXT    PRIMARY KEY,
    revision INTEGER NOT NULL
);
