//! Reminders and warnings on the working-day calendar: a lead department
//! is reminded of a period's report a few working days before it is due,
//! and warned once it is some working days overdue and still not made —
//! each once per task and period, told to the department's handlers and
//! kept (warnings count against its year-end score), with an audit record.

use crate::board;
use crate::drafting;
use crate::plan::{Level, NodeState};
use crate::settings::Settings;
use chrono::{Datelike, NaiveDate};
use egov_calendar::WorkCalendar;
use egov_identity::Role;
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError};
use std::collections::HashSet;

egov_store::text_enum! {
    /// What a department was told.
    pub enum AlertKind {
        Reminder = "reminder",
        Warning = "warning",
    }
}

/// An alert to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub node_id: i64,
    pub department_id: i64,
    pub task: String,
    pub period: String,
    pub due: NaiveDate,
    pub kind: AlertKind,
}

/// The alerts due on `today` for plan `b` (given the periods reported on
/// and the alerts raised before), by the settings' working days.
pub fn due(
    calendar: &WorkCalendar,
    settings: &Settings,
    b: &board::Board,
    reported: &HashSet<(i64, String)>,
    raised: &HashSet<(i64, String, String)>,
    today: NaiveDate,
) -> Vec<Alert> {
    let schedule = board::schedule(calendar, settings, &b.plan);
    let mut out = Vec::new();
    for n in b
        .nodes
        .iter()
        .filter(|n| n.level == Level::Task && n.state == NodeState::Open)
    {
        for (p, deadline) in schedule
            .iter()
            .filter(|(p, _)| p.start <= n.due_on && p.end < today)
        {
            let label = p.label();
            if reported.contains(&(n.id, label.clone())) {
                continue;
            }
            let deadline = *deadline;
            let kind = if today > deadline
                && calendar.workdays_between(deadline, today) >= settings.warn_workdays_after
            {
                AlertKind::Warning
            } else if today <= deadline
                && calendar.workdays_between(today, deadline) <= settings.remind_workdays_before
            {
                AlertKind::Reminder
            } else {
                continue;
            };
            if raised.contains(&(n.id, label.clone(), kind.as_str().to_owned())) {
                continue;
            }
            out.push(Alert {
                node_id: n.id,
                department_id: n.lead_department_id,
                task: n.title.clone(),
                period: label,
                due: deadline,
                kind,
            });
        }
    }
    out
}

/// Raises the reminders and warnings due on `today` on every published
/// plan of this year or last; answers how many.
pub async fn sweep(
    db: &Db,
    calendar: &WorkCalendar,
    today: NaiveDate,
) -> Result<usize, StoreError> {
    let settings = Settings::shipped();
    let mut raised_count = 0;
    for plan in drafting::plans(db).await? {
        if !plan.is_published() || !(today.year() - 1..=today.year()).contains(&plan.year()) {
            continue;
        }
        let title = plan.title.clone();
        let id = plan.id;
        let b = board::build(calendar, settings, plan, board::nodes(db, id).await?, today);
        let mut r = db.reader().await?;
        let reported: Vec<(i64, String)> = run!(r, |c| sqlx::query_as(
            "SELECT DISTINCT r.node_id, r.period FROM workplan_reports r \
             JOIN workplan_nodes n ON n.id = r.node_id WHERE n.plan_id = $1"
        )
        .bind(id)
        .fetch_all(&mut *c)
        .await)?;
        let raised: Vec<(i64, String, String)> = run!(r, |c| sqlx::query_as(
            "SELECT a.node_id, a.period, a.kind FROM workplan_alerts a \
             JOIN workplan_nodes n ON n.id = a.node_id WHERE n.plan_id = $1"
        )
        .bind(id)
        .fetch_all(&mut *c)
        .await)?;
        drop(r);
        let alerts = due(
            calendar,
            settings,
            &b,
            &reported.into_iter().collect(),
            &raised.into_iter().collect(),
            today,
        );
        if alerts.is_empty() {
            continue;
        }
        raised_count += raise(db, id, title, alerts, today).await?;
    }
    Ok(raised_count)
}

