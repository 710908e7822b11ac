//! Progress reports: the lead department reports on its task or milestone
//! each period — what was done, how far (a percentage that does not go
//! backwards without a reason), the problems needing coordination, and
//! evidence (files, links to cases, published documents or pages). A
//! report made after its period's deadline is marked late. With the work
//! done, the department asks for the task to be closed (100 %, with
//! evidence); the office accepts it (done) or sends it back, or cancels a
//! task with its approval.

use crate::drafting::audit;
use crate::periods::Period;
use crate::plan::{Level, NodeState};
use crate::settings::Settings;
use crate::WorkplanError;
use chrono::NaiveDate;
use egov_calendar::WorkCalendar;
use egov_cases::attachments::Stored;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A report as a department writes it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewReport {
    /// The period (`YYYY-MM`, its first month); default: the current one.
    #[serde(default)]
    pub period: Option<String>,
    /// Progress in per cent, 0–100.
    pub progress: i64,
    /// What was done.
    pub text: String,
    /// Problems needing coordination.
    #[serde(default)]
    pub problems: Option<String>,
    /// Why progress went back, when it did.
    #[serde(default)]
    pub reason: Option<String>,
    /// Links as evidence: a case number, a page of this platform (`/...`)
    /// or an `http(s)` address.
    #[serde(default)]
    pub links: Vec<String>,
    /// Asks for the task to be closed (progress 100, with evidence).
    #[serde(default)]
    pub close: bool,
}

/// Why a report or a decision on it was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("progress is a percentage from 0 to 100")]
    Percent,
    #[error("say what was done (2 to 2000 characters)")]
    Text,
    #[error("progress went back from {0}%: say why")]
    Backwards(i64),
    #[error("'{0}' is not a reporting period of this plan")]
    Period(String),
    #[error("a period not begun yet is not reported on")]
    FuturePeriod,
    #[error("'{0}' is not a case number, a page of this platform or an http(s) address")]
    Link(String),
    #[error("at most 10 links")]
    TooManyLinks,
    #[error("a task is closed at 100%")]
    CloseNeedsFull,
    #[error("a task is closed with evidence: a file or a link")]
    CloseNeedsEvidence,
    #[error("an item is not reported on: its tasks are")]
    Item,
    #[error("the plan is not published yet")]
    NotPublished,
    #[error("only the lead department reports on a task")]
    NotYours,
    #[error("the task is closed")]
    Closed,
    #[error("the task waits for the office to accept its closing")]
    AwaitingAcceptance,
    #[error("the task has not been asked to be closed")]
    NotClosing,
    #[error("give the reason (2 to 500 characters)")]
    Reason,
}

impl ReportError {
    pub fn message_zh(&self) -> String {
        match self {
            ReportError::Percent => "完成进度应为 0 至 100 之间的百分数".into(),
            ReportError::Text => "请填写进展情况（2 至 2000 个字）".into(),
            ReportError::Backwards(p) => format!("完成进度低于上次报送的 {p}%，请说明原因"),
            ReportError::Period(p) => format!("“{p}”不是该计划的报送周期"),
            ReportError::FuturePeriod => "尚未开始的周期不能报送".into(),
            ReportError::Link(l) => format!("“{l}”不是办件编号、本平台页面或 http(s) 地址"),
            ReportError::TooManyLinks => "佐证链接最多 10 个".into(),
            ReportError::CloseNeedsFull => "申请办结的，完成进度应为 100%".into(),
            ReportError::CloseNeedsEvidence => "申请办结的，请提供佐证材料（文件或链接）".into(),
            ReportError::Item => "要点不直接报送进展，请在其下的任务中报送".into(),
            ReportError::NotPublished => "计划尚未发布，暂不能报送".into(),
            ReportError::NotYours => "只能报送本单位牵头的任务".into(),
            ReportError::Closed => "该任务已办结或撤销".into(),
            ReportError::AwaitingAcceptance => "该任务已申请办结，正等待督查部门验收".into(),
            ReportError::NotClosing => "该任务没有申请办结".into(),
            ReportError::Reason => "请填写理由（2 至 500 个字）".into(),
        }
    }

