-- The indicators engine: data elements and their values per period per
-- area (a division or a department code) per disaggregation. A correction
-- supersedes the current value and keeps it (vintages): exactly one value
-- is current for each element, period, area and category.
CREATE TABLE indicator_elements (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    name_en     TEXT,
    unit        TEXT    NOT NULL DEFAULT '',
    aggregation TEXT    NOT NULL,
    created_at  TEXT    NOT NULL
);

CREATE TABLE indicator_values (
    id            INTEGER PRIMARY KEY,
    element_id    INTEGER NOT NULL REFERENCES indicator_elements (id),
    period        TEXT    NOT NULL,
    area          TEXT    NOT NULL,
    category      TEXT    NOT NULL DEFAULT '',
    value         REAL    NOT NULL,
    reported_by   TEXT    NOT NULL,
    reported_at   TEXT    NOT NULL,
    superseded_at TEXT
);
CREATE UNIQUE INDEX indicator_values_current
    ON indicator_values (element_id, period, area, category) WHERE superseded_at IS NULL;
CREATE INDEX indicator_values_by_area ON indicator_values (element_id, area, period);
