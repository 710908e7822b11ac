-- A self-registered account is usable once its phone number is confirmed
-- with a one-time code; accounts made before this release are taken as
-- confirmed. The assurance level says how well the holder's identity is
-- established: 0 unconfirmed, 1 phone confirmed, 2 verified in person
-- (at a counter), 3 by a digital certificate. Items may require a level.
ALTER TABLE users ADD COLUMN phone_verified INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN assurance_level INTEGER NOT NULL DEFAULT 1;

-- A confirmation under way: the registration (or sign-in) it confirms and
-- the code sent, kept as a digest. A registration with an identity number
-- already registered gets one too, with no code: the page looks the same.
CREATE TABLE phone_confirmations (
    ticket_hash  TEXT    PRIMARY KEY,
    user_id      INTEGER REFERENCES users (id),
    phone        TEXT    NOT NULL,
    code_hash    TEXT,
    created_at   TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    confirmed_at TEXT
);

-- Text messages on their way to a phone (through the configured gateway).
CREATE TABLE sms_outbox (
    id         INTEGER PRIMARY KEY,
    phone      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    sent_at    TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX sms_outbox_unsent ON sms_outbox (id) WHERE sent_at IS NULL;
CREATE INDEX sms_outbox_phone ON sms_outbox (phone, id);
