-- Indicators: formulas over data elements (numerator / denominator ×
-- factor), worked out when asked. `public` ones are shown on the public
-- page without signing in.
CREATE TABLE indicator_definitions (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    name_en     TEXT,
    numerator   TEXT    NOT NULL,
    denominator TEXT    NOT NULL,
    factor      REAL    NOT NULL,
    unit        TEXT    NOT NULL DEFAULT '',
    decimals    INTEGER NOT NULL,
    public      INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT    NOT NULL
);
