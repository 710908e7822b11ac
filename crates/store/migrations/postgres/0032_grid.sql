-- Grid city management: the grid's areas (districts, streets, communities
-- and unit cells, by code; GeoJSON geometry in WGS 84), the versions of the
-- classes of problems, and the reports taken in, each becoming a case.
CREATE TABLE grid_areas (
    code     TEXT PRIMARY KEY,
    level    TEXT NOT NULL,
    name     TEXT NOT NULL,
    geometry TEXT NOT NULL
);

CREATE TABLE grid_classifications (
    id        BIGSERIAL PRIMARY KEY,
    version   TEXT NOT NULL UNIQUE,
    source    TEXT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);

-- A report as received (durable before the reporter is answered); when it
-- was opened as a case (claimed in the transaction that opens it), and the case.
CREATE TABLE grid_reports (
    id              BIGSERIAL PRIMARY KEY,
    token           TEXT NOT NULL UNIQUE,
    channel         TEXT NOT NULL,
    service_code    TEXT NOT NULL,
    classes_version TEXT NOT NULL,
    lat             DOUBLE PRECISION NOT NULL,
    lon             DOUBLE PRECISION NOT NULL,
    district        TEXT NOT NULL,
    street          TEXT,
    community       TEXT,
    cell            TEXT,
    address         TEXT,
    description     TEXT NOT NULL,
    attributes      TEXT NOT NULL,
    reporter        TEXT NOT NULL,
    media_url       TEXT,
    api_key_id      BIGINT,
    user_id         BIGINT,
    received_at     TIMESTAMPTZ NOT NULL,
    opened_at       TIMESTAMPTZ,
    case_id         BIGINT REFERENCES cases (id)
);
CREATE INDEX grid_reports_waiting ON grid_reports (id) WHERE opened_at IS NULL;
CREATE INDEX grid_reports_received ON grid_reports (received_at);
CREATE INDEX grid_reports_service ON grid_reports (service_code, received_at);
CREATE INDEX grid_reports_case ON grid_reports (case_id);
