-- What the platform tells an account holder about their account (a lockout
-- after repeated failed attempts), shown until they mark it read.
CREATE TABLE account_notices (
    id         BIGSERIAL   PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id),
    kind       TEXT        NOT NULL,
    detail     TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    read_at    TIMESTAMPTZ
);
CREATE INDEX account_notices_unread ON account_notices (user_id) WHERE read_at IS NULL;

-- A second factor being enrolled: the secret the server made, kept here
-- (not in the form) until a code from the app confirms it.
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_pending_at TIMESTAMPTZ;
