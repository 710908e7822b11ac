//! The command centre's decision on a report (立案 and the rest). A report
//! taken in is a row of `grid_reports` and waits on the centre's list (待立案)
//! until a dispatcher of its district's centre files it, refuses it (不予立案),
//! finds it is not a city-management matter (非职责范围) or merges it into an
//! open case (并案); a signed-in reporter may withdraw it first. Whichever is
//! decided opens the report's case (as of when the report came in, so the
//! filing step's clock ran from then) and takes the step, in one
//! transaction: the case engine then tells the reporter, the figures count
//! the step, and a report is decided once whoever clicks first.
//!
//! Taking reports in is the only write at the rate they arrive; a case per
//! report, which costs the writer several times what the report's row does,
//! is written at the pace dispatchers decide.

use crate::duplicates::{self, DuplicateError};
use crate::intake::{command_centre, Channel, PROCESS};
use crate::layers::{grid, Grid, LayersError};
use crate::routing::store::CaseRouting;
use egov_audit::Event;
use egov_cases::acting::Acting;
use egov_cases::attachments::{record_all, Recorded, Stored};
use egov_cases::definition::ProcessDefinition;
use egov_cases::engine::{act_in, prepare, NewCase, Taken};
use egov_cases::opening::{open, Opening};
use egov_cases::registry::Processes;
use egov_cases::{Case, CaseError};
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError};
use std::sync::Arc;

/// What the centre (or the reporter) decides on a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// 立案: the case goes on to dispatch.
    File,
    /// 不予立案, with the reasons the reporter is told.
    Refuse { reasons: String },
    /// 非职责范围, saying who is responsible instead.
    NotOurs { reasons: String },
    /// 并案 into open case `into`: the reporter follows that case.
    Merge { into: String, reason: String },
    /// 撤回, by the reporter who filed it signed in.
    Withdraw { reason: String },
}

impl Decision {
    /// The grid process's action the decision takes.
    pub fn action(&self) -> &'static str {
        match self {
            Decision::File => "register",
            Decision::Refuse { .. } => "reject",
            Decision::NotOurs { .. } => "not_ours",
            Decision::Merge { .. } => "merge",
            Decision::Withdraw { .. } => "withdraw",
        }
    }

    fn fields(&self) -> serde_json::Value {
        match self {
            Decision::File | Decision::Merge { .. } => serde_json::json!({}),
            Decision::Refuse { reasons } | Decision::NotOurs { reasons } => {
                serde_json::json!({ "reasons": reasons.trim() })
            }
            Decision::Withdraw { reason } => serde_json::json!({ "reason": reason.trim() }),
        }
    }
}

/// Who decides: a dispatcher acting for a department, or the reporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider {
    Dispatcher { department_id: i64 },
    Reporter { user_id: i64 },
}

