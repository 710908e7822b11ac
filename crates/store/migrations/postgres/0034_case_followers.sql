-- People who follow a case without being its applicant (a resident who
-- reported the same problem, a reporter whose case was merged into it):
-- told what the applicant is told, with a link to the page they follow it on.
CREATE TABLE case_followers (
    case_id  BIGINT NOT NULL REFERENCES cases (id),
    user_id  BIGINT NOT NULL REFERENCES users (id),
    link     TEXT NOT NULL,
    since    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
