//! A case as stored, and reading cases back: one case, its timeline, its
//! parallel branches.

use egov_calendar::Unit;
use egov_kernel::time::Timestamp;
use egov_store::{query, run, Db, StoreError, Tx};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

use crate::error::CaseError;

/// Where a case happens: a point (WGS 84) and, for people, an address.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
}

impl Location {
    /// A point on the earth, or why not.
    pub fn new(lat: f64, lon: f64, address: Option<String>) -> Result<Self, &'static str> {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err("latitude must lie in [-90, 90] and longitude in [-180, 180]");
        }
        Ok(Location { lat, lon, address })
    }
}

/// What the current deadline counts from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Basis {
    pub from: Timestamp,
    pub amount: u32,
    pub unit: Unit,
}

/// How far electronic supervision has gone on the current deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    None = 0,
    Warning = 1,
    Yellow = 2,
    Red = 3,
}

impl AlertLevel {
    pub fn from_i16(n: i16) -> AlertLevel {
        match n {
            1 => AlertLevel::Warning,
            2 => AlertLevel::Yellow,
            3 => AlertLevel::Red,
            _ => AlertLevel::None,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            AlertLevel::None => "none",
            AlertLevel::Warning => "warning",
            AlertLevel::Yellow => "yellow",
            AlertLevel::Red => "red",
        }
    }
}

egov_store::row! {
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CaseRow {
    id: i64,
    number: String,
    title: String,
    process_id: String,
    process_version: i32,
    state: String,
    applicant_id: Option<i64>,
    enterprise_id: Option<i64>,
    department_id: i64,
    assigned_department_id: Option<i64>,
    co_departments: String,
    data: String,
    location_lat: Option<f64>,
    location_lon: Option<f64>,
    address: Option<String>,
    parent_id: Option<i64>,
    version: i64,
    state_entered_at: Timestamp,
    due_at: Option<Timestamp>,
    due_provisional: bool,
    due_from: Option<Timestamp>,
    due_amount: Option<i32>,
    due_unit: Option<String>,
    extended: bool,
    paused_at: Option<Timestamp>,
    paused_secs: i64,
    deadline_cycle: i32,
    warn_at: Option<Timestamp>,
    red_at: Option<Timestamp>,
    alert_level: i16,
    next_alert_at: Option<Timestamp>,
    overdue: bool,
    created_at: Timestamp,
    closed_at: Option<Timestamp>,
    deadlines: Option<String>,
}
}

pub(crate) const CASE_COLUMNS: &str = "SELECT id, number, title, process_id, process_version, \
     state, applicant_id, enterprise_id, department_id, assigned_department_id, co_departments, \
     data, \
     location_lat, location_lon, address, parent_id, version, state_entered_at, due_at, \
     due_provisional, due_from, due_amount, due_unit, extended, paused_at, paused_secs, \
     deadline_cycle, warn_at, red_at, alert_level, next_alert_at, overdue, created_at, \
     closed_at, deadlines FROM cases";

#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: i64,
    /// Year and sequence, e.g. 20260000042: short enough to read out on the phone.
    pub number: String,
    pub title: String,
    pub process_id: String,
    pub process_version: i32,
    pub state: String,
    pub applicant_id: Option<i64>,
    /// The enterprise the applicant acted for: the enterprise is the
    /// applicant, so everyone acting for it sees and acts on the case.
    pub enterprise_id: Option<i64>,
    /// The owning department: it received the case and answers for it.
    pub department_id: i64,
    /// The department handling it now, when the case was dispatched or
    /// transferred (转办) away from the owner.
    pub assigned_department_id: Option<i64>,
    /// Departments that handle parallel steps beside the owner.
    pub co_departments: Vec<i64>,
    pub data: Value,
    pub location: Option<Location>,
    /// The case this one follows up (e.g. a bad rating's follow-up).
    pub parent_id: Option<i64>,
    pub version: i64,
    pub state_entered_at: Timestamp,
    /// The current step's deadline; none while the clock stands or once closed.
    pub due_at: Option<Timestamp>,
    pub due_provisional: bool,
    pub extended: bool,
    /// Set while the clock stands (补正, hearings).
    pub paused_at: Option<Timestamp>,
    pub deadline_cycle: i32,
    pub warn_at: Option<Timestamp>,
    pub red_at: Option<Timestamp>,
    pub alert_level: AlertLevel,
    pub next_alert_at: Option<Timestamp>,
    /// A deadline of this case has passed while it was open.
    pub overdue: bool,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// Working seconds the clock stood, in all.
    pub paused_secs: i64,
    /// This case's own time limits for some steps (state -> amount in the
    /// step's unit), where the law sets one for its matter.
    pub deadlines: BTreeMap<String, u32>,
    #[serde(skip)]
    pub(crate) basis: Option<Basis>,
}

