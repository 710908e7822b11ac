-- Photos taken with a grid report: the upright, metadata-free JPEG and its
-- thumbnail, each stored under its SHA-256 in the file store. Written in
-- the transaction that stores the report; attached to its case on opening.
CREATE TABLE grid_photos (
    report_id    BIGINT NOT NULL REFERENCES grid_reports (id),
    position     INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    thumb_sha256 TEXT NOT NULL,
    size         BIGINT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    PRIMARY KEY (report_id, position)
);
CREATE INDEX grid_photos_file ON grid_photos (sha256);
CREATE INDEX grid_photos_thumb ON grid_photos (thumb_sha256);

-- Reports of one class near a point (the duplicates a new report is
-- offered): a band of latitude, the rest by distance.
CREATE INDEX grid_reports_near ON grid_reports (service_code, lat);