/// Why a decision was not taken; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum FilingError {
    #[error("no report {0}")]
    NotFound(i64),
    #[error("the report has been decided already")]
    Decided,
    #[error("only the dispatchers of the report's command centre may decide on it")]
    NotDispatcher,
    #[error("only whoever reported it may withdraw it")]
    NotReporter,
    #[error("no command centre for district {0}")]
    NoCentre(String),
    #[error(transparent)]
    Duplicate(#[from] DuplicateError),
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Layers(#[from] LayersError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
    #[error(transparent)]
    Calendar(#[from] egov_calendar::LoadError),
    #[error(transparent)]
    Process(#[from] egov_cases::registry::RegistryError),
    #[error(transparent)]
    Routing(#[from] crate::routing::store::RoutingError),
}

/// A report as the centre decides on it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Report {
    pub id: i64,
    pub token: String,
    pub channel: Channel,
    pub service_code: String,
    pub lat: f64,
    pub lon: f64,
    pub district: String,
    pub street: Option<String>,
    pub cell: Option<String>,
    pub address: Option<String>,
    pub description: String,
    pub user_id: Option<i64>,
    pub received_at: Timestamp,
    /// The case it became, once decided.
    pub case_number: Option<String>,
}

/// The report with this id.
pub async fn report(db: &Db, id: i64) -> Result<Option<Report>, StoreError> {
    let mut r = db.reader().await?;
    let found: Option<Report> = run!(r, |c| sqlx::query_as(
        "SELECT r.id, r.token, r.channel, r.service_code, r.lat, r.lon, r.district, r.street, \
         r.cell, r.address, r.description, r.user_id, r.received_at, c.number AS case_number \
         FROM grid_reports r LEFT JOIN cases c ON c.id = r.case_id WHERE r.id = $1"
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(found)
}

/// The report's photos as the case records them.
async fn photos(db: &Db, report: i64) -> Result<Vec<Stored>, StoreError> {
    let mut r = db.reader().await?;
    let rows: Vec<(i32, String, i64)> = run!(r, |c| sqlx::query_as(
        "SELECT position, sha256, size FROM grid_photos WHERE report_id = $1 ORDER BY position"
    )
    .bind(report)
    .fetch_all(&mut *c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(position, sha256, size)| Stored {
            name: format!("现场照片{}.jpg", position + 1),
            media_type: "image/jpeg".to_owned(),
            size,
            sha256,
        })
        .collect())
}

/// Decides on report `id`: opens its case and takes the decision's step,
/// in one transaction with the audit records; answers the case as it
/// stands after the step.
pub async fn decide(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    id: i64,
    decider: Decider,
    decision: Decision,
) -> Result<Case, FilingError> {
    // The centre decides; a reporter only withdraws.
    match (decider, &decision) {
        (Decider::Reporter { .. }, Decision::Withdraw { .. }) => {}
        (Decider::Reporter { .. }, _) => return Err(FilingError::NotDispatcher),
        (Decider::Dispatcher { .. }, Decision::Withdraw { .. }) => {
            return Err(FilingError::NotReporter)
        }
        (Decider::Dispatcher { .. }, _) => {}
    }
    let report = report(db, id).await?.ok_or(FilingError::NotFound(id))?;
    if report.case_number.is_some() {
        return Err(FilingError::Decided);
    }
    let directory = egov_org::directory(db).await?;
    let centre = command_centre(&directory, &report.district)
        .ok_or_else(|| FilingError::NoCentre(report.district.clone()))?;
    let acting = match decider {
        Decider::Dispatcher { department_id } if department_id == centre => {
            Acting::Dispatcher { department_id }
        }
        Decider::Dispatcher { .. } => return Err(FilingError::NotDispatcher),
        Decider::Reporter { user_id } if report.user_id == Some(user_id) => Acting::Applicant {
            user_id,
            enterprise_id: None,
        },
        Decider::Reporter { .. } => return Err(FilingError::NotReporter),
    };
    let grid = grid(db).await?;
    let calendar = egov_calendar::load_calendar(db).await?;
    let def = processes.latest(db, PROCESS).await?;
    let routed = route(&grid, crate::routing::store::routing(db).await?, &report).await;
    let opening = opening(&grid, &calendar, &def, centre, &report)?;
    let photos = photos(db, report.id).await?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let case = open(tx, &ctx, opening).await?;
            // Claimed by the statement that ties it: whoever decided first
            // has it, and this transaction rolls back.
            let tied = tx
                .execute(
                    query(
                        "UPDATE grid_reports SET opened_at = $1, case_id = $2, routed_to = $3, \
                         routing_rule = $4, suggested = $5, suggested_confidence = $6 \
                         WHERE id = $7 AND case_id IS NULL",
                    )
                    .bind(time::now())
                    .bind(case.id)
                    .bind(routed.routed_to)
                    .bind(routed.routing_rule)
                    .bind(routed.suggested)
                    .bind(routed.suggested_confidence)
                    .bind(report.id),
                )
                .await?;
            if tied != 1 {
                return Err(FilingError::Decided);
            }
            record_all(
                tx,
                &ctx,
                &[Recorded {
                    case_id: case.id,
                    case_number: &case.number,
                    files: &photos,
                    uploaded_by: report.user_id,
                }],
                false,
            )
            .await?;
            // Those who followed the report follow its case.
            tx.execute(
                query(
                    "INSERT INTO case_followers (case_id, user_id, link, since) \
                     SELECT $1, user_id, $2, since FROM grid_report_followers \
                     WHERE report_id = $3 AND user_id <> $4 \
                     ON CONFLICT (case_id, user_id) DO NOTHING",
                )
                .bind(case.id)
                .bind(format!("/grid/follow/{}", report.token))
                .bind(report.id)
                .bind(report.user_id.unwrap_or(0)),
            )
            .await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "grid.report_decided",
                    object_type: "case",
                    object_id: &case.number,
                    detail: serde_json::json!({
                        "report": report.id, "decision": decision.action(),
                    }),
                },
            )
            .await?;
            let case = match &decision {
                Decision::Merge { into, reason } => {
                    duplicates::merge_in(tx, &ctx, &calendar, &def, case, into, centre, reason)
                        .await?
                }
                _ => {
                    let taken = Taken {
                        case_id: case.id,
                        expected_version: case.version,
                        acting,
                        action_id: decision.action(),
                        fields: decision.fields(),
                    };
                    act_in(tx, &ctx, &calendar, &def, taken).await?
                }
            };
            Ok(case)
        })
    })
    .await
}

