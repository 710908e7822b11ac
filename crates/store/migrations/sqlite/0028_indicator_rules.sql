-- What the statistics office lays down. Validation rules over reported figures: a left side, an operator and a
-- right side, each a formula over data elements, with a tolerance.
CREATE TABLE indicator_rules (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    name_en    TEXT,
    left_side  TEXT    NOT NULL,
    operator   TEXT    NOT NULL,
    right_side TEXT    NOT NULL,
    tolerance  REAL    NOT NULL DEFAULT 0,
    updated_at TEXT    NOT NULL
);

-- Data sets (报表制度): which elements (a JSON array of codes) which units
-- (a JSON array of area codes) report, how often, by when, and when a
-- period closes to reports.
CREATE TABLE indicator_data_sets (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    name_en    TEXT,
    frequency  TEXT    NOT NULL,
    elements   TEXT    NOT NULL,
    units      TEXT    NOT NULL,
    due_days   INTEGER NOT NULL,
    close_days INTEGER,
    updated_at TEXT    NOT NULL
);

-- The reminders sent for a unit's missing report, one per period.
CREATE TABLE indicator_reminders (
    data_set TEXT NOT NULL,
    unit     TEXT NOT NULL,
    period   TEXT NOT NULL,
    sent_at  TEXT NOT NULL,
    PRIMARY KEY (data_set, unit, period)
);

-- Composite indices: indicators normalised across the areas compared
-- (`min_max` or `z_score`), weighted (a JSON array of components: indicator,
-- weight, higher_is_better) and added, for rankings.
CREATE TABLE indicator_composites (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    name_en       TEXT,
    normalisation TEXT NOT NULL,
    components    TEXT NOT NULL,
    public        INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT NOT NULL
);

-- Who is told when an indicator's warning light changes for an area.
CREATE TABLE indicator_subscriptions (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    indicator  TEXT   NOT NULL,
    area       TEXT   NOT NULL,
    created_at TEXT   NOT NULL,
    PRIMARY KEY (user_id, indicator, area)
);

-- The light each watched indicator last showed for an area, and for which period.
CREATE TABLE indicator_light_states (
    indicator  TEXT NOT NULL,
    area       TEXT NOT NULL,
    period     TEXT NOT NULL,
    light      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (indicator, area)
);

-- An indicator's fixed warning bands (a JSON array of four cut points from
-- cold to hot); none: bands from its own history.
ALTER TABLE indicator_definitions ADD COLUMN bands TEXT;
