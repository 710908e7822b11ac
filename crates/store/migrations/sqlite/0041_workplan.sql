-- Work plans (督查督办): a plan (年度工作要点, 重点任务, 领导批示) as a tree
-- of items, tasks and milestones, each with a lead department (牵头), the
-- departments co-operating (配合), a responsible person, a due date and a
-- measurable outcome. The plan office drafts it, every department with a
-- share confirms it or asks for a change, and it is published as numbered
-- versions (each kept whole, so any two can be compared).
CREATE TABLE workplans (
    id                   INTEGER PRIMARY KEY,
    title                TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    year                 INTEGER NOT NULL,
    doc_number           TEXT,
    office_department_id INTEGER NOT NULL REFERENCES departments (id),
    report_months        INTEGER NOT NULL,
    public               INTEGER NOT NULL,
    version              INTEGER NOT NULL DEFAULT 0,
    published_on         TEXT,
    changed              INTEGER NOT NULL DEFAULT 1,
    created_by           INTEGER REFERENCES users (id),
    created_at           TEXT NOT NULL
);

CREATE TABLE workplan_nodes (
    id                 INTEGER PRIMARY KEY,
    plan_id            INTEGER NOT NULL REFERENCES workplans (id),
    parent_id          INTEGER REFERENCES workplan_nodes (id),
    level              TEXT NOT NULL,
    position           INTEGER NOT NULL,
    title              TEXT NOT NULL,
    lead_department_id INTEGER NOT NULL REFERENCES departments (id),
    responsible        TEXT NOT NULL,
    due_on             TEXT NOT NULL,
    outcome            TEXT NOT NULL,
    -- open | closing (asked to be closed, with evidence) | done | cancelled
    state              TEXT NOT NULL DEFAULT 'open',
    progress           INTEGER NOT NULL DEFAULT 0,
    last_period        TEXT,
    closed_on          TEXT,
    removed            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX workplan_nodes_plan ON workplan_nodes (plan_id, position);
CREATE INDEX workplan_nodes_lead ON workplan_nodes (lead_department_id);

CREATE TABLE workplan_partners (
    node_id       INTEGER NOT NULL REFERENCES workplan_nodes (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    PRIMARY KEY (node_id, department_id)
);
CREATE INDEX workplan_partners_department ON workplan_partners (department_id);

-- A department's word on its share of the plan as it now stands; cleared
-- when its share changes.
CREATE TABLE workplan_confirmations (
    plan_id       INTEGER NOT NULL REFERENCES workplans (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    decision      TEXT NOT NULL,
    reason        TEXT,
    decided_by    INTEGER REFERENCES users (id),
    decided_at    TEXT NOT NULL,
    PRIMARY KEY (plan_id, department_id)
);

-- The snapshot last: on SQLite the columns before a long value are read
-- without walking its overflow pages.
CREATE TABLE workplan_versions (
    plan_id      INTEGER NOT NULL REFERENCES workplans (id),
    version      INTEGER NOT NULL,
    note         TEXT NOT NULL,
    published_by INTEGER REFERENCES users (id),
    published_at TEXT NOT NULL,
    snapshot     TEXT NOT NULL,
    PRIMARY KEY (plan_id, version)
);

-- A department's progress report on a task, for a reporting period
-- (`YYYY-MM`, the period's first month).
CREATE TABLE workplan_reports (
    id            INTEGER PRIMARY KEY,
    node_id       INTEGER NOT NULL REFERENCES workplan_nodes (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    period        TEXT NOT NULL,
    progress      INTEGER NOT NULL,
    text          TEXT NOT NULL,
    problems      TEXT,
    reason        TEXT,
    links         TEXT NOT NULL,
    late          INTEGER NOT NULL,
    reported_by   INTEGER REFERENCES users (id),
    reported_at   TEXT NOT NULL
);
CREATE INDEX workplan_reports_node ON workplan_reports (node_id, id);
-- The late reports, counted against a department at the year's end.
CREATE INDEX workplan_reports_late ON workplan_reports (node_id) WHERE late;

-- Files given as evidence with a report (PDF, PNG, JPEG; checked by
-- content), stored under their digest like case attachments.
CREATE TABLE workplan_evidence (
    id         INTEGER PRIMARY KEY,
    report_id  INTEGER NOT NULL REFERENCES workplan_reports (id),
    name       TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL
);
CREATE INDEX workplan_evidence_report ON workplan_evidence (report_id);

-- A reminder (before a period's report is due) or a warning (when it is
-- overdue) raised on a task, once each; warnings count against the lead
-- department's year-end score.
CREATE TABLE workplan_alerts (
    node_id       INTEGER NOT NULL REFERENCES workplan_nodes (id),
    period        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    raised_on     TEXT NOT NULL,
    PRIMARY KEY (node_id, period, kind)
);
CREATE INDEX workplan_alerts_department ON workplan_alerts (department_id);

-- A 督办 order on a task: a case of the workplan_order process, owned by
-- the department leading the task.
CREATE TABLE workplan_orders (
    case_id   INTEGER PRIMARY KEY REFERENCES cases (id),
    node_id   INTEGER NOT NULL REFERENCES workplan_nodes (id),
    issued_at TEXT NOT NULL
);
CREATE INDEX workplan_orders_node ON workplan_orders (node_id);
