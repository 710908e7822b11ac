-- A watcher may ask for a follow-up case when the light turns red or blue.
ALTER TABLE indicator_subscriptions ADD COLUMN opens_case BOOLEAN NOT NULL DEFAULT FALSE;

-- The light each watched indicator's forecast of its next period showed,
-- so a forecast crossing a band is told once.
CREATE TABLE indicator_forecast_states (
    indicator  TEXT NOT NULL,
    area       TEXT NOT NULL,
    period     TEXT NOT NULL,
    light      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (indicator, area)
);
