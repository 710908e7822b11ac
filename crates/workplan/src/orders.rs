//! 督办 orders on a task, on the case engine (`data/processes/
//! workplan-order.toml`): the office orders the lead department to act —
//! what, within how many working days — as a case the department answers;
//! the office accepts the answer or sends it back, or escalates the order
//! to a 专项督查 closed by its field visit record. The office's steps are
//! taken here as the platform's, once the caller is known to be the plan's
//! office; every step is the engine's, audited.

use crate::plan::{Level, NodeState};
use crate::reporting::ReportError;
use crate::WorkplanError;
use egov_calendar::WorkCalendar;
use egov_cases::acting::Acting;
use egov_cases::engine::{act, prepare, NewCase};
use egov_cases::opening::open;
use egov_cases::registry::Processes;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The process orders run under.
pub const PROCESS: &str = "workplan_order";

/// The steps the office takes on an order.
pub const OFFICE_STEPS: [&str; 4] = ["accept", "send_back", "escalate", "record_visit"];

/// An order as the office writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct NewOrder {
    /// What the department must do.
    pub what: String,
    /// Within how many working days it answers (1–30).
    pub days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("say what is ordered (5 to 2000 characters)")]
    What,
    #[error("the time to answer is 1 to 30 working days")]
    Days,
    #[error("not a step the office takes on an order")]
    Step,
    #[error("no such order")]
    NotAnOrder,
}

impl OrderError {
    pub fn message_zh(&self) -> String {
        match self {
            OrderError::What => "请写明督办事项和要求（5 至 2000 个字）".into(),
            OrderError::Days => "答复时限应为 1 至 30 个工作日".into(),
            OrderError::Step => "督查部门不能对督办事项进行这一操作".into(),
            OrderError::NotAnOrder => "没有这件督办事项".into(),
        }
    }
}

/// Issues an order on node `node_id`; answers the case number.
pub async fn issue(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    calendar: &WorkCalendar,
    node_id: i64,
    order: NewOrder,
) -> Result<String, WorkplanError> {
    let what = order.what.trim().to_owned();
    if !(5..=2000).contains(&what.chars().count()) {
        return Err(OrderError::What.into());
    }
    if !(1..=30).contains(&order.days) {
        return Err(OrderError::Days.into());
    }
    let mut r = db.reader().await?;
    let head: Option<(i64, String, String, i64, String, i64)> = run!(r, |c| sqlx::query_as(
        "SELECT n.plan_id, n.level, n.title, n.lead_department_id, n.state, p.version \
         FROM workplan_nodes n JOIN workplans p ON p.id = n.plan_id \
         WHERE n.id = $1 AND NOT n.removed"
    )
    .bind(node_id)
    .fetch_optional(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    drop(r);
    let (plan_id, level, title, lead, state, version) = head.ok_or(WorkplanError::NotFound)?;
    if Level::parse(&level) == Some(Level::Item) {
        return Err(ReportError::Item.into());
    }
    if version == 0 {
        return Err(ReportError::NotPublished.into());
    }
    if matches!(
        NodeState::parse(&state),
        Some(NodeState::Done | NodeState::Cancelled)
    ) {
        return Err(ReportError::Closed.into());
    }
    let def = processes.latest(db, PROCESS).await?;
    let short: String = title.chars().take(60).collect();
    let mut new = NewCase::new(&def, lead, &format!("督办：{short}"));
    new.data = serde_json::json!({ "what": what, "task": short });
    new.deadlines.insert("ordered".to_owned(), order.days);
    let opening = prepare(calendar, Acting::Platform, new)?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let case = open(tx, &ctx, opening).await?;
            tx.execute(
                query(
                    "INSERT INTO workplan_orders (case_id, node_id, issued_at) VALUES ($1, $2, $3)",
                )
                .bind(case.id)
                .bind(node_id)
                .bind(time::now()),
            )
            .await?;
            crate::drafting::audit(
                tx,
                &ctx,
                "workplan.order_issued",
                plan_id,
                serde_json::json!({
                    "node": node_id, "case": case.number, "days": order.days,
                }),
            )
            .await?;
            Ok::<_, WorkplanError>(case.number)
        })
    })
    .await
}

/// An order as listed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Order {
    pub number: String,
    pub node_id: i64,
    pub state: String,
    pub due_at: Option<Timestamp>,
    pub issued_at: Timestamp,
    pub closed: bool,
}

/// The orders on node `node_id`, newest first.
pub async fn of_node(db: &Db, node_id: i64) -> Result<Vec<Order>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT c.number, o.node_id, c.state, c.due_at, o.issued_at, \
         (c.closed_at IS NOT NULL) AS closed \
         FROM workplan_orders o JOIN cases c ON c.id = o.case_id \
         WHERE o.node_id = $1 ORDER BY o.case_id DESC"
    )
    .bind(node_id)
    .fetch_all(&mut *c)
    .await)?)
}

/// The open orders on the nodes of plan `plan_id`, oldest first.
pub async fn open_of_plan(db: &Db, plan_id: i64) -> Result<Vec<Order>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT c.number, o.node_id, c.state, c.due_at, o.issued_at, \
         (c.closed_at IS NOT NULL) AS closed \
         FROM workplan_orders o JOIN cases c ON c.id = o.case_id \
         JOIN workplan_nodes n ON n.id = o.node_id \
         WHERE n.plan_id = $1 AND c.closed_at IS NULL ORDER BY o.case_id"
    )
    .bind(plan_id)
    .fetch_all(&mut *c)
    .await)?)
}

/// The node order `number` is on, if it is an order.
pub async fn node_of(db: &Db, number: &str) -> Result<Option<i64>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(
        "SELECT o.node_id FROM workplan_orders o JOIN cases c ON c.id = o.case_id \
         WHERE c.number = $1"
    )
    .bind(number)
    .fetch_optional(&mut *c)
    .await)?)
}

/// How many orders each department was given on plan `plan_id`.
pub async fn counts(db: &Db, plan_id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT n.lead_department_id, COUNT(*) FROM workplan_orders o \
         JOIN workplan_nodes n ON n.id = o.node_id WHERE n.plan_id = $1 \
         GROUP BY n.lead_department_id"
    )
    .bind(plan_id)
    .fetch_all(&mut *c)
    .await)?)
}

/// Takes the office's step `action` (one of [`OFFICE_STEPS`]) on order
/// `number` with its `fields`; answers the state reached. The caller has
/// checked that the office of the order's plan is acting.
pub async fn step(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    calendar: &Arc<WorkCalendar>,
    number: &str,
    action: &str,
    fields: serde_json::Value,
) -> Result<String, WorkplanError> {
    if !OFFICE_STEPS.contains(&action) {
        return Err(OrderError::Step.into());
    }
    if node_of(db, number).await?.is_none() {
        return Err(OrderError::NotAnOrder.into());
    }
    let case = egov_cases::case::by_number(db, number).await?;
    let def = processes
        .get(
            db,
            PROCESS,
            u32::try_from(case.process_version).unwrap_or(1),
        )
        .await?;
    let done = act(
        db,
        ctx,
        calendar,
        &def,
        case.id,
        case.version,
        Acting::Platform,
        action,
        fields,
    )
    .await?;
    Ok(done.state)
}
