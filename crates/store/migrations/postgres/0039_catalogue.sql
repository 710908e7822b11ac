-- The information resource catalogue: each department's resources with
-- the cataloguing guide's core metadata (信息项, sharing and open
-- attributes as JSON text and words), the loads of their hosted data by
-- version, and the rows: a row belongs to every version from the one that
-- added it to the one that replaced it, so a load writes only its own rows.
CREATE TABLE catalogue_resources (
    id                BIGSERIAL PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    department_id     BIGINT NOT NULL REFERENCES departments (id),
    class_code        TEXT NOT NULL,
    name              TEXT NOT NULL,
    name_en           TEXT,
    abstract          TEXT NOT NULL,
    abstract_en       TEXT,
    keywords          TEXT NOT NULL,
    format            TEXT NOT NULL,
    update_cycle      TEXT NOT NULL,
    published_on      DATE NOT NULL,
    sharing           TEXT NOT NULL,
    sharing_condition TEXT,
    sharing_method    TEXT,
    legal_basis       TEXT,
    open              TEXT NOT NULL,
    related           TEXT NOT NULL,
    items             TEXT NOT NULL,
    data_version      BIGINT NOT NULL DEFAULT 0,
    row_count         BIGINT NOT NULL DEFAULT 0,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX catalogue_resources_department ON catalogue_resources (department_id);

CREATE TABLE catalogue_loads (
    resource_id BIGINT NOT NULL REFERENCES catalogue_resources (id),
    version     BIGINT NOT NULL,
    mode        TEXT NOT NULL,
    rows        BIGINT NOT NULL,
    source      TEXT NOT NULL,
    loaded_by   BIGINT REFERENCES users (id),
    loaded_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (resource_id, version)
);

CREATE TABLE catalogue_rows (
    resource_id BIGINT NOT NULL REFERENCES catalogue_resources (id),
    row_no      BIGINT NOT NULL,
    added_in    BIGINT NOT NULL,
    removed_in  BIGINT,
    data        TEXT NOT NULL,
    PRIMARY KEY (resource_id, row_no)
);
CREATE INDEX catalogue_rows_current ON catalogue_rows (resource_id, row_no) WHERE removed_in IS NULL;

-- Grants: a consuming department may read a resource's fields for a
-- purpose until a date (a conditional one after its provider agreed, in a
-- case of the sharing process). Machine clients of the exchange act for
-- the department an administrator bound them to.
CREATE TABLE catalogue_grants (
    id          BIGSERIAL PRIMARY KEY,
    resource_id BIGINT NOT NULL REFERENCES catalogue_resources (id),
    consumer_id BIGINT NOT NULL REFERENCES departments (id),
    fields      TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    expires_on  DATE NOT NULL,
    case_id     BIGINT REFERENCES cases (id),
    granted_by  BIGINT REFERENCES users (id),
    granted_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX catalogue_grants_consumer ON catalogue_grants (consumer_id, resource_id);

CREATE TABLE exchange_clients (
    client_id     TEXT PRIMARY KEY REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    department_id BIGINT NOT NULL REFERENCES departments (id),
    bound_at      TIMESTAMPTZ NOT NULL
);
