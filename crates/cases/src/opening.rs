//! Storing prepared cases, many at a time. The grid opens hundreds of
//! reports in one transaction, and every statement costs a round trip (to
//! PostgreSQL's socket) or a statement run (SQLite's), so a batch is a
//! handful of multi-row statements, not a dozen per case. One case is a
//! batch of one: there is one way to store a new case.

use crate::case::Basis;
use crate::error::{CaseError, Refusal};
use crate::notices::{self, Telling};
use crate::Case;
use egov_audit::Event;
use egov_kernel::Context;
use egov_store::{in_list, query, values, Statement, Tx};
use std::collections::{BTreeSet, HashMap};

/// A case checked and timed, ready to be stored by [`open`]; made before
/// the transaction, which then needs neither the definition nor the calendar.
pub struct Opening {
    /// The case as it will be stored; its id and number are given then.
    pub(crate) case: Case,
    /// The initial state has parallel steps: a branch per co-department.
    pub(crate) parallel: bool,
    /// Who is told of the new case.
    pub(crate) telling: Telling,
}

impl Opening {
    /// For cases their staff work from a list of their own instead of from
    /// a notice each: the grid's command centre watches its live list of
    /// reports, where a notice per report (with its SMS and e-mail) would
    /// bury the dispatchers at a peak. The applicant is still told.
    pub fn without_staff_notice(mut self) -> Opening {
        self.telling.staff.clear();
        self
    }
}

/// Stores a prepared case with its branches, its first event and its audit record.
pub async fn open(tx: &mut Tx, ctx: &Context, opening: Opening) -> Result<Case, CaseError> {
    let mut opened = open_all(tx, ctx, vec![opening]).await?;
    Ok(opened.pop().expect("one case opened of one"))
}

/// Cases stored by one statement: 28 values a row, under both engines'
/// limits of bound values (SQLite 32,766; PostgreSQL 65,535).
const CASES_PER_STATEMENT: usize = 500;

/// Stores prepared cases with their branches, first events, audit records
/// and notices; answers them with their ids and numbers, in order.
pub async fn open_all(
    tx: &mut Tx,
    ctx: &Context,
    openings: Vec<Opening>,
) -> Result<Vec<Case>, CaseError> {
    let departments: BTreeSet<i64> = openings.iter().map(|o| o.case.department_id).collect();
    if !departments_exist(tx, &departments).await? {
        return Err(Refusal::NoSuchDepartment.into());
    }
    let mut cases = Vec::with_capacity(openings.len());
    let mut rest = Vec::with_capacity(openings.len());
    for o in openings {
        cases.push(o.case);
        rest.push((o.parallel, o.telling));
    }
    for chunk in cases.chunks_mut(CASES_PER_STATEMENT) {
        insert(tx, chunk).await?;
        number(tx, chunk).await?;
    }
    for (case, (parallel, _)) in cases.iter().zip(&rest) {
        if *parallel {
            open_branches(tx, case.id, &case.state, &case.co_departments).await?;
        }
    }
    for chunk in cases.chunks(CASES_PER_STATEMENT) {
        first_events(tx, ctx, chunk).await?;
    }
    let audit: Vec<Event<'_>> = cases
        .iter()
        .map(|case| Event {
            action: "case.start",
            object_type: "case",
            object_id: &case.number,
            detail: serde_json::json!({ "from": null, "to": case.state, "version": 1 }),
        })
        .collect();
    egov_audit::append_all(tx, ctx, audit).await?;
    let told: Vec<(&notices::Telling, &Case)> =
        rest.iter().map(|(_, t)| t).zip(cases.iter()).collect();
    notices::tell_opened(tx, &told).await?;
    Ok(cases)
}

async fn departments_exist(tx: &mut Tx, ids: &BTreeSet<i64>) -> Result<bool, CaseError> {
    let sql = format!(
        "SELECT COUNT(*) FROM departments WHERE id IN ({})",
        in_list(1, ids.len())
    );
    let found: i64 = tx
        .fetch_scalar(ids.iter().fold(query(&sql), |q, id| q.bind(*id)))
        .await?;
    Ok(found == ids.len() as i64)
}