    /// The form field it is about.
    pub fn field(&self) -> &'static str {
        match self {
            ReportError::Percent | ReportError::CloseNeedsFull => "progress",
            ReportError::Text => "text",
            ReportError::Backwards(_) | ReportError::Reason => "reason",
            ReportError::Period(_) | ReportError::FuturePeriod => "period",
            ReportError::Link(_) | ReportError::TooManyLinks | ReportError::CloseNeedsEvidence => {
                "links"
            }
            _ => "text",
        }
    }
}

/// Who reports: a person of the departments they report for.
#[derive(Debug, Clone)]
pub struct Reporter {
    pub user_id: Option<i64>,
    pub departments: Vec<i64>,
}

/// A report taken.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    pub id: i64,
    pub period: String,
    /// Made after its period's deadline.
    pub late: bool,
    pub deadline: NaiveDate,
}

/// Whether `link` is evidence a report may carry.
fn link_ok(link: &str) -> bool {
    if link.chars().count() > 300 || link.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let page = link.starts_with('/') && !link.starts_with("//");
    let web = ["http://", "https://"]
        .iter()
        .any(|s| link.len() > s.len() && link[..s.len()].eq_ignore_ascii_case(s));
    let case = (4..=40).contains(&link.len())
        && link.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    page || web || case
}

struct Checked {
    progress: i64,
    text: String,
    problems: Option<String>,
    reason: Option<String>,
    links: Vec<String>,
    close: bool,
    period: Option<String>,
}

impl NewReport {
    /// Checks what the report says by itself (`evidence_files`: files
    /// already given on the task, which can stand for links on closing).
    fn check(self, evidence_files: usize) -> Result<Checked, ReportError> {
        if !(0..=100).contains(&self.progress) {
            return Err(ReportError::Percent);
        }
        let text = self.text.trim().to_owned();
        if !(2..=2000).contains(&text.chars().count()) {
            return Err(ReportError::Text);
        }
        let links: Vec<String> = self
            .links
            .iter()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        if links.len() > 10 {
            return Err(ReportError::TooManyLinks);
        }
        if let Some(bad) = links.iter().find(|l| !link_ok(l)) {
            return Err(ReportError::Link(bad.clone()));
        }
        if self.close && self.progress != 100 {
            return Err(ReportError::CloseNeedsFull);
        }
        if self.close && links.is_empty() && evidence_files == 0 {
            return Err(ReportError::CloseNeedsEvidence);
        }
        let some = |s: Option<String>| {
            s.map(|s| s.trim().chars().take(2000).collect::<String>())
                .filter(|s| !s.is_empty())
        };
        Ok(Checked {
            progress: self.progress,
            text,
            problems: some(self.problems),
            reason: some(self.reason),
            links,
            close: self.close,
            period: self
                .period
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty()),
        })
    }
}

