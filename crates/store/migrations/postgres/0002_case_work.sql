-- Process definitions by version. A running case keeps the version it
-- started under, so a loaded version is never replaced.
CREATE TABLE process_definitions (
    id        TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    name      TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id, version)
);

-- What a case is about, where, and its electronic-supervision clock.
-- `deadline_cycle` counts fresh deadlines; an alert is raised once per
-- cycle and kind. `next_alert_at` is the moment of the next alert (warning,
-- yellow card, red card), empty while the clock stands or the case is closed:
-- the scheduler scans this one index.
ALTER TABLE cases ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN location_lat DOUBLE PRECISION;
ALTER TABLE cases ADD COLUMN location_lon DOUBLE PRECISION;
ALTER TABLE cases ADD COLUMN address TEXT;
ALTER TABLE cases ADD COLUMN parent_id BIGINT REFERENCES cases (id);
ALTER TABLE cases ADD COLUMN assigned_department_id BIGINT REFERENCES departments (id);
-- The current deadline is always `due_amount` units after `due_from` (Beijing
-- time), so it can be recomputed when a year's holiday notice is loaded.
ALTER TABLE cases ADD COLUMN due_from TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN due_amount INTEGER;
ALTER TABLE cases ADD COLUMN due_unit TEXT;
ALTER TABLE cases ADD COLUMN deadline_cycle INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN warn_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN red_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN alert_level SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN next_alert_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN overdue BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN paused_secs BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cases_next_alert ON cases (next_alert_at) WHERE next_alert_at IS NOT NULL;
CREATE INDEX cases_assigned ON cases (assigned_department_id, state);
CREATE INDEX cases_provisional ON cases (due_provisional) WHERE due_provisional;
CREATE INDEX cases_applicant ON cases (applicant_id, created_at);
CREATE INDEX cases_created ON cases (created_at);
CREATE INDEX cases_closed ON cases (closed_at);

-- Files attached to a case. The bytes live outside the database, named by
-- their SHA-256; the row says what they are and who may see them.
CREATE TABLE case_attachments (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT  NOT NULL REFERENCES cases (id),
    name        TEXT    NOT NULL,
    media_type  TEXT    NOT NULL,
    size        BIGINT  NOT NULL,
    sha256      TEXT    NOT NULL,
    internal    BOOLEAN NOT NULL,
    uploaded_by BIGINT  REFERENCES users (id),
    author      TEXT    NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_attachments_case ON case_attachments (case_id);

-- Comments: internal ones are for staff only.
CREATE TABLE case_comments (
    id        BIGSERIAL PRIMARY KEY,
    case_id   BIGINT  NOT NULL REFERENCES cases (id),
    author_id BIGINT  REFERENCES users (id),
    author    TEXT    NOT NULL,
    body      TEXT    NOT NULL,
    internal  BOOLEAN NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_comments_case ON case_comments (case_id);

-- Electronic supervision: each warning and card raised once per case,
-- deadline cycle and kind, whichever node raised it.
CREATE TABLE supervision_alerts (
    id            BIGSERIAL PRIMARY KEY,
    case_id       BIGINT  NOT NULL REFERENCES cases (id),
    cycle         INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('warning', 'yellow', 'red')),
    state         TEXT    NOT NULL,
    department_id BIGINT  NOT NULL REFERENCES departments (id),
    due_at        TIMESTAMPTZ,
    raised_at     TIMESTAMPTZ NOT NULL,
    raised_by     TEXT    NOT NULL,
    UNIQUE (case_id, cycle, kind)
);
CREATE INDEX supervision_alerts_department ON supervision_alerts (department_id, raised_at);

-- Supervision orders (督办): a supervisor orders a department to act on a
-- case and answer by a date.
CREATE TABLE supervision_orders (
    id            BIGSERIAL PRIMARY KEY,
    case_id       BIGINT  NOT NULL REFERENCES cases (id),
    department_id BIGINT  NOT NULL REFERENCES departments (id),
    issued_by     BIGINT  NOT NULL REFERENCES users (id),
    issued_at     TIMESTAMPTZ NOT NULL,
    body          TEXT    NOT NULL,
    answer_due_at TIMESTAMPTZ NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('open', 'answered')),
    answer        TEXT,
    answered_by   BIGINT  REFERENCES users (id),
    answered_at   TIMESTAMPTZ
);
CREATE INDEX supervision_orders_department ON supervision_orders (department_id, status);
CREATE INDEX supervision_orders_case ON supervision_orders (case_id);

-- 好差评: one rating per finished case, on the five national grades
-- (5 非常满意 … 1 非常不满意). A bad rating opens a tracked follow-up case.
CREATE TABLE case_ratings (
    case_id          BIGINT   PRIMARY KEY REFERENCES cases (id),
    grade            SMALLINT NOT NULL CHECK (grade BETWEEN 1 AND 5),
    comment          TEXT     NOT NULL,
    rated_by         BIGINT   NOT NULL REFERENCES users (id),
    rated_at         TIMESTAMPTZ NOT NULL,
    followup_case_id BIGINT   REFERENCES cases (id)
);
