-- A rating is given by the applicant, by whoever holds the follow link of a
-- report (no account: rated_by is empty), or recorded by staff on the
-- call-back (回访) from what the caller said: rated_via tells which, and
-- rated_by is whoever entered it. SQLite cannot drop a NOT NULL, so the
-- table is made again.
CREATE TABLE case_ratings_new (
    case_id          INTEGER PRIMARY KEY REFERENCES cases (id),
    grade            INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 5),
    comment          TEXT    NOT NULL,
    rated_by         INTEGER REFERENCES users (id),
    rated_at         TEXT    NOT NULL,
    followup_case_id INTEGER REFERENCES cases (id),
    rated_via        TEXT    NOT NULL DEFAULT 'applicant'
        CHECK (rated_via IN ('applicant', 'link', 'callback'))
);
INSERT INTO case_ratings_new (case_id, grade, comment, rated_by, rated_at, followup_case_id)
SELECT case_id, grade, comment, rated_by, rated_at, followup_case_id FROM case_ratings;
DROP TABLE case_ratings;
ALTER TABLE case_ratings_new RENAME TO case_ratings;
