//! Cases: starting one, taking actions on it, its timeline. Every action is
//! one transaction holding the state change, the timeline event and the
//! audit record; the version column makes concurrent actions on one case
//! conflict instead of overwrite.

use crate::definition::{Actor, Clock, Join, OnRefuse, ProcessDefinition};
use crate::schema::Violation;
use chrono::{Duration, NaiveDateTime};
use egov_audit::Event;
use egov_calendar::{Unit, WorkCalendar};
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{run, Db, StoreError, Tx};
use serde::Serialize;
use serde_json::Value;

/// Statutory deadlines are counted in Beijing time (UTC+8, no daylight saving).
const BEIJING: Duration = Duration::hours(8);

fn local(ts: Timestamp) -> NaiveDateTime {
    (ts + BEIJING).naive_utc()
}

fn utc(local: NaiveDateTime) -> Timestamp {
    (local - BEIJING).and_utc()
}

/// Who acts, in the role the definition names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acting {
    Applicant { user_id: i64 },
    Handler { department_id: i64 },
    Dispatcher { department_id: i64 },
    Supervisor,
}

impl Acting {
    fn actor(self) -> Actor {
        match self {
            Acting::Applicant { .. } => Actor::Applicant,
            Acting::Handler { .. } => Actor::Handler,
            Acting::Dispatcher { .. } => Actor::Dispatcher,
            Acting::Supervisor => Actor::Supervisor,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("no such case")]
    NotFound,
    #[error("the case changed meanwhile (now version {current}); reload and try again")]
    Conflict { current: i64 },
    #[error("action '{action}' is not possible in state '{state}'")]
    NotAllowedHere { action: String, state: String },
    #[error("you may not take action '{0}' on this case")]
    NotYours(String),
    #[error("the fields are not valid")]
    Fields(Vec<Violation>),
    #[error("the deadline was already extended once")]
    AlreadyExtended,
    #[error("this step's deadline cannot be extended")]
    NoExtension,
    #[error("the case runs under {0}, not this definition")]
    WrongDefinition(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CaseError {
    fn from(e: sqlx::Error) -> Self {
        CaseError::Store(e.into())
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
struct CaseRow {
    id: i64,
    number: String,
    process_id: String,
    process_version: i32,
    state: String,
    applicant_id: Option<i64>,
    department_id: i64,
    co_departments: String,
    data: String,
    version: i64,
    state_entered_at: Timestamp,
    due_at: Option<Timestamp>,
    due_provisional: bool,
    extended: bool,
    paused_at: Option<Timestamp>,
    paused_due_at: Option<Timestamp>,
    created_at: Timestamp,
    closed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: i64,
    pub number: String,
    pub process_id: String,
    pub process_version: i32,
    pub state: String,
    pub applicant_id: Option<i64>,
    pub department_id: i64,
    pub co_departments: Vec<i64>,
    pub data: Value,
    pub version: i64,
    pub state_entered_at: Timestamp,
    pub due_at: Option<Timestamp>,
    pub due_provisional: bool,
    pub extended: bool,
    pub paused_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    #[serde(skip)]
    paused_due_at: Option<Timestamp>,
}

impl From<CaseRow> for Case {
    fn from(r: CaseRow) -> Self {
        Case {
            id: r.id,
            number: r.number,
            process_id: r.process_id,
            process_version: r.process_version,
            state: r.state,
            applicant_id: r.applicant_id,
            department_id: r.department_id,
            co_departments: serde_json::from_str(&r.co_departments).unwrap_or_default(),
            data: serde_json::from_str(&r.data).unwrap_or(Value::Null),
            version: r.version,
            state_entered_at: r.state_entered_at,
            due_at: r.due_at,
            due_provisional: r.due_provisional,
            extended: r.extended,
            paused_at: r.paused_at,
            paused_due_at: r.paused_due_at,
            created_at: r.created_at,
            closed_at: r.closed_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CaseEvent {
    pub seq: i32,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub fields: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Branch {
    pub department_id: i64,
    pub status: String,
    pub answered_at: Option<Timestamp>,
}

pub struct NewCase<'a> {
    pub definition: &'a ProcessDefinition,
    pub applicant_id: Option<i64>,
    pub department_id: i64,
    /// Departments that handle parallel steps beside the owner.
    pub co_departments: Vec<i64>,
    pub data: Value,
}

/// Where the clock stands on entering a state.
struct Clocked {
    due: Option<Timestamp>,
    provisional: bool,
    paused_at: Option<Timestamp>,
    paused_due_at: Option<Timestamp>,
}

fn enter(
    def: &ProcessDefinition,
    cal: &WorkCalendar,
    case: Option<&Case>,
    to: &str,
    restart: bool,
    now: Timestamp,
) -> Clocked {
    let state = def.state(to).expect("validated definition");
    if state.terminal {
        return Clocked {
            due: None,
            provisional: false,
            paused_at: None,
            paused_due_at: None,
        };
    }
    if state.clock == Clock::Paused {
        return Clocked {
            due: None,
            provisional: false,
            paused_at: Some(now),
            paused_due_at: case.and_then(|c| c.due_at),
        };
    }
    let deadline = state
        .deadline
        .as_ref()
        .expect("running states have deadlines");
    // Resuming after a pause: the old deadline moves on by the working days
    // the clock stood still.
    if let (false, Some(c)) = (restart, case) {
        if let (Some(paused_at), Some(paused_due)) = (c.paused_at, c.paused_due_at) {
            if deadline.unit() == Unit::Workday {
                let stood = cal.workdays_between(local(paused_at).date(), local(now).date());
                let moved = cal.add_workdays(local(paused_due).date(), stood);
                return Clocked {
                    due: Some(utc(moved.at)),
                    provisional: moved.provisional,
                    paused_at: None,
                    paused_due_at: None,
                };
            }
        }
    }
    let due = cal.due(local(now), deadline.amount, deadline.unit());
    Clocked {
        due: Some(utc(due.at)),
        provisional: due.provisional,
        paused_at: None,
        paused_due_at: None,
    }
}

/// One move on a case's timeline.
struct Step<'a> {
    action: &'a str,
    from: Option<&'a str>,
    to: &'a str,
    fields: &'a Value,
}

/// Appends the timeline event (`seq` = the case's new version) and its audit record.
async fn add_event(
    tx: &mut Tx,
    ctx: &Context,
    case: &Case,
    seq: i64,
    step: Step<'_>,
) -> Result<(), CaseError> {
    let Step {
        action,
        from,
        to,
        fields,
    } = step;
    let at = time::now();
    let fields_text = fields.to_string();
    run!(tx, |c| sqlx::query(
        "INSERT INTO case_events (case_id, seq, at, actor, action, from_state, to_state, fields) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(case.id)
    .bind(seq as i32)
    .bind(at)
    .bind(ctx.actor.audit_label())
    .bind(action)
    .bind(from)
    .bind(to)
    .bind(&fields_text)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    egov_audit::append(
        tx,
        ctx,
        Event {
            action: &format!("case.{action}"),
            object_type: "case",
            object_id: &case.number,
            detail: serde_json::json!({ "from": from, "to": to, "version": seq }),
        },
    )
    .await?;
    Ok(())
}

async fn open_branches(
    tx: &mut Tx,
    case_id: i64,
    state: &str,
    departments: &[i64],
) -> Result<(), CaseError> {
    for d in departments {
        run!(tx, |c| {
            sqlx::query(
            "INSERT INTO case_branches (case_id, state, department_id, status) VALUES ($1, $2, $3, 'pending')"
        )
        .bind(case_id)
        .bind(state)
        .bind(*d)
        .execute(&mut *c)
        .await
        .map(|_| ())
        })?;
    }
    Ok(())
}

/// Starts a case in the definition's initial state.
pub async fn start(
    db: &Db,
    ctx: &Context,
    cal: &WorkCalendar,
    new: NewCase<'_>,
) -> Result<Case, CaseError> {
    let def = new.definition;
    let now = time::now();
    let clock = enter(def, cal, None, &def.initial, true, now);
    let mut tx = db.begin().await?;
    let placeholder = format!("new-{}", egov_kernel::time::canonical(&now));
    let id: i64 = run!(tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO cases (number, process_id, process_version, state, applicant_id, department_id, \
         co_departments, data, version, state_entered_at, due_at, due_provisional, paused_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11, $12, $9) RETURNING id"
    )
    .bind(&placeholder)
    .bind(&def.id)
    .bind(def.version as i32)
    .bind(&def.initial)
    .bind(new.applicant_id)
    .bind(new.department_id)
    .bind(serde_json::to_string(&new.co_departments).expect("ids serialise"))
    .bind(new.data.to_string())
    .bind(now)
    .bind(clock.due)
    .bind(clock.provisional)
    .bind(clock.paused_at)
    .fetch_one(&mut *c)
    .await
    })?;
    // A number people can read out on the phone: year and sequence.
    let number = format!("{}{:07}", local(now).format("%Y"), id);
    run!(tx, |c| sqlx::query(
        "UPDATE cases SET number = $1 WHERE id = $2"
    )
    .bind(&number)
    .bind(id)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    let case = Case {
        id,
        number,
        process_id: def.id.clone(),
        process_version: def.version as i32,
        state: def.initial.clone(),
        applicant_id: new.applicant_id,
        department_id: new.department_id,
        co_departments: new.co_departments,
        data: new.data,
        version: 1,
        state_entered_at: now,
        due_at: clock.due,
        due_provisional: clock.provisional,
        extended: false,
        paused_at: clock.paused_at,
        created_at: now,
        closed_at: None,
        paused_due_at: None,
    };
    if def
        .state(&def.initial)
        .and_then(|s| s.parallel.as_ref())
        .is_some()
    {
        open_branches(&mut tx, id, &def.initial, &case.co_departments).await?;
    }
    let step = Step {
        action: "start",
        from: None,
        to: &def.initial,
        fields: &case.data,
    };
    add_event(&mut tx, ctx, &case, 1, step).await?;
    tx.commit().await?;
    Ok(case)
}

const CASE_COLUMNS: &str = "SELECT id, number, process_id, process_version, state, applicant_id, \
     department_id, co_departments, data, version, state_entered_at, due_at, due_provisional, \
     extended, paused_at, paused_due_at, created_at, closed_at FROM cases";

pub async fn get(db: &Db, id: i64) -> Result<Case, CaseError> {
    let mut r = db.reader().await?;
    let sql = format!("{CASE_COLUMNS} WHERE id = $1");
    let row: Option<CaseRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await)?;
    row.map(Case::from).ok_or(CaseError::NotFound)
}

pub async fn timeline(db: &Db, id: i64) -> Result<Vec<CaseEvent>, CaseError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT seq, at, actor, action, from_state, to_state, fields FROM case_events \
         WHERE case_id = $1 ORDER BY seq"
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await)?)
}

pub async fn branches(db: &Db, id: i64, state: &str) -> Result<Vec<Branch>, CaseError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT department_id, status, answered_at FROM case_branches \
         WHERE case_id = $1 AND state = $2 ORDER BY department_id"
    )
    .bind(id)
    .bind(state)
    .fetch_all(&mut *c)
    .await)?)
}

