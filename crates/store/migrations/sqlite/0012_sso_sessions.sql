-- Single sign-on tokens live and die with the session they were issued
-- in: each session has a public id (`sid`, the ID token's claim) that its
-- codes and tokens carry, and a token is good only while that session is.
-- Tokens issued before this release carry none and end here.
ALTER TABLE sessions ADD COLUMN sid TEXT;
CREATE UNIQUE INDEX sessions_sid ON sessions (sid);
ALTER TABLE oidc_codes ADD COLUMN sid TEXT;
ALTER TABLE oidc_tokens ADD COLUMN sid TEXT;
-- The issuer the tokens were issued as, for the logout tokens sent later.
ALTER TABLE oidc_codes ADD COLUMN iss TEXT;
ALTER TABLE oidc_tokens ADD COLUMN iss TEXT;
CREATE INDEX oidc_tokens_sid ON oidc_tokens (sid);
UPDATE oidc_tokens SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE user_id IS NOT NULL AND revoked_at IS NULL;

-- Public clients (no secret, PKCE required), PKCE required of a
-- confidential client, and OpenID Connect Back-Channel Logout.
ALTER TABLE oidc_clients ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
ALTER TABLE oidc_clients ADD COLUMN require_pkce INTEGER NOT NULL DEFAULT 0;
ALTER TABLE oidc_clients ADD COLUMN backchannel_logout_uri TEXT;

-- Sessions that ended by someone's act (sign-out, a password change, an
-- account disabled): the relying parties that hold tokens of one are told.
CREATE TABLE ended_sessions (
    id          INTEGER PRIMARY KEY,
    sid         TEXT    NOT NULL,
    user_id     INTEGER NOT NULL,
    ended_at    TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    notified_at TEXT
);
CREATE INDEX ended_sessions_pending ON ended_sessions (id) WHERE notified_at IS NULL;

-- Logout tokens on their way to relying parties, retried with backoff.
CREATE TABLE backchannel_deliveries (
    id              INTEGER PRIMARY KEY,
    client_id       TEXT    NOT NULL REFERENCES oidc_clients (client_id),
    uri             TEXT    NOT NULL,
    logout_token    TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT
);
CREATE INDEX backchannel_deliveries_due ON backchannel_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL;

-- API keys may expire.
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
