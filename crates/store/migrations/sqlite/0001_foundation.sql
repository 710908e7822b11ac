-- Audit chain: append-only, each record carries the hash of the one before.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    object_type TEXT    NOT NULL,
    object_id   TEXT    NOT NULL,
    source      TEXT,
    request_id  TEXT,
    detail      TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

-- The chain's head, one row: appenders serialise on it and verification
-- compares it with the last record, so removing the newest record shows.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Which version of each reference-data file is loaded.
CREATE TABLE data_versions (
    name      TEXT PRIMARY KEY,
    version   TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);

-- GB/T 2260 divisions and their statistical streets.
CREATE TABLE divisions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_en     TEXT,
    level       TEXT NOT NULL CHECK (level IN ('city', 'district', 'street')),
    parent_code TEXT REFERENCES divisions (code)
);
CREATE INDEX divisions_parent ON divisions (parent_code);

CREATE TABLE departments (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    short_name    TEXT,
    name_en       TEXT,
    kind          TEXT    NOT NULL CHECK (kind IN ('government', 'municipal', 'district')),
    division_code TEXT    NOT NULL REFERENCES divisions (code),
    parent_id     INTEGER REFERENCES departments (id),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX departments_parent ON departments (parent_id);
CREATE INDEX departments_division ON departments (division_code);

-- Identity: citizens (resident ID), enterprises (credit code) and their
-- operators, civil servants (department, roles).
CREATE TABLE enterprises (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    credit_code TEXT UNIQUE,
    org_code    TEXT UNIQUE,
    legal_rep_name      TEXT NOT NULL,
    legal_rep_id_number TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CHECK (credit_code IS NOT NULL OR org_code IS NOT NULL)
);

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    username             TEXT    NOT NULL UNIQUE,
    display_name         TEXT    NOT NULL,
    kind                 TEXT    NOT NULL CHECK (kind IN ('citizen', 'enterprise', 'staff')),
    department_id        INTEGER  REFERENCES departments (id),
    enterprise_id        INTEGER  REFERENCES enterprises (id),
    enterprise_role      TEXT    CHECK (enterprise_role IN ('legal_rep', 'operator')),
    resident_id          TEXT    UNIQUE,
    phone                TEXT,
    password_hash        TEXT    NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    totp_secret          TEXT,
    totp_last_step       INTEGER,
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    CHECK ((kind = 'enterprise') = (enterprise_id IS NOT NULL))
);
CREATE INDEX users_department ON users (department_id);
CREATE INDEX users_enterprise ON users (enterprise_id);

-- Roles, scoped to a department where that applies.
CREATE TABLE role_grants (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    role          TEXT NOT NULL,
    department_id INTEGER REFERENCES departments (id),
    granted_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX role_grants_unique ON role_grants (user_id, role, COALESCE(department_id, 0));

CREATE TABLE recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
);

-- Failed sign-ins per account and per source address, for progressive delay.
CREATE TABLE auth_throttle (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until    TEXT
);

CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    csrf_token   TEXT    NOT NULL,
    -- 'password': second factor still owed; 'full': signed in.
    stage        TEXT    NOT NULL CHECK (stage IN ('password', 'full')),
    auth_time    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    source       TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    prefix     TEXT    NOT NULL,
    key_hash   TEXT    NOT NULL UNIQUE,
    scopes     TEXT    NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- OpenID Connect provider: signing keys (rotated, old ones kept for
-- verification until retired), registered clients, codes and tokens. Codes
-- and tokens are stored as SHA-256 digests only.
CREATE TABLE oidc_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256')),
    private_pem TEXT NOT NULL,
    public_jwk  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    retired_at  TEXT
);

CREATE TABLE oidc_clients (
    client_id                 TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    secret_hash               TEXT NOT NULL,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    id_token_alg              TEXT NOT NULL CHECK (id_token_alg IN ('RS256', 'ES256')),
    created_at                TEXT NOT NULL,
    revoked_at                TEXT
);

CREATE TABLE oidc_codes (
    code_hash      TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES oidc_clients (client_id),
    user_id        INTEGER NOT NULL REFERENCES users (id),
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    code_challenge TEXT,
    auth_time      TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    used_at        TEXT
);

CREATE TABLE oidc_tokens (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    client_id  TEXT NOT NULL REFERENCES oidc_clients (client_id),
    user_id    INTEGER REFERENCES users (id),
    scope      TEXT NOT NULL,
    nonce      TEXT,
    code_hash  TEXT,
    family     TEXT NOT NULL,
    auth_time  TEXT,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    revoked_at TEXT
);
CREATE INDEX oidc_tokens_family ON oidc_tokens (family);
CREATE INDEX oidc_tokens_code ON oidc_tokens (code_hash);

-- The working-day calendar: one row per year whose holiday notice is
-- loaded (the schedule as JSON), and the office hours.
CREATE TABLE calendar_years (
    year         INTEGER PRIMARY KEY,
    schedule     TEXT NOT NULL,
    file_version TEXT NOT NULL,
    loaded_at    TEXT NOT NULL
);

CREATE TABLE calendar_settings (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    working_hours TEXT NOT NULL,
    file_version  TEXT NOT NULL
);

-- Cases: work moving between departments under a process definition. The
-- definition version a case started under stays with it. `version` is the
-- optimistic lock: two people acting at once, one wins.
CREATE TABLE cases (
    id               INTEGER PRIMARY KEY,
    number           TEXT    NOT NULL UNIQUE,
    process_id       TEXT    NOT NULL,
    process_version  INTEGER NOT NULL,
    state            TEXT    NOT NULL,
    applicant_id     INTEGER REFERENCES users (id),
    department_id    INTEGER NOT NULL REFERENCES departments (id),
    co_departments   TEXT    NOT NULL,
    data             TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    state_entered_at TEXT NOT NULL,
    due_at           TEXT,
    due_provisional  INTEGER NOT NULL DEFAULT 0,
    extended         INTEGER NOT NULL DEFAULT 0,
    paused_at        TEXT,
    paused_due_at    TEXT,
    created_at       TEXT NOT NULL,
    closed_at        TEXT
);
CREATE INDEX cases_department_state ON cases (department_id, state);
CREATE INDEX cases_due ON cases (due_at);

-- The append-only timeline of every case.
CREATE TABLE case_events (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    seq        INTEGER NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    from_state TEXT,
    to_state   TEXT    NOT NULL,
    fields     TEXT    NOT NULL,
    UNIQUE (case_id, seq)
);

-- Parallel steps: one branch per co-handling department.
CREATE TABLE case_branches (
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    state         TEXT    NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
    answered_at   TEXT,
    PRIMARY KEY (case_id, state, department_id)
);
