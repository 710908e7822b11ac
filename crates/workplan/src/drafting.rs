//! The office drafts a plan and changes it: each change is one
//! transaction with its audit record, and clears the confirmations of the
//! departments whose share it touched (they confirm what they see), so
//! the plan is published again only once they have.

use crate::plan::{CheckedPlan, Level, NewNode, NewPlan, PlanError};
use crate::settings::Settings;
use crate::WorkplanError;
use chrono::NaiveDate;
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{in_list, query, run, Db, StoreError, Tx};
use serde::Serialize;

/// A plan's head.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Plan {
    pub id: i64,
    pub title: String,
    pub kind: crate::plan::PlanKind,
    pub year: i64,
    pub doc_number: Option<String>,
    pub office_department_id: i64,
    pub report_months: i64,
    pub public: bool,
    /// The last published version (0: never published).
    pub version: i64,
    /// When it was first published.
    pub published_on: Option<NaiveDate>,
    /// Changed since its last published version.
    pub changed: bool,
    pub created_at: Timestamp,
}

impl Plan {
    pub fn year(&self) -> i32 {
        i32::try_from(self.year).unwrap_or(2000)
    }

    pub fn is_published(&self) -> bool {
        self.version > 0
    }
}

const PLAN_COLUMNS: &str = "SELECT id, title, kind, year, doc_number, office_department_id, \
    report_months, public, version, published_on, changed, created_at FROM workplans";

/// Plan `id`.
pub async fn plan(db: &Db, id: i64) -> Result<Option<Plan>, StoreError> {
    let sql = format!("{PLAN_COLUMNS} WHERE id = $1");
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await)?)
}

/// The plan node `node_id` belongs to.
pub async fn plan_of_node(db: &Db, node_id: i64) -> Result<Option<i64>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(
        "SELECT plan_id FROM workplan_nodes WHERE id = $1 AND NOT removed"
    )
    .bind(node_id)
    .fetch_optional(&mut *c)
    .await)?)
}

/// Every plan, newest year first.
pub async fn plans(db: &Db) -> Result<Vec<Plan>, StoreError> {
    let sql = format!("{PLAN_COLUMNS} ORDER BY year DESC, id DESC");
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(&sql).fetch_all(&mut *c).await)?)
}

/// Drafts a plan owned by the office `office` (a department id).
pub async fn create_plan(
    db: &Db,
    ctx: &Context,
    office: i64,
    by: Option<i64>,
    plan: NewPlan,
) -> Result<i64, WorkplanError> {
    let plan: CheckedPlan = plan.check(Settings::shipped().default_report_months)?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let id: i64 = tx
                .fetch_scalar(
                    query(
                        "INSERT INTO workplans (title, kind, year, doc_number, \
                         office_department_id, report_months, public, created_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    )
                    .bind(&plan.title)
                    .bind(plan.kind.as_str())
                    .bind(i64::from(plan.year))
                    .bind(&plan.doc_number)
                    .bind(office)
                    .bind(i64::from(plan.report_months))
                    .bind(plan.public)
                    .bind(by)
                    .bind(time::now()),
                )
                .await?;
            audit(
                tx,
                &ctx,
                "workplan.drafted",
                id,
                serde_json::json!({ "title": plan.title, "year": plan.year }),
            )
            .await?;
            Ok::<_, WorkplanError>(id)
        })
    })
    .await
}

/// A node's place as a change needs it.
struct Placed {
    plan_id: i64,
    year: i64,
    level: Level,
    parent: Option<i64>,
    lead: i64,
    partners: Vec<i64>,
}

async fn plan_year(tx: &mut Tx, plan_id: i64) -> Result<i64, WorkplanError> {
    tx.fetch_optional_scalar(query("SELECT year FROM workplans WHERE id = $1").bind(plan_id))
        .await?
        .ok_or(WorkplanError::NotFound)
}

async fn parent_of(
    tx: &mut Tx,
    plan_id: i64,
    parent: Option<i64>,
) -> Result<Option<(Level, NaiveDate)>, WorkplanError> {
    let Some(parent) = parent else {
        return Ok(None);
    };
    let row: Option<(String, NaiveDate)> = tx
        .fetch_optional(
            query(
                "SELECT level, due_on FROM workplan_nodes \
                 WHERE id = $1 AND plan_id = $2 AND NOT removed",
            )
            .bind(parent)
            .bind(plan_id),
        )
        .await?;
    let (level, due) = row.ok_or(WorkplanError::NotFound)?;
    let level = Level::parse(&level).ok_or(WorkplanError::NotFound)?;
    Ok(Some((level, due)))
}

