-- Electronic certificates (电子证照): a decided grant whose result is a
-- licence puts one in its holder's wallet. What it states beyond its name
-- is the result document of the same case.
CREATE TABLE certificates (
    id                   BIGSERIAL   PRIMARY KEY,
    code                 TEXT        NOT NULL UNIQUE,
    case_id              BIGINT      NOT NULL UNIQUE REFERENCES result_documents (case_id),
    name                 TEXT        NOT NULL,
    holder_user_id       BIGINT      NOT NULL REFERENCES users (id),
    holder_enterprise_id BIGINT      REFERENCES enterprises (id),
    issued_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX certificates_holder ON certificates (holder_user_id);
CREATE INDEX certificates_enterprise ON certificates (holder_enterprise_id);

-- A material given as a certificate from the wallet rather than uploaded.
ALTER TABLE application_files ADD COLUMN certificate_code TEXT;