impl Case {
    /// The title in English, where the system that opened the case gave one
    /// (`data.title_en`: a service item's English name).
    pub fn title_en(&self) -> Option<&str> {
        self.data["title_en"].as_str()
    }

    /// The title as a message's value: by language where an English one is kept.
    pub fn title_param(&self) -> Value {
        title_param(&self.title, self.title_en())
    }

    /// Whether the person `user_id`, acting for `enterprise_id` if an
    /// enterprise's, is on the applicant's side of the case: its applicant,
    /// or anyone acting for the enterprise that applied.
    pub fn applied_by(&self, user_id: i64, enterprise_id: Option<i64>) -> bool {
        self.applicant_id == Some(user_id)
            || (enterprise_id.is_some() && self.enterprise_id == enterprise_id)
    }

    /// The department that handles the case now.
    pub fn handling_department(&self) -> i64 {
        self.assigned_department_id.unwrap_or(self.department_id)
    }

    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
}

impl From<CaseRow> for Case {
    fn from(r: CaseRow) -> Self {
        let basis = match (r.due_from, r.due_amount, r.due_unit.as_deref()) {
            (Some(from), Some(amount), Some(unit)) => Unit::parse(unit).map(|unit| Basis {
                from,
                amount: amount.max(0) as u32,
                unit,
            }),
            _ => None,
        };
        let location = match (r.location_lat, r.location_lon) {
            (Some(lat), Some(lon)) => Some(Location {
                lat,
                lon,
                address: r.address,
            }),
            _ => None,
        };
        Case {
            id: r.id,
            number: r.number,
            title: r.title,
            process_id: r.process_id,
            process_version: r.process_version,
            state: r.state,
            applicant_id: r.applicant_id,
            enterprise_id: r.enterprise_id,
            department_id: r.department_id,
            assigned_department_id: r.assigned_department_id,
            co_departments: serde_json::from_str(&r.co_departments).unwrap_or_default(),
            data: serde_json::from_str(&r.data).unwrap_or(Value::Null),
            location,
            parent_id: r.parent_id,
            version: r.version,
            state_entered_at: r.state_entered_at,
            due_at: r.due_at,
            due_provisional: r.due_provisional,
            extended: r.extended,
            paused_at: r.paused_at,
            deadline_cycle: r.deadline_cycle,
            warn_at: r.warn_at,
            red_at: r.red_at,
            alert_level: AlertLevel::from_i16(r.alert_level),
            next_alert_at: r.next_alert_at,
            overdue: r.overdue,
            created_at: r.created_at,
            closed_at: r.closed_at,
            paused_secs: r.paused_secs,
            deadlines: r
                .deadlines
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or_default(),
            basis,
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

egov_store::row! {
    #[derive(Debug, Clone, Serialize, sqlx::FromRow)]
    pub struct Branch {
        pub department_id: i64,
        pub status: BranchStatus,
        pub answered_at: Option<Timestamp>,
    }
}

egov_store::text_enum! {
    /// Where a parallel branch stands.
    pub enum BranchStatus {
        Pending = "pending",
        Approved = "approved",
        Refused = "refused",
    }
}

pub async fn get(db: &Db, id: i64) -> Result<Case, CaseError> {
    let mut r = db.reader().await?;
    let sql = format!("{CASE_COLUMNS} WHERE id = $1");
    let row: Option<CaseRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await)?;
    row.map(Case::from).ok_or(CaseError::NotFound)
}

/// One case, read inside a transaction.
pub async fn get_in(tx: &mut Tx, id: i64) -> Result<Case, CaseError> {
    let sql = format!("{CASE_COLUMNS} WHERE id = $1");
    let row: Option<CaseRow> = tx.fetch_optional(query(&sql).bind(id)).await?;
    row.map(Case::from).ok_or(CaseError::NotFound)
}

/// One case by its number, read inside a transaction.
pub async fn by_number_in(tx: &mut Tx, number: &str) -> Result<Case, CaseError> {
    let sql = format!("{CASE_COLUMNS} WHERE number = $1");
    let row: Option<CaseRow> = tx.fetch_optional(query(&sql).bind(number)).await?;
    row.map(Case::from).ok_or(CaseError::NotFound)
}

pub async fn by_number(db: &Db, number: &str) -> Result<Case, CaseError> {
    let mut r = db.reader().await?;
    let sql = format!("{CASE_COLUMNS} WHERE number = $1");
    let row: Option<CaseRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(number)
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

/// The branches of a case's step, read inside a transaction.
pub(crate) async fn branches_in(
    tx: &mut Tx,
    id: i64,
    state: &str,
) -> Result<Vec<Branch>, CaseError> {
    Ok(tx
        .fetch_all(
            query(
                "SELECT department_id, status, answered_at FROM case_branches \
                 WHERE case_id = $1 AND state = $2 ORDER BY department_id",
            )
            .bind(id)
            .bind(state),
        )
        .await?)
}

/// The branches of the step the case is in or, once it has left its last
/// parallel step, that step's: who answered what stays on the record.
pub async fn branches_on_record(db: &Db, case: &Case) -> Result<Vec<Branch>, CaseError> {
    let current = branches(db, case.id, &case.state).await?;
    if !current.is_empty() {
        return Ok(current);
    }
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT department_id, status, answered_at FROM case_branches \
         WHERE case_id = $1 AND state = (SELECT state FROM case_branches WHERE case_id = $1 \
         ORDER BY answered_at IS NULL, answered_at DESC LIMIT 1) ORDER BY department_id"
    )
    .bind(case.id)
    .fetch_all(&mut *c)
    .await)?)
}

