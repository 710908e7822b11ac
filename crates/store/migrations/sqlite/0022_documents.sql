-- What a result document says beyond its first fields: the issuing
-- department and the particulars (JSON) its digest covers.
ALTER TABLE result_documents ADD COLUMN issuer_code TEXT NOT NULL DEFAULT '';
ALTER TABLE result_documents ADD COLUMN issuer_name TEXT NOT NULL DEFAULT '';
ALTER TABLE result_documents ADD COLUMN particulars TEXT NOT NULL DEFAULT '{}';

-- A department's seal (a PNG on a transparent ground), pressed on the
-- documents it issues.
CREATE TABLE department_seals (
    department_id INTEGER PRIMARY KEY REFERENCES departments (id),
    image         BLOB    NOT NULL,
    uploaded_at   TEXT    NOT NULL
);
