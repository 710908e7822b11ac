-- Personal access tokens: a citizen's or enterprise's own software acting as
-- them, within the scopes they chose, until it expires or they revoke it.
-- Only the SHA-256 digest of a token is kept.
CREATE TABLE personal_tokens (
    id           BIGSERIAL   PRIMARY KEY,
    user_id      BIGINT      NOT NULL REFERENCES users (id),
    name         TEXT        NOT NULL,
    prefix       TEXT        NOT NULL,
    token_hash   TEXT        NOT NULL UNIQUE,
    scopes       TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX personal_tokens_user ON personal_tokens (user_id);
