-- Self-service password resets: a one-time code sent to the account's
-- confirmed phone. A request whose name and phone match no account gets a
-- ticket too (and no code), so the page does not tell who has an account.
CREATE TABLE password_resets (
    ticket_hash TEXT        PRIMARY KEY,
    user_id     BIGINT      REFERENCES users (id),
    phone       TEXT        NOT NULL,
    code_hash   TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    attempts    INTEGER     NOT NULL DEFAULT 0,
    used_at     TIMESTAMPTZ
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);
