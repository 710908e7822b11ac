//! Publishing a plan as a version: once every department with a share has
//! confirmed it as it stands, the tree is kept whole under the next
//! number. Any two versions compare node by node (`diff`): added, removed,
//! and changed with the fields that changed.

use crate::drafting::audit;
use crate::WorkplanError;
use chrono::NaiveDate;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    #[error("nothing has changed since the last version")]
    NothingChanged,
    #[error("the plan has no items yet")]
    Empty,
    /// Departments with a share that have not confirmed it as it stands.
    #[error("{} departments have not confirmed their share", .0.len())]
    Unconfirmed(Vec<i64>),
    #[error("say what this version is (2 to 500 characters)")]
    Note,
}

impl PublishError {
    pub fn message_zh(&self, name: impl Fn(i64) -> String) -> String {
        match self {
            PublishError::NothingChanged => "自上一版本以来没有变化，无需发布".into(),
            PublishError::Empty => "计划还没有任何事项".into(),
            PublishError::Unconfirmed(d) => format!(
                "以下单位尚未确认其承担的任务：{}",
                d.iter().map(|d| name(*d)).collect::<Vec<_>>().join("、")
            ),
            PublishError::Note => "请填写版本说明（2 至 500 个字）".into(),
        }
    }
}

/// A node as a version keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub parent: Option<i64>,
    pub level: String,
    pub title: String,
    pub lead: i64,
    pub partners: Vec<i64>,
    pub responsible: String,
    pub due: NaiveDate,
    pub outcome: String,
}

/// A node as read to be kept: (id, parent, level, title, lead,
/// responsible, due, outcome).
type EntryRow = (
    i64,
    Option<i64>,
    String,
    String,
    i64,
    String,
    NaiveDate,
    String,
);

/// A published version.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Version {
    pub version: i64,
    pub note: String,
    pub published_at: Timestamp,
}

/// The versions of plan `plan_id`, newest first.
pub async fn of_plan(db: &Db, plan_id: i64) -> Result<Vec<Version>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT version, note, published_at FROM workplan_versions WHERE plan_id = $1 \
         ORDER BY version DESC"
    )
    .bind(plan_id)
    .fetch_all(&mut *c)
    .await)?)
}

/// The nodes version `version` of plan `plan_id` kept (`None`: no such version).
pub async fn snapshot(
    db: &Db,
    plan_id: i64,
    version: i64,
) -> Result<Option<Vec<Entry>>, StoreError> {
    let mut r = db.reader().await?;
    let text: Option<String> = run!(r, |c| sqlx::query_scalar(
        "SELECT snapshot FROM workplan_versions WHERE plan_id = $1 AND version = $2"
    )
    .bind(plan_id)
    .bind(version)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Publishes plan `plan_id` as it stands as its next version, on `today`;
/// answers the version's number.
pub async fn publish(
    db: &Db,
    ctx: &Context,
    plan_id: i64,
    by: Option<i64>,
    note: &str,
    today: NaiveDate,
) -> Result<i64, WorkplanError> {
    let note = note.trim().to_owned();
    if !(2..=500).contains(&note.chars().count()) {
        return Err(PublishError::Note.into());
    }
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let head: Option<(i64, bool)> = tx
                .fetch_optional(
                    query("SELECT version, changed FROM workplans WHERE id = $1").bind(plan_id),
                )
                .await?;
            let (version, changed) = head.ok_or(WorkplanError::NotFound)?;
            if !changed {
                return Err(PublishError::NothingChanged.into());
            }
            let rows: Vec<EntryRow> = tx
                .fetch_all(
                    query(
                        "SELECT id, parent_id, level, title, lead_department_id, responsible, \
                         due_on, outcome FROM workplan_nodes WHERE plan_id = $1 AND NOT removed \
                         ORDER BY position",
                    )
                    .bind(plan_id),
                )
                .await?;
            if rows.is_empty() {
                return Err(PublishError::Empty.into());
            }
            let partners: Vec<(i64, i64)> = tx
                .fetch_all(
                    query(
                        "SELECT p.node_id, p.department_id FROM workplan_partners p \
                         JOIN workplan_nodes n ON n.id = p.node_id \
                         WHERE n.plan_id = $1 AND NOT n.removed ORDER BY p.node_id, p.department_id",
                    )
                    .bind(plan_id),
                )
                .await?;
            let entries: Vec<Entry> = rows
                .into_iter()
                .map(|(id, parent, level, title, lead, responsible, due, outcome)| Entry {
                    id,
                    parent,
                    level,
                    title,
                    lead,
                    partners: partners.iter().filter(|p| p.0 == id).map(|p| p.1).collect(),
                    responsible,
                    due,
                    outcome,
                })
                .collect();
            let confirmed: Vec<(i64,)> = tx
                .fetch_all(
                    query(
                        "SELECT department_id FROM workplan_confirmations \
                         WHERE plan_id = $1 AND decision = 'confirmed'",
                    )
                    .bind(plan_id),
                )
                .await?;
            let mut missing: Vec<i64> = entries
                .iter()
                .flat_map(|e| std::iter::once(e.lead).chain(e.partners.iter().copied()))
                .filter(|d| !confirmed.iter().any(|c| c.0 == *d))
                .collect();
            missing.sort_unstable();
            missing.dedup();
            if !missing.is_empty() {
                return Err(PublishError::Unconfirmed(missing).into());
            }
            let next = version + 1;
            let snapshot = serde_json::to_string(&entries).expect("entries serialise");
            tx.execute(
                query(
                    "INSERT INTO workplan_versions (plan_id, version, note, snapshot, published_by, \
                     published_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(plan_id)
                .bind(next)
                .bind(&note)
                .bind(snapshot)
                .bind(by)
                .bind(time::now()),
            )
            .await?;
            tx.execute(
                query(
                    "UPDATE workplans SET version = $1, changed = FALSE, \
                     published_on = COALESCE(published_on, $2) WHERE id = $3",
                )
                .bind(next)
                .bind(today)
                .bind(plan_id),
            )
            .await?;
            audit(tx, &ctx, "workplan.published", plan_id, serde_json::json!({
                "version": next, "note": note, "nodes": entries.len(),
            }))
            .await?;
            Ok::<_, WorkplanError>(next)
        })
    })
    .await
}