/// Takes `reporter`'s report on node `node_id` at `at`. Files are given
/// as evidence afterwards ([`attach`]); a closing needs a link, or a file
/// given on an earlier report of the task.
pub async fn submit(
    db: &Db,
    ctx: &Context,
    calendar: Arc<WorkCalendar>,
    reporter: &Reporter,
    node_id: i64,
    report: NewReport,
    at: Timestamp,
) -> Result<Submitted, WorkplanError> {
    let files = evidence_count(db, node_id).await?;
    let report = report.check(usize::try_from(files).unwrap_or(0))?;
    let today = time::beijing(at).date();
    let settings = Settings::shipped();
    let ctx = ctx.clone();
    let departments = reporter.departments.clone();
    let by = reporter.user_id;
    db.write(move |tx| {
        Box::pin(async move {
            type Head = (i64, String, i64, String, i64, Option<String>, i64, i64, i64);
            let head: Option<Head> = tx
                .fetch_optional(
                    query(
                        "SELECT n.plan_id, n.level, n.lead_department_id, n.state, n.progress, \
                         n.last_period, p.year, p.report_months, p.version \
                         FROM workplan_nodes n JOIN workplans p ON p.id = n.plan_id \
                         WHERE n.id = $1 AND NOT n.removed",
                    )
                    .bind(node_id),
                )
                .await?;
            let (plan_id, level, lead, state, progress, last_period, year, months, version) =
                head.ok_or(WorkplanError::NotFound)?;
            if Level::parse(&level) == Some(Level::Item) {
                return Err(ReportError::Item.into());
            }
            if version == 0 {
                return Err(ReportError::NotPublished.into());
            }
            if !departments.contains(&lead) {
                return Err(ReportError::NotYours.into());
            }
            match NodeState::parse(&state) {
                Some(NodeState::Closing) => return Err(ReportError::AwaitingAcceptance.into()),
                Some(NodeState::Done | NodeState::Cancelled) => {
                    return Err(ReportError::Closed.into())
                }
                _ => {}
            }
            if report.progress < progress && report.reason.is_none() {
                return Err(ReportError::Backwards(progress).into());
            }
            let months = u32::try_from(months).unwrap_or(1);
            let period = match &report.period {
                Some(label) => Period::parse(label, months)
                    .filter(|p| i64::from(chrono::Datelike::year(&p.start)) == year)
                    .ok_or_else(|| ReportError::Period(label.clone()))?,
                None => Period::of(today, months),
            };
            if period.start > today {
                return Err(ReportError::FuturePeriod.into());
            }
            let deadline = period.deadline(&calendar, settings.report_due_workdays);
            let late = today > deadline;
            let label = period.label();
            let links = serde_json::to_string(&report.links).expect("links serialise");
            let id: i64 = tx
                .fetch_scalar(
                    query(
                        "INSERT INTO workplan_reports (node_id, department_id, period, progress, \
                         text, problems, reason, links, late, reported_by, reported_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                    )
                    .bind(node_id)
                    .bind(lead)
                    .bind(&label)
                    .bind(report.progress)
                    .bind(&report.text)
                    .bind(&report.problems)
                    .bind(&report.reason)
                    .bind(links)
                    .bind(late)
                    .bind(by)
                    .bind(at),
                )
                .await?;
            let newest = last_period.filter(|l| *l > label).unwrap_or(label.clone());
            let (state, closed_on) = match report.close {
                true => (NodeState::Closing, Some(today)),
                false => (NodeState::Open, None),
            };
            tx.execute(
                query(
                    "UPDATE workplan_nodes SET progress = $1, last_period = $2, state = $3, \
                     closed_on = $4 WHERE id = $5",
                )
                .bind(report.progress)
                .bind(newest)
                .bind(state.as_str())
                .bind(closed_on)
                .bind(node_id),
            )
            .await?;
            audit(
                tx,
                &ctx,
                "workplan.reported",
                plan_id,
                serde_json::json!({
                    "node": node_id, "report": id, "period": label, "progress": report.progress,
                    "late": late, "close": report.close,
                }),
            )
            .await?;
            Ok::<_, WorkplanError>(Submitted {
                id,
                period: label,
                late,
                deadline,
            })
        })
    })
    .await
}

egov_store::text_enum! {
    /// The office's decision on a task.
    pub enum Verdict {
        /// Closing accepted: done.
        Accept = "accept",
        /// Closing sent back, with the reason: open again.
        SendBack = "send_back",
        /// Cancelled with the office's approval, with the reason.
        Cancel = "cancel",
    }
}

/// The office's `verdict` on node `node_id`.
pub async fn decide(
    db: &Db,
    ctx: &Context,
    node_id: i64,
    verdict: Verdict,
    reason: Option<String>,
) -> Result<NodeState, WorkplanError> {
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if verdict != Verdict::Accept
        && !reason
            .as_deref()
            .is_some_and(|r| (2..=500).contains(&r.chars().count()))
    {
        return Err(ReportError::Reason.into());
    }
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let head: Option<(i64, String, String)> = tx
                .fetch_optional(
                    query(
                        "SELECT plan_id, level, state FROM workplan_nodes WHERE id = $1 AND NOT removed",
                    )
                    .bind(node_id),
                )
                .await?;
            let (plan_id, level, state) = head.ok_or(WorkplanError::NotFound)?;
            if Level::parse(&level) == Some(Level::Item) {
                return Err(ReportError::Item.into());
            }
            let state = NodeState::parse(&state).unwrap_or(NodeState::Open);
            let next = match (verdict, state) {
                (_, NodeState::Done | NodeState::Cancelled) => {
                    return Err(ReportError::Closed.into())
                }
                (Verdict::Accept, NodeState::Closing) => NodeState::Done,
                (Verdict::SendBack, NodeState::Closing) => NodeState::Open,
                (Verdict::Accept | Verdict::SendBack, NodeState::Open) => {
                    return Err(ReportError::NotClosing.into())
                }
                (Verdict::Cancel, _) => NodeState::Cancelled,
            };
            let sql = match next {
                NodeState::Open => "UPDATE workplan_nodes SET state = $1, closed_on = NULL WHERE id = $2",
                _ => "UPDATE workplan_nodes SET state = $1 WHERE id = $2",
            };
            tx.execute(query(sql).bind(next.as_str()).bind(node_id)).await?;
            audit(tx, &ctx, "workplan.decided", plan_id, serde_json::json!({
                "node": node_id, "verdict": verdict.as_str(), "reason": reason,
            }))
            .await?;
            Ok::<_, WorkplanError>(next)
        })
    })
    .await
}