/// Takes an action on a case the caller last saw at `expected_version`.
#[allow(clippy::too_many_arguments)]
pub async fn act(
    db: &Db,
    ctx: &Context,
    cal: &WorkCalendar,
    def: &ProcessDefinition,
    case_id: i64,
    expected_version: i64,
    acting: Acting,
    action_id: &str,
    fields: Value,
) -> Result<Case, CaseError> {
    let case = get(db, case_id).await?;
    if case.version != expected_version {
        return Err(CaseError::Conflict {
            current: case.version,
        });
    }
    if case.process_id != def.id || case.process_version != def.version as i32 {
        return Err(CaseError::WrongDefinition(format!(
            "{} v{}",
            case.process_id, case.process_version
        )));
    }
    let not_here = || CaseError::NotAllowedHere {
        action: action_id.to_owned(),
        state: case.state.clone(),
    };
    let action = def.action(action_id).ok_or_else(not_here)?;
    if !action.from.contains(&case.state) {
        return Err(not_here());
    }
    let state = def.state(&case.state).expect("validated definition");
    let parallel = state
        .parallel
        .as_ref()
        .filter(|p| p.approve == action.id || p.refuse == action.id);
    // Who may act: the right role, and the right person or department.
    let pending = match parallel {
        Some(_) => branches(db, case.id, &case.state).await?,
        None => Vec::new(),
    };
    let yours = action.by.contains(&acting.actor())
        && match acting {
            Acting::Applicant { user_id } => case.applicant_id == Some(user_id),
            Acting::Handler { department_id } if parallel.is_some() => pending
                .iter()
                .any(|b| b.department_id == department_id && b.status == "pending"),
            Acting::Handler { department_id } | Acting::Dispatcher { department_id } => {
                case.department_id == department_id
            }
            Acting::Supervisor => true,
        };
    if !yours {
        return Err(CaseError::NotYours(action.id.clone()));
    }
    let violations = def.check_fields(&action.id, &fields);
    if !violations.is_empty() {
        return Err(CaseError::Fields(violations));
    }

    let now = time::now();
    let mut next = case.clone();
    let mut to = case.state.clone();
    let mut clock: Option<Clocked> = None;
    let mut tx = db.begin().await?;
    if action.extends_deadline {
        let deadline = state.deadline.as_ref().ok_or(CaseError::NoExtension)?;
        let extra = deadline.extension.ok_or(CaseError::NoExtension)?;
        if case.extended {
            return Err(CaseError::AlreadyExtended);
        }
        let from = case.due_at.map(local).unwrap_or_else(|| local(now));
        let due = cal.due(from, extra, deadline.unit());
        next.due_at = Some(utc(due.at));
        next.due_provisional = case.due_provisional || due.provisional;
        next.extended = true;
    } else if let (Some(p), Acting::Handler { department_id }) = (parallel, acting) {
        let approved = action.id == p.approve;
        run!(tx, |c| sqlx::query(
            "UPDATE case_branches SET status = $1, answered_at = $2 \
             WHERE case_id = $3 AND state = $4 AND department_id = $5"
        )
        .bind(if approved { "approved" } else { "refused" })
        .bind(now)
        .bind(case.id)
        .bind(&case.state)
        .bind(department_id)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
        let still_pending = pending
            .iter()
            .filter(|b| b.status == "pending" && b.department_id != department_id)
            .count();
        let refused = !approved || pending.iter().any(|b| b.status == "refused");
        if !approved && p.on_refuse == OnRefuse::End {
            to = p.refused_to.clone();
        } else if approved && (p.join == Join::Any || (still_pending == 0 && !refused)) {
            to = p.approved_to.clone();
        } else if still_pending == 0 && refused {
            to = p.refused_to.clone();
        }
    } else if let Some(t) = &action.to {
        to = t.clone();
    }
    if to != case.state {
        let c = enter(def, cal, Some(&case), &to, action.restart_clock, now);
        if def.state(&to).and_then(|s| s.parallel.as_ref()).is_some() {
            open_branches(&mut tx, case.id, &to, &case.co_departments).await?;
        }
        clock = Some(c);
    }
    if let Some(c) = &clock {
        next.due_at = c.due;
        next.due_provisional = c.provisional;
        next.paused_at = c.paused_at;
        next.paused_due_at = c.paused_due_at;
        next.state_entered_at = now;
        if def.state(&to).is_some_and(|s| s.terminal) {
            next.closed_at = Some(now);
        }
    }
    next.state = to.clone();
    next.version = case.version + 1;
    let updated = run!(tx, |c| sqlx::query(
        "UPDATE cases SET state = $1, version = $2, state_entered_at = $3, due_at = $4, \
         due_provisional = $5, extended = $6, paused_at = $7, paused_due_at = $8, closed_at = $9 \
         WHERE id = $10 AND version = $11"
    )
    .bind(&next.state)
    .bind(next.version)
    .bind(next.state_entered_at)
    .bind(next.due_at)
    .bind(next.due_provisional)
    .bind(next.extended)
    .bind(next.paused_at)
    .bind(next.paused_due_at)
    .bind(next.closed_at)
    .bind(case.id)
    .bind(expected_version)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if updated == 0 {
        return Err(CaseError::Conflict {
            current: case.version,
        });
    }
    let step = Step {
        action: &action.id,
        from: Some(&case.state),
        to: &to,
        fields: &fields,
    };
    add_event(&mut tx, ctx, &next, next.version, step).await?;
    tx.commit().await?;
    Ok(next)
}