/// Inserts the cases under their placeholder numbers and gives each its id.
async fn insert(tx: &mut Tx, cases: &mut [Case]) -> Result<(), CaseError> {
    let sql = format!(
        "INSERT INTO cases (number, title, process_id, process_version, state, \
         applicant_id, department_id, co_departments, data, location_lat, location_lon, \
         address, parent_id, version, state_entered_at, due_at, due_provisional, \
         due_from, due_amount, due_unit, deadline_cycle, warn_at, red_at, next_alert_at, \
         paused_at, created_at, deadlines, enterprise_id) VALUES {} RETURNING id, number",
        values(cases.len(), 28)
    );
    let mut insert = query(&sql);
    for case in cases.iter() {
        let (lat, lon, address) = match &case.location {
            Some(l) => (Some(l.lat), Some(l.lon), l.address.clone()),
            None => (None, None, None),
        };
        let limits = (!case.deadlines.is_empty())
            .then(|| serde_json::to_string(&case.deadlines).expect("a map of numbers serialises"));
        insert = insert
            .bind(case.number.clone())
            .bind(case.title.clone())
            .bind(case.process_id.clone())
            .bind(case.process_version)
            .bind(case.state.clone())
            .bind(case.applicant_id)
            .bind(case.department_id)
            .bind(serde_json::to_string(&case.co_departments).expect("ids serialise"))
            .bind(case.data.to_string())
            .bind(lat)
            .bind(lon)
            .bind(address)
            .bind(case.parent_id)
            .bind(1_i64)
            .bind(case.created_at)
            .bind(case.due_at)
            .bind(case.due_provisional)
            .bind_basis(case.basis)
            .bind(case.deadline_cycle)
            .bind(case.warn_at)
            .bind(case.red_at)
            .bind(case.next_alert_at)
            .bind(case.paused_at)
            .bind(case.created_at)
            .bind(limits)
            .bind(case.enterprise_id);
    }
    // The rows come back in no promised order: matched by the placeholder.
    let ids: HashMap<String, i64> = tx
        .fetch_all::<(i64, String)>(insert)
        .await?
        .into_iter()
        .map(|(id, number)| (number, id))
        .collect();
    for case in cases.iter_mut() {
        case.id = ids[&case.number];
    }
    Ok(())
}

/// Gives each case its real number, one people can read out on the phone:
/// year and sequence.
async fn number(tx: &mut Tx, cases: &mut [Case]) -> Result<(), CaseError> {
    let sql = format!(
        "WITH numbered (id, number) AS (VALUES {}) \
         UPDATE cases SET number = numbered.number FROM numbered WHERE cases.id = numbered.id",
        values(cases.len(), 2)
    );
    let mut update = query(&sql);
    for case in cases.iter_mut() {
        case.number = format!(
            "{}{:07}",
            crate::clock::local(case.created_at).format("%Y"),
            case.id
        );
        update = update.bind(case.id).bind(case.number.clone());
    }
    tx.execute(update).await?;
    Ok(())
}

/// Each case's first timeline event: started in its initial state.
async fn first_events(tx: &mut Tx, ctx: &Context, cases: &[Case]) -> Result<(), CaseError> {
    let sql = format!(
        "INSERT INTO case_events (case_id, seq, at, actor, action, from_state, to_state, \
         fields) VALUES {}",
        values(cases.len(), 8)
    );
    let actor = ctx.actor.audit_label();
    let insert = cases.iter().fold(query(&sql), |q, case| {
        q.bind(case.id)
            .bind(1_i32)
            .bind(case.created_at)
            .bind(actor.clone())
            .bind("start")
            .bind(None::<String>)
            .bind(case.state.clone())
            .bind(case.data.to_string())
    });
    tx.execute(insert).await?;
    Ok(())
}

/// A pending branch of the parallel step for each co-department.
pub(crate) async fn open_branches(
    tx: &mut Tx,
    case_id: i64,
    state: &str,
    departments: &[i64],
) -> Result<(), CaseError> {
    for d in departments {
        tx.execute(
            query(
                "INSERT INTO case_branches (case_id, state, department_id, status) \
                 VALUES ($1, $2, $3, 'pending')",
            )
            .bind(case_id)
            .bind(state)
            .bind(*d),
        )
        .await?;
    }
    Ok(())
}

/// Binds what a deadline counts from as the three columns `due_from`,
/// `due_amount` and `due_unit`, in that order.
pub(crate) trait BindBasis {
    fn bind_basis(self, basis: Option<Basis>) -> Self;
}

impl BindBasis for Statement<'_> {
    fn bind_basis(self, basis: Option<Basis>) -> Self {
        self.bind(basis.map(|b| b.from))
            .bind(basis.map(|b| b.amount as i32))
            .bind(basis.map(|b| b.unit.as_str()))
    }
}
