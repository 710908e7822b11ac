-- A rating is given by the applicant, by whoever holds the follow link of a
-- report (no account: rated_by is empty), or recorded by staff on the
-- call-back (回访) from what the caller said: rated_via tells which, and
-- rated_by is whoever entered it.
ALTER TABLE case_ratings ALTER COLUMN rated_by DROP NOT NULL;
ALTER TABLE case_ratings ADD COLUMN rated_via TEXT NOT NULL DEFAULT 'applicant'
    CHECK (rated_via IN ('applicant', 'link', 'callback'));
