-- A petition's record beside its case (信访): how it came, its kind of
-- matter, who brought it (shown only to those handling it, supervisors and
-- the petitioner; every view audited), who the platform tells repeats by
-- (the ID number, else the phone, else the name) and the text petitions
-- are compared by.
CREATE TABLE petitions (
    case_id         BIGINT PRIMARY KEY REFERENCES cases (id),
    channel         TEXT NOT NULL,
    category        TEXT NOT NULL,
    petitioner_name TEXT NOT NULL,
    id_number       TEXT,
    phone           TEXT,
    address         TEXT,
    person_key      TEXT NOT NULL,
    text            TEXT NOT NULL,
    registered_by   BIGINT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL
);
-- The earlier petitions a new one is compared with: the same person's,
-- and the recent ones of its kind of matter.
CREATE INDEX petitions_person ON petitions (category, person_key);
CREATE INDEX petitions_recent ON petitions (category, created_at);

-- A petition on the same matter as an earlier one: a repeat by the same
-- person, or a joint petition by another.
CREATE TABLE petition_links (
    case_id         BIGINT NOT NULL REFERENCES cases (id),
    earlier_case_id BIGINT NOT NULL REFERENCES cases (id),
    kind            TEXT NOT NULL,
    PRIMARY KEY (case_id, earlier_case_id)
);
CREATE INDEX petition_links_earlier ON petition_links (earlier_case_id);
