-- The result document of a decided application, issued once, with the
-- verification code a public page checks.
CREATE TABLE result_documents (
    id             BIGSERIAL PRIMARY KEY,
    case_id        BIGINT  NOT NULL UNIQUE REFERENCES cases (id),
    code           TEXT    NOT NULL UNIQUE,
    case_number    TEXT    NOT NULL,
    item_code      TEXT    NOT NULL,
    item_name      TEXT    NOT NULL,
    applicant_name TEXT    NOT NULL,
    decision       TEXT    NOT NULL,
    approved       BOOLEAN NOT NULL,
    decided_at     TIMESTAMPTZ NOT NULL,
    issued_at      TIMESTAMPTZ NOT NULL
);