/// The report's case, ready to open: at the district's command centre, as
/// of when the report came in, with the sub-class's handling deadline.
/// Nobody at the centre is told: the centre is deciding on it.
fn opening(
    grid: &Grid,
    calendar: &egov_calendar::WorkCalendar,
    def: &ProcessDefinition,
    centre: i64,
    report: &Report,
) -> Result<Opening, CaseError> {
    let service = grid.classes.service(&report.service_code);
    let name = service.map_or(report.service_code.as_str(), |s| s.sub.name.as_str());
    let title = format!("{name}：{}", excerpt(&report.description, 30));
    let mut new = NewCase::new(def, centre, &title);
    new.applicant_id = report.user_id;
    new.received_at = Some(report.received_at);
    let mut data = serde_json::json!({
        "category": name,
        "description": report.description,
        "service_code": report.service_code,
        "channel": report.channel.as_str(),
    });
    if let Some(cell) = &report.cell {
        data["cell"] = cell.clone().into();
    }
    if let Some(address) = &report.address {
        data["address"] = address.clone().into();
    }
    new.data = data;
    new.location =
        egov_cases::case::Location::new(report.lat, report.lon, report.address.clone()).ok();
    if let Some(s) = service {
        new.deadlines.insert(
            "handling".to_owned(),
            s.sub.deadline.working_hours(working_hours_a_day(calendar)),
        );
    }
    Ok(prepare(calendar, Acting::Platform, new)?.without_staff_notice())
}

/// Routes a report: where the rules send it and what the classifier
/// suggests, as stored with it when it is decided on. Cutting its
/// description into words is CPU work, done off the executor.
pub async fn route(
    grid: &Arc<Grid>,
    model: Arc<crate::routing::store::Routing>,
    report: &Report,
) -> CaseRouting {
    let area = report
        .cell
        .clone()
        .unwrap_or_else(|| report.district.clone());
    let (service, description) = (report.service_code.clone(), report.description.clone());
    let grid = grid.clone();
    tokio::task::spawn_blocking(move || {
        let destination = grid
            .routing
            .destination(&grid.classes, &service, &area, &description);
        let suggestion = model.suggest(&service, &description);
        CaseRouting {
            routed_to: destination
                .as_ref()
                .map(|d| d.department.as_str().to_owned()),
            routing_rule: destination.and_then(|d| d.rule.map(|r| r.name.clone())),
            suggested_confidence: suggestion.as_ref().map(|s| f64::from(s.confidence)),
            suggested: suggestion.map(|s| s.department),
        }
    })
    .await
    .expect("routing does not panic")
}

/// The length of a working day in hours, from the calendar's office hours.
fn working_hours_a_day(cal: &egov_calendar::WorkCalendar) -> u32 {
    let secs: i64 = cal
        .working_hours()
        .periods
        .iter()
        .map(|(a, b)| (*b - *a).num_seconds())
        .sum();
    u32::try_from(secs / 3600).unwrap_or(8).max(1)
}

/// The first `n` characters of `text`, with an ellipsis if it was longer.
fn excerpt(text: &str, n: usize) -> String {
    let mut out: String = text.chars().take(n).collect();
    if text.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_decision_takes_its_step_with_what_it_says() {
        let refuse = Decision::Refuse {
            reasons: " 重复 ".into(),
        };
        assert_eq!(refuse.action(), "reject");
        assert_eq!(refuse.fields(), serde_json::json!({ "reasons": "重复" }));
        assert_eq!(Decision::File.action(), "register");
        let withdraw = Decision::Withdraw {
            reason: "已自行解决".into(),
        };
        assert_eq!(withdraw.fields()["reason"], "已自行解决");
    }

    #[test]
    fn excerpts_end_with_an_ellipsis_only_when_cut() {
        assert_eq!(excerpt("井盖", 30), "井盖");
        assert_eq!(excerpt("一二三四", 2), "一二…");
    }
}
