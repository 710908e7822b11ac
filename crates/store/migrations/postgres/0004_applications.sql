-- Online applications: a draft the applicant fills and attaches materials
-- to, then files once (the submission key makes a double click file one),
-- which opens its case. It keeps the guide version it was filed under.
CREATE TABLE applications (
    id             BIGSERIAL PRIMARY KEY,
    item_code      TEXT    NOT NULL,
    item_version   INTEGER NOT NULL,
    applicant_id   BIGINT  NOT NULL REFERENCES users (id),
    status         TEXT    NOT NULL,
    note           TEXT    NOT NULL DEFAULT '',
    submission_key TEXT    UNIQUE,
    case_id        BIGINT  REFERENCES cases (id),
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (item_code, item_version) REFERENCES service_item_versions (code, version)
);
CREATE INDEX applications_applicant ON applications (applicant_id, status);

-- A material of a draft: which of the guide's materials it is, and the
-- stored file (by digest, shared with the case's attachments once filed).
CREATE TABLE application_files (
    id             BIGSERIAL PRIMARY KEY,
    application_id BIGINT  NOT NULL REFERENCES applications (id),
    material       INTEGER NOT NULL,
    name           TEXT    NOT NULL,
    media_type     TEXT    NOT NULL,
    size           BIGINT  NOT NULL,
    sha256         TEXT    NOT NULL,
    uploaded_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX application_files_application ON application_files (application_id);