async fn placed(tx: &mut Tx, node_id: i64) -> Result<Placed, WorkplanError> {
    let row: Option<(i64, i64, String, Option<i64>, i64)> = tx
        .fetch_optional(
            query(
                "SELECT n.plan_id, p.year, n.level, n.parent_id, n.lead_department_id \
                 FROM workplan_nodes n JOIN workplans p ON p.id = n.plan_id \
                 WHERE n.id = $1 AND NOT n.removed",
            )
            .bind(node_id),
        )
        .await?;
    let (plan_id, year, level, parent, lead) = row.ok_or(WorkplanError::NotFound)?;
    let partners: Vec<(i64,)> = tx
        .fetch_all(
            query("SELECT department_id FROM workplan_partners WHERE node_id = $1").bind(node_id),
        )
        .await?;
    Ok(Placed {
        plan_id,
        year,
        level: Level::parse(&level).ok_or(WorkplanError::NotFound)?,
        parent,
        lead,
        partners: partners.into_iter().map(|(d,)| d).collect(),
    })
}

/// Adds a node to plan `plan_id`; answers its id.
pub async fn add_node(
    db: &Db,
    ctx: &Context,
    plan_id: i64,
    node: NewNode,
) -> Result<i64, WorkplanError> {
    let directory = egov_org::directory(db).await?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let year = plan_year(tx, plan_id).await?;
            let year = i32::try_from(year).map_err(|_| PlanError::Year)?;
            let node = node.check(year, |c| directory.by_code(c).map(|d| d.id))?;
            node.fits_under(parent_of(tx, plan_id, node.parent).await?)?;
            let position: i64 = tx
                .fetch_scalar(
                    query("SELECT COALESCE(MAX(position), 0) + 1 FROM workplan_nodes WHERE plan_id = $1")
                        .bind(plan_id),
                )
                .await?;
            let id: i64 = tx
                .fetch_scalar(
                    query(
                        "INSERT INTO workplan_nodes (plan_id, parent_id, level, position, title, \
                         lead_department_id, responsible, due_on, outcome) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    )
                    .bind(plan_id)
                    .bind(node.parent)
                    .bind(node.level.as_str())
                    .bind(position)
                    .bind(&node.title)
                    .bind(node.lead)
                    .bind(&node.responsible)
                    .bind(node.due)
                    .bind(&node.outcome),
                )
                .await?;
            set_partners(tx, id, &node.partners).await?;
            let mut touched = node.partners.clone();
            touched.push(node.lead);
            changed(tx, plan_id, &touched).await?;
            audit(tx, &ctx, "workplan.node_added", plan_id, serde_json::json!({
                "node": id, "level": node.level.as_str(), "title": node.title,
            }))
            .await?;
            Ok::<_, WorkplanError>(id)
        })
    })
    .await
}

/// Changes node `node_id`'s title, departments, person, date and outcome
/// (its level and place stay).
pub async fn edit_node(
    db: &Db,
    ctx: &Context,
    node_id: i64,
    node: NewNode,
) -> Result<(), WorkplanError> {
    let directory = egov_org::directory(db).await?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let was = placed(tx, node_id).await?;
            let year = i32::try_from(was.year).map_err(|_| PlanError::Year)?;
            let node = NewNode {
                level: was.level.as_str().to_owned(),
                parent: was.parent,
                ..node
            }
            .check(year, |c| directory.by_code(c).map(|d| d.id))?;
            node.fits_under(parent_of(tx, was.plan_id, was.parent).await?)?;
            let later_child: Option<NaiveDate> = tx
                .fetch_optional_scalar(
                    query(
                        "SELECT MAX(due_on) FROM workplan_nodes \
                         WHERE parent_id = $1 AND NOT removed AND due_on > $2",
                    )
                    .bind(node_id)
                    .bind(node.due),
                )
                .await?
                .flatten();
            if let Some(d) = later_child {
                return Err(PlanError::ChildDueLater(d).into());
            }
            tx.execute(
                query(
                    "UPDATE workplan_nodes SET title = $1, lead_department_id = $2, \
                     responsible = $3, due_on = $4, outcome = $5 WHERE id = $6",
                )
                .bind(&node.title)
                .bind(node.lead)
                .bind(&node.responsible)
                .bind(node.due)
                .bind(&node.outcome)
                .bind(node_id),
            )
            .await?;
            tx.execute(query("DELETE FROM workplan_partners WHERE node_id = $1").bind(node_id))
                .await?;
            set_partners(tx, node_id, &node.partners).await?;
            let mut touched = was.partners;
            touched.push(was.lead);
            touched.extend(&node.partners);
            touched.push(node.lead);
            changed(tx, was.plan_id, &touched).await?;
            audit(
                tx,
                &ctx,
                "workplan.node_changed",
                was.plan_id,
                serde_json::json!({
                    "node": node_id, "title": node.title,
                }),
            )
            .await?;
            Ok::<_, WorkplanError>(())
        })
    })
    .await
}