egov_store::text_enum! {
    /// How a node differs between two versions.
    pub enum ChangeKind { Added = "added", Removed = "removed", Changed = "changed" }
}

/// One node's difference between two versions.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub before: Option<Entry>,
    pub after: Option<Entry>,
    /// The fields that changed (`title`, `lead`, `partners`, `responsible`,
    /// `due`, `outcome`, `parent`).
    pub fields: Vec<&'static str>,
}

/// What changed from version `a` to version `b`, in `b`'s order (removed
/// nodes last).
pub fn diff(a: &[Entry], b: &[Entry]) -> Vec<Change> {
    let mut out = Vec::new();
    for after in b {
        match a.iter().find(|e| e.id == after.id) {
            None => out.push(Change {
                kind: ChangeKind::Added,
                before: None,
                after: Some(after.clone()),
                fields: Vec::new(),
            }),
            Some(before) if before != after => {
                let mut fields = Vec::new();
                let mut differs = |f: &'static str, d: bool| {
                    if d {
                        fields.push(f);
                    }
                };
                differs("title", before.title != after.title);
                differs("lead", before.lead != after.lead);
                differs("partners", before.partners != after.partners);
                differs("responsible", before.responsible != after.responsible);
                differs("due", before.due != after.due);
                differs("outcome", before.outcome != after.outcome);
                differs("parent", before.parent != after.parent);
                out.push(Change {
                    kind: ChangeKind::Changed,
                    before: Some(before.clone()),
                    after: Some(after.clone()),
                    fields,
                });
            }
            Some(_) => {}
        }
    }
    for before in a.iter().filter(|e| !b.iter().any(|x| x.id == e.id)) {
        out.push(Change {
            kind: ChangeKind::Removed,
            before: Some(before.clone()),
            after: None,
            fields: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, title: &str, due: (u32, u32)) -> Entry {
        Entry {
            id,
            parent: None,
            level: "item".into(),
            title: title.into(),
            lead: 1,
            partners: vec![2],
            responsible: "张明".into(),
            due: NaiveDate::from_ymd_opt(2009, due.0, due.1).unwrap(),
            outcome: "完成".into(),
        }
    }

    #[test]
    fn a_diff_names_added_removed_and_changed_fields() {
        let a = vec![entry(1, "甲", (6, 30)), entry(2, "乙", (9, 30))];
        let mut moved = entry(1, "甲", (7, 31));
        moved.partners = vec![2, 3];
        let b = vec![moved, entry(3, "丙", (12, 31))];
        let d = diff(&a, &b);
        let kinds: Vec<(ChangeKind, i64)> = d
            .iter()
            .map(|c| (c.kind, c.after.as_ref().or(c.before.as_ref()).unwrap().id))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (ChangeKind::Changed, 1),
                (ChangeKind::Added, 3),
                (ChangeKind::Removed, 2)
            ]
        );
        assert_eq!(d[0].fields, vec!["partners", "due"]);
        assert!(diff(&b, &b).is_empty());
    }
}
