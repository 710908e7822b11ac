-- Reports wait on the command centre's list until a dispatcher decides on
-- them, and only then become cases. A resident who finds their problem
-- reported already follows that report meanwhile; its followers follow
-- its case once it is decided.
CREATE TABLE grid_report_followers (
    report_id BIGINT NOT NULL REFERENCES grid_reports (id),
    user_id   BIGINT NOT NULL REFERENCES users (id),
    since     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_id, user_id)
);