/// The node report `id` is on and the department that made it.
pub async fn report_head(db: &Db, id: i64) -> Result<Option<(i64, i64)>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT node_id, department_id FROM workplan_reports WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await)?)
}

async fn evidence_count(db: &Db, node_id: i64) -> Result<i64, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM workplan_evidence e JOIN workplan_reports r ON r.id = e.report_id \
         WHERE r.node_id = $1"
    )
    .bind(node_id)
    .fetch_one(&mut *c)
    .await)?)
}

/// Gives file `file` (checked and stored) as evidence with report
/// `report_id`, by `reporter` of the department that made it; answers
/// the node it is on.
pub async fn attach(
    db: &Db,
    ctx: &Context,
    reporter: &Reporter,
    report_id: i64,
    file: Stored,
) -> Result<i64, WorkplanError> {
    let ctx = ctx.clone();
    let departments = reporter.departments.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let head: Option<(i64, i64, i64, String)> = tx
                .fetch_optional(
                    query(
                        "SELECT n.plan_id, r.node_id, r.department_id, n.state FROM workplan_reports r \
                         JOIN workplan_nodes n ON n.id = r.node_id WHERE r.id = $1",
                    )
                    .bind(report_id),
                )
                .await?;
            let (plan_id, node_id, department, state) = head.ok_or(WorkplanError::NotFound)?;
            if !departments.contains(&department) {
                return Err(ReportError::NotYours.into());
            }
            if matches!(
                NodeState::parse(&state),
                Some(NodeState::Done | NodeState::Cancelled)
            ) {
                return Err(ReportError::Closed.into());
            }
            let id: i64 = tx
                .fetch_scalar(
                    query(
                        "INSERT INTO workplan_evidence (report_id, name, media_type, size, sha256) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(report_id)
                    .bind(&file.name)
                    .bind(&file.media_type)
                    .bind(file.size)
                    .bind(&file.sha256),
                )
                .await?;
            audit(tx, &ctx, "workplan.evidence_given", plan_id, serde_json::json!({
                "node": node_id, "report": report_id, "file": id, "name": file.name,
                "sha256": file.sha256,
            }))
            .await?;
            Ok::<_, WorkplanError>(node_id)
        })
    })
    .await
}