/// Removes node `node_id` and what sits under it from the plan (their
/// reports stay, for the record).
pub async fn remove_node(db: &Db, ctx: &Context, node_id: i64) -> Result<(), WorkplanError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let was = placed(tx, node_id).await?;
            let mut ids = vec![node_id];
            let mut frontier = vec![node_id];
            while !frontier.is_empty() {
                let sql = format!(
                    "SELECT id FROM workplan_nodes WHERE NOT removed AND parent_id IN ({})",
                    in_list(1, frontier.len())
                );
                let mut q = query(sql);
                for id in &frontier {
                    q = q.bind(*id);
                }
                let children: Vec<(i64,)> = tx.fetch_all(q).await?;
                frontier = children.into_iter().map(|(id,)| id).collect();
                ids.extend(&frontier);
            }
            let list = in_list(1, ids.len());
            let mut touched: Vec<i64> = Vec::new();
            let sql = format!(
                "SELECT lead_department_id FROM workplan_nodes WHERE id IN ({list}) \
                 UNION SELECT department_id FROM workplan_partners WHERE node_id IN ({list})"
            );
            let mut q = query(sql);
            for id in &ids {
                q = q.bind(*id);
            }
            let rows: Vec<(i64,)> = tx.fetch_all(q).await?;
            touched.extend(rows.into_iter().map(|(d,)| d));
            let mut q = query(format!(
                "UPDATE workplan_nodes SET removed = TRUE WHERE id IN ({list})"
            ));
            for id in &ids {
                q = q.bind(*id);
            }
            tx.execute(q).await?;
            changed(tx, was.plan_id, &touched).await?;
            audit(
                tx,
                &ctx,
                "workplan.node_removed",
                was.plan_id,
                serde_json::json!({
                    "node": node_id, "with": ids.len() - 1,
                }),
            )
            .await?;
            Ok::<_, WorkplanError>(())
        })
    })
    .await
}

async fn set_partners(tx: &mut Tx, node_id: i64, partners: &[i64]) -> Result<(), StoreError> {
    for d in partners {
        tx.execute(
            query("INSERT INTO workplan_partners (node_id, department_id) VALUES ($1, $2)")
                .bind(node_id)
                .bind(*d),
        )
        .await?;
    }
    Ok(())
}

/// Marks the plan changed and clears the word of the departments whose
/// share changed.
async fn changed(tx: &mut Tx, plan_id: i64, touched: &[i64]) -> Result<(), StoreError> {
    tx.execute(query("UPDATE workplans SET changed = TRUE WHERE id = $1").bind(plan_id))
        .await?;
    if touched.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM workplan_confirmations WHERE plan_id = $1 AND department_id IN ({})",
        in_list(2, touched.len())
    );
    let mut q = query(sql).bind(plan_id);
    for d in touched {
        q = q.bind(*d);
    }
    tx.execute(q).await?;
    Ok(())
}

/// Appends the audit record of a change to plan `plan_id`.
pub(crate) async fn audit(
    tx: &mut Tx,
    ctx: &Context,
    action: &'static str,
    plan_id: i64,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    let id = plan_id.to_string();
    egov_audit::append(
        tx,
        ctx,
        Event {
            action,
            object_type: "workplan",
            object_id: &id,
            detail,
        },
    )
    .await
}
