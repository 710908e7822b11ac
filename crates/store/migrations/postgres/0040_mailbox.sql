-- Letters to the mayor's mailbox and the departments' mailboxes. A letter
-- from someone signed in is a case at once; one from a writer without an
-- account waits here, with the digest of the code texted to their phone,
-- until the code is entered (then its case opens); the phone the code
-- went to is kept apart, so a phone is sent only a few codes an hour. The writer's contact
-- details stay in this table, shown masked to staff; what is published is
-- a copy stripped of personal data, kept beside the letter (and kept when
-- the publication is withdrawn, with the reason).
CREATE TABLE mailbox_letters (
    id                BIGSERIAL PRIMARY KEY,
    case_id           BIGINT UNIQUE REFERENCES cases (id),
    mailbox           TEXT NOT NULL,
    department_id     BIGINT NOT NULL REFERENCES departments (id),
    category          TEXT NOT NULL,
    subject           TEXT NOT NULL,
    body              TEXT NOT NULL,
    writer_id         BIGINT REFERENCES users (id),
    contact           TEXT NOT NULL,
    consent           BOOLEAN NOT NULL,
    ticket_hash       TEXT UNIQUE,
    code_phone        TEXT,
    code_hash         TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    expires_at        TIMESTAMPTZ,
    follow_hash       TEXT UNIQUE,
    written_at        TIMESTAMPTZ NOT NULL,
    published_at      TIMESTAMPTZ,
    published_subject TEXT,
    published_body    TEXT,
    published_answer  TEXT,
    published_by      BIGINT REFERENCES users (id),
    withdrawn_at      TIMESTAMPTZ,
    withdrawn_reason  TEXT
);
-- Codes texted to a phone lately: a phone gets a few an hour.
CREATE INDEX mailbox_letters_code_phone ON mailbox_letters (code_phone, written_at)
    WHERE code_phone IS NOT NULL;
-- The public list, newest first, read from the index's end.
CREATE INDEX mailbox_letters_published ON mailbox_letters (published_at, id)
    WHERE published_at IS NOT NULL;

-- How many letters are published, kept with each publication and
-- withdrawal: the public list shows it on every page, and counting a
-- million rows a view is not to be done.
CREATE TABLE mailbox_totals (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    published BIGINT NOT NULL
);
INSERT INTO mailbox_totals (id, published) VALUES (1, 0);