/// Keeps and tells `alerts` on plan `plan_id`, in one transaction.
async fn raise(
    db: &Db,
    plan_id: i64,
    title: String,
    alerts: Vec<Alert>,
    today: NaiveDate,
) -> Result<usize, StoreError> {
    db.write(move |tx| {
        Box::pin(async move {
            let mut kept = 0;
            for a in &alerts {
                // Once per task, period and kind, whichever node gets there first.
                let new = tx
                    .execute(
                        query(
                            "INSERT INTO workplan_alerts (node_id, period, kind, department_id, \
                             raised_on) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                        )
                        .bind(a.node_id)
                        .bind(&a.period)
                        .bind(a.kind.as_str())
                        .bind(a.department_id)
                        .bind(today),
                    )
                    .await?;
                if new == 0 {
                    continue;
                }
                kept += 1;
                let to = egov_identity::contacts::holding(tx, &[(a.department_id, Role::Handler)])
                    .await?;
                let kind = match a.kind {
                    AlertKind::Reminder => "workplan_report_reminder",
                    AlertKind::Warning => "workplan_report_warning",
                };
                let note = egov_notify::Note {
                    kind: kind.to_owned(),
                    params: serde_json::json!({
                        "plan": title, "task": a.task, "period": a.period, "due": a.due.to_string(),
                    }),
                    link: format!("/workplans/tasks/{}", a.node_id),
                };
                egov_notify::post(tx, &to, &note).await?;
            }
            if kept > 0 {
                crate::drafting::audit(
                    tx,
                    &Context::system(),
                    "workplan.alerts_raised",
                    plan_id,
                    serde_json::json!({
                        "on": today.to_string(),
                        "alerts": alerts.iter().map(|a| serde_json::json!({
                            "node": a.node_id, "period": a.period, "kind": a.kind.as_str(),
                        })).collect::<Vec<_>>(),
                    }),
                )
                .await?;
            }
            Ok::<_, StoreError>(kept)
        })
    })
    .await
}

/// How many warnings each department was given on plan `plan_id`.
pub async fn warnings(db: &Db, plan_id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT a.department_id, COUNT(*) FROM workplan_alerts a \
         JOIN workplan_nodes n ON n.id = a.node_id \
         WHERE n.plan_id = $1 AND a.kind = 'warning' GROUP BY a.department_id"
    )
    .bind(plan_id)
    .fetch_all(&mut *c)
    .await)?)
}

/// The warnings raised on plan `plan_id` since `since`, newest first:
/// (node, period, department, raised on).
pub async fn warnings_since(
    db: &Db,
    plan_id: i64,
    since: NaiveDate,
) -> Result<Vec<(i64, String, i64, NaiveDate)>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT a.node_id, a.period, a.department_id, a.raised_on FROM workplan_alerts a \
         JOIN workplan_nodes n ON n.id = a.node_id \
         WHERE n.plan_id = $1 AND a.kind = 'warning' AND a.raised_on >= $2 \
         ORDER BY a.raised_on DESC, a.node_id"
    )
    .bind(plan_id)
    .bind(since)
    .fetch_all(&mut *c)
    .await)?)
}

/// The alerts raised on node `node_id`: (period, kind, raised on).
pub async fn of_node(
    db: &Db,
    node_id: i64,
) -> Result<Vec<(String, String, NaiveDate)>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT period, kind, raised_on FROM workplan_alerts WHERE node_id = $1 \
         ORDER BY period DESC, kind"
    )
    .bind(node_id)
    .fetch_all(&mut *c)
    .await)?)
}

/// Why a sweep stopped; what it raised before stays raised.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading the working-day calendar")]
    Calendar(#[from] egov_calendar::LoadError),
}

/// [`sweep`] on the calendar as stored: `egov serve`'s hourly run.
pub async fn run(db: &Db, today: NaiveDate) -> Result<usize, SweepError> {
    let calendar = egov_calendar::load_calendar(db).await?;
    Ok(sweep(db, &calendar, today).await?)
}
