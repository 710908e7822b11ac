-- Validation rules over reported figures: a left side, an operator and a
-- right side, each a formula over data elements, with a tolerance.
CREATE TABLE indicator_rules (
    id         BIGSERIAL        PRIMARY KEY,
    code       TEXT             NOT NULL UNIQUE,
    name       TEXT             NOT NULL,
    name_en    TEXT,
    left_side  TEXT             NOT NULL,
    operator   TEXT             NOT NULL,
    right_side TEXT             NOT NULL,
    tolerance  DOUBLE PRECISION NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ      NOT NULL
);
