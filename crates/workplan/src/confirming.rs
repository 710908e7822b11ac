//! A department's word on its share of a plan as it stands: confirmed, or
//! a change asked for with its reasons. A change to its share clears it
//! (`drafting.rs`); the plan is published once every department with a
//! share has confirmed.

use crate::drafting::audit;
use crate::WorkplanError;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError};
use serde::Serialize;

egov_store::text_enum! {
    /// What a department said.
    pub enum Decision {
        Confirmed = "confirmed",
        /// A change asked for, with reasons.
        ChangeRequested = "change_requested",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmError {
    #[error("unknown decision '{0}': confirmed or change_requested")]
    Decision(String),
    #[error("say what should change and why (5 to 1000 characters)")]
    Reason,
    #[error("the department has no share in this plan")]
    NoShare,
}

impl ConfirmError {
    pub fn message_zh(&self) -> String {
        match self {
            ConfirmError::Decision(d) => format!("没有“{d}”这种意见：应为确认或申请调整"),
            ConfirmError::Reason => "申请调整的，请写明调整内容和理由（5 至 1000 个字）".into(),
            ConfirmError::NoShare => "本单位在该计划中没有承担任务".into(),
        }
    }
}

/// A department's word as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Confirmation {
    pub department_id: i64,
    pub decision: Decision,
    pub reason: Option<String>,
    pub decided_at: Timestamp,
}

/// The word of every department that has given it on plan `plan_id`.
pub async fn of_plan(db: &Db, plan_id: i64) -> Result<Vec<Confirmation>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT department_id, decision, reason, decided_at FROM workplan_confirmations \
         WHERE plan_id = $1 ORDER BY department_id"
    )
    .bind(plan_id)
    .fetch_all(&mut *c)
    .await)?)
}

/// Records `department`'s word on its share of plan `plan_id`.
pub async fn decide(
    db: &Db,
    ctx: &Context,
    plan_id: i64,
    department: i64,
    by: Option<i64>,
    decision: &str,
    reason: Option<String>,
) -> Result<(), WorkplanError> {
    let decision = Decision::parse(decision.trim())
        .ok_or_else(|| ConfirmError::Decision(decision.to_owned()))?;
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if decision == Decision::ChangeRequested
        && !reason
            .as_deref()
            .is_some_and(|r| (5..=1000).contains(&r.chars().count()))
    {
        return Err(ConfirmError::Reason.into());
    }
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let share: i64 = tx
                .fetch_scalar(
                    query(
                        "SELECT COUNT(*) FROM workplan_nodes n WHERE n.plan_id = $1 AND NOT n.removed \
                         AND (n.lead_department_id = $2 OR EXISTS (SELECT 1 FROM workplan_partners p \
                         WHERE p.node_id = n.id AND p.department_id = $2))",
                    )
                    .bind(plan_id)
                    .bind(department),
                )
                .await?;
            if share == 0 {
                return Err(ConfirmError::NoShare.into());
            }
            tx.execute(
                query("DELETE FROM workplan_confirmations WHERE plan_id = $1 AND department_id = $2")
                    .bind(plan_id)
                    .bind(department),
            )
            .await?;
            tx.execute(
                query(
                    "INSERT INTO workplan_confirmations (plan_id, department_id, decision, reason, \
                     decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(plan_id)
                .bind(department)
                .bind(decision.as_str())
                .bind(&reason)
                .bind(by)
                .bind(time::now()),
            )
            .await?;
            audit(tx, &ctx, "workplan.share_decided", plan_id, serde_json::json!({
                "department": department, "decision": decision.as_str(), "reason": reason,
            }))
            .await?;
            Ok::<_, WorkplanError>(())
        })
    })
    .await
}
