-- Service items (政务服务事项) and their guides by version. A version once
-- loaded never changes (applications keep the one they were filed under);
-- `published_version` is the one offered, a newer one is a draft, and a
-- withdrawn item is offered no more.
CREATE TABLE service_items (
    code              TEXT    PRIMARY KEY,
    department_id     INTEGER NOT NULL REFERENCES departments (id),
    latest_version    INTEGER NOT NULL,
    published_version INTEGER,
    withdrawn_at      TEXT,
    updated_at        TEXT    NOT NULL
);
CREATE INDEX service_items_department ON service_items (department_id);

CREATE TABLE service_item_versions (
    code      TEXT    NOT NULL REFERENCES service_items (code),
    version   INTEGER NOT NULL,
    name      TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    loaded_at TEXT    NOT NULL,
    PRIMARY KEY (code, version)
);
