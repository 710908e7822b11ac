-- Electronic certificates (电子证照): a decided grant whose result is a
-- licence puts one in its holder's wallet. What it states beyond its name
-- is the result document of the same case.
CREATE TABLE certificates (
    id                   INTEGER PRIMARY KEY,
    code                 TEXT    NOT NULL UNIQUE,
    case_id              INTEGER NOT NULL UNIQUE REFERENCES result_documents (case_id),
    name                 TEXT    NOT NULL,
    holder_user_id       INTEGER NOT NULL REFERENCES users (id),
    holder_enterprise_id INTEGER REFERENCES enterprises (id),
    issued_at            TEXT    NOT NULL
);
CREATE INDEX certificates_holder ON certificates (holder_user_id);
CREATE INDEX certificates_enterprise ON certificates (holder_enterprise_id);

-- A material given as a certificate from the wallet rather than uploaded.
ALTER TABLE application_files ADD COLUMN certificate_code TEXT;