/// Cases matching a SQL condition on `cases`, newest deadline first. The
/// condition is the caller's, never user text.
pub(crate) async fn select(
    db: &Db,
    condition: &str,
    binds: &[i64],
    limit: i64,
) -> Result<Vec<Case>, StoreError> {
    let mut r = db.reader().await?;
    let sql = format!(
        "{CASE_COLUMNS} WHERE {condition} ORDER BY due_at IS NULL, due_at, id LIMIT {}",
        limit.max(1)
    );
    let rows: Vec<CaseRow> = run!(r, |c| {
        let mut q = sqlx::query_as(&sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.fetch_all(&mut *c).await
    })?;
    Ok(rows.into_iter().map(Case::from).collect())
}

/// An applicant's cases, newest first: for someone acting for an
/// enterprise, every case of the enterprise's.
pub async fn for_applicant(
    db: &Db,
    user_id: i64,
    enterprise_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Case>, StoreError> {
    let mut r = db.reader().await?;
    let sql = format!(
        "{CASE_COLUMNS} WHERE applicant_id = $1 OR enterprise_id = $2 ORDER BY id DESC LIMIT $3"
    );
    let rows: Vec<CaseRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(user_id)
        .bind(enterprise_id)
        .bind(limit)
        .fetch_all(&mut *c)
        .await)?;
    Ok(rows.into_iter().map(Case::from).collect())
}

/// Cases that involve any of `departments` (as owner, assignee or parallel
/// branch), open ones unless `closed`, the nearest deadline first.
pub async fn for_departments(
    db: &Db,
    departments: &[i64],
    closed: bool,
    limit: i64,
) -> Result<Vec<Case>, StoreError> {
    if departments.is_empty() {
        return Ok(Vec::new());
    }
    let list = egov_store::in_list(1, departments.len());
    let open = if closed { "" } else { "closed_at IS NULL AND " };
    let condition = format!(
        "{open}(department_id IN ({list}) OR assigned_department_id IN ({list}) \
         OR id IN (SELECT b.case_id FROM case_branches b WHERE b.department_id IN ({list}) \
         AND b.status = 'pending'))"
    );
    select(db, &condition, departments, limit).await
}

/// A case's title as a message's value: text, or text per language where
/// an English title is kept (the message is worded when read, in the
/// reader's language).
pub(crate) fn title_param(title: &str, title_en: Option<&str>) -> Value {
    match title_en {
        Some(en) => serde_json::json!({ "zh-CN": title, "en": en }),
        None => Value::String(title.to_owned()),
    }
}
