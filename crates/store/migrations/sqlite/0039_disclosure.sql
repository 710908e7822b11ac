-- Documents a department publishes of its own accord (主动公开): title,
-- document number (文号), date of issue, category and text. A withdrawn
-- document leaves the public list and search but stays here with who
-- withdrew it, when and why: its history is kept.
CREATE TABLE disclosure_documents (
    id               INTEGER PRIMARY KEY,
    department_id    INTEGER NOT NULL REFERENCES departments (id),
    title            TEXT NOT NULL,
    doc_number       TEXT,
    issued_on        TEXT NOT NULL,
    category         TEXT NOT NULL,
    body             TEXT NOT NULL,
    published_at     TEXT NOT NULL,
    published_by     INTEGER REFERENCES users (id),
    withdrawn_at     TEXT,
    withdrawn_by     INTEGER REFERENCES users (id),
    withdrawn_reason TEXT
);
-- The public list, newest first, read from the index's end.
CREATE INDEX disclosure_documents_public ON disclosure_documents (published_at, id)
    WHERE withdrawn_at IS NULL;
-- A document number names one document of a department.
CREATE UNIQUE INDEX disclosure_documents_number ON disclosure_documents (department_id, doc_number)
    WHERE doc_number IS NOT NULL;

-- How many documents are on the public list, kept with each publication
-- and withdrawal (the list shows it on every page).
CREATE TABLE disclosure_totals (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    published INTEGER NOT NULL
);
INSERT INTO disclosure_totals (id, published) VALUES (1, 0);

-- The annual report reads a year's requests by when they came.
CREATE INDEX cases_process_created ON cases (process_id, created_at);
