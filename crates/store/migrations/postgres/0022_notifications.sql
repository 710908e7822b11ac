-- The in-site message centre: what each person has been told. A message
-- keeps its kind and values and is worded when read.
CREATE TABLE messages (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    kind       TEXT    NOT NULL,
    params     TEXT    NOT NULL,
    link       TEXT    NOT NULL,
    created_at TIMESTAMPTZ    NOT NULL,
    read_at    TIMESTAMPTZ
);
CREATE INDEX messages_user ON messages (user_id, id);
CREATE INDEX messages_unread ON messages (user_id) WHERE read_at IS NULL;

-- Emails and text messages on their way out (the durable outbox). A row
-- is a notice worded when sent (kind, params, link) or a text given as it
-- is (subject, body). It replaces the text-message outbox.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    address         TEXT    NOT NULL,
    locale          TEXT    NOT NULL DEFAULT 'zh-CN',
    kind            TEXT,
    params          TEXT,
    link            TEXT,
    subject         TEXT,
    body            TEXT,
    created_at      TIMESTAMPTZ    NOT NULL,
    next_attempt_at TIMESTAMPTZ    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    sent_at         TIMESTAMPTZ,
    failed_at       TIMESTAMPTZ,
    last_error      TEXT,
    CHECK ((kind IS NULL) = (body IS NOT NULL))
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_address ON outbox (address, id);
INSERT INTO outbox (channel, address, body, created_at, next_attempt_at, attempts, sent_at, last_error)
    SELECT 'sms', phone, body, created_at, created_at, attempts, sent_at, last_error FROM sms_outbox ORDER BY id;
DROP TABLE sms_outbox;

-- An administrator's wording of a kind of notice, over the shipped file.
CREATE TABLE notification_templates (
    kind       TEXT    NOT NULL,
    locale     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    sms        TEXT    NOT NULL,
    updated_at TIMESTAMPTZ    NOT NULL,
    updated_by BIGINT  REFERENCES users (id),
    PRIMARY KEY (kind, locale)
);

-- Who holds a role in a department: the people a case that comes to the
-- department is told of.
CREATE INDEX role_grants_department ON role_grants (department_id, role);

-- How each person wants to be told beyond the message centre.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE notification_preferences (
    user_id  BIGINT PRIMARY KEY REFERENCES users (id),
    by_email BOOLEAN NOT NULL DEFAULT FALSE,
    by_sms   BOOLEAN NOT NULL DEFAULT FALSE,
    locale   TEXT    NOT NULL DEFAULT 'zh-CN'
);

-- An email address waiting for its holder to enter the code sent to it.
CREATE TABLE email_confirmations (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    email      TEXT    NOT NULL,
    code_hash  TEXT    NOT NULL,
    created_at TIMESTAMPTZ    NOT NULL,
    expires_at TIMESTAMPTZ    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
);
