-- Personal access tokens: a citizen's or enterprise's own software acting as
-- them, within the scopes they chose, until it expires or they revoke it.
-- Only the SHA-256 digest of a token is kept.
CREATE TABLE personal_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    scopes       TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX personal_tokens_user ON personal_tokens (user_id);