/// A report as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Report {
    pub id: i64,
    pub department_id: i64,
    pub period: String,
    pub progress: i64,
    pub text: String,
    pub problems: Option<String>,
    pub reason: Option<String>,
    #[serde(skip)]
    pub links: String,
    pub late: bool,
    pub reported_at: Timestamp,
    #[sqlx(skip)]
    pub evidence: Vec<Evidence>,
}

impl Report {
    /// Its links as evidence.
    pub fn links(&self) -> Vec<String> {
        serde_json::from_str(&self.links).unwrap_or_default()
    }
}

/// A file given as evidence.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Evidence {
    pub id: i64,
    pub report_id: i64,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    #[serde(skip)]
    pub sha256: String,
}

/// The reports on node `node_id`, newest first.
pub async fn of_node(db: &Db, node_id: i64) -> Result<Vec<Report>, StoreError> {
    let mut r = db.reader().await?;
    let mut reports: Vec<Report> = run!(r, |c| sqlx::query_as(
        "SELECT id, department_id, period, progress, text, problems, reason, links, late, \
         reported_at FROM workplan_reports WHERE node_id = $1 ORDER BY id DESC"
    )
    .bind(node_id)
    .fetch_all(&mut *c)
    .await)?;
    let files: Vec<Evidence> = run!(r, |c| sqlx::query_as(
        "SELECT e.id, e.report_id, e.name, e.media_type, e.size, e.sha256 \
         FROM workplan_evidence e JOIN workplan_reports r ON r.id = e.report_id \
         WHERE r.node_id = $1 ORDER BY e.id"
    )
    .bind(node_id)
    .fetch_all(&mut *c)
    .await)?;
    for f in files {
        if let Some(r) = reports.iter_mut().find(|r| r.id == f.report_id) {
            r.evidence.push(f);
        }
    }
    Ok(reports)
}

/// Evidence file `id`, with the node its report is on.
pub async fn evidence(db: &Db, id: i64) -> Result<Option<(Evidence, i64)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        e: Evidence,
        node_id: i64,
    }
    let mut r = db.reader().await?;
    let row: Option<Row> = run!(r, |c| sqlx::query_as(
        "SELECT e.id, e.report_id, e.name, e.media_type, e.size, e.sha256, r.node_id \
         FROM workplan_evidence e JOIN workplan_reports r ON r.id = e.report_id WHERE e.id = $1"
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(row.map(|r| (r.e, r.node_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> NewReport {
        NewReport {
            progress: 40,
            text: "完成需求调研".into(),
            ..NewReport::default()
        }
    }

    #[test]
    fn percentages_links_and_closing_are_checked() {
        let over = NewReport {
            progress: 101,
            ..report()
        };
        assert_eq!(over.check(0).err(), Some(ReportError::Percent));
        let bad = NewReport {
            links: vec!["javascript:alert(1)".into()],
            ..report()
        };
        assert_eq!(
            bad.check(0).err(),
            Some(ReportError::Link("javascript:alert(1)".into()))
        );
        let good = NewReport {
            links: vec![
                "BJ-2009-000123".into(),
                "/disclosure/documents/3".into(),
                "https://www.beijing.gov.cn/".into(),
            ],
            ..report()
        };
        assert!(good.check(0).is_ok());
        let close = NewReport {
            close: true,
            ..report()
        };
        assert_eq!(close.check(1).err(), Some(ReportError::CloseNeedsFull));
        let close = NewReport {
            close: true,
            progress: 100,
            ..report()
        };
        assert_eq!(
            close.clone().check(0).err(),
            Some(ReportError::CloseNeedsEvidence)
        );
        assert!(close.check(1).is_ok());
        assert!(!link_ok("//evil.example/x"));
    }
}
