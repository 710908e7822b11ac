//! The same problem reported twice. A new report is offered the open
//! requests of its sub-class nearby (Open311's list around a point); a
//! resident may follow one of them instead of reporting again
//! ([`follow_report`]), and a dispatcher may merge a new report or case
//! into an open case ([`merge`], and `filing.rs` for a report): the merged
//! case closes as 已并案 and its reporter, with anyone who followed it,
//! follows the case it went into and hears how that one ends. Nothing is dropped without a word.

use crate::coords::Point;
use crate::intake::PROCESS;
use egov_audit::Event;
use egov_cases::case::{by_number_in, get_in, Case};
use egov_cases::engine::{act_in, Taken};
use egov_cases::registry::Processes;
use egov_cases::CaseError;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError, Tx};

/// An open case near a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearby {
    pub number: String,
    pub state: String,
    pub description: String,
    pub received_at: Timestamp,
    pub distance_m: f64,
}

/// Open cases of `service_code` within `radius_m` of `point`, nearest
/// first, at most `limit`; `except` leaves one case out (the report's own).
pub async fn nearby(
    db: &Db,
    service_code: &str,
    point: Point,
    radius_m: f64,
    except: Option<&str>,
    limit: usize,
) -> Result<Vec<Nearby>, StoreError> {
    let (dlat, dlon) = crate::coords::degrees_around(point, radius_m);
    let zones = crate::coords::zones_around(point, radius_m).unwrap_or_default();
    let hint = match zones.is_empty() {
        true => "",
        false => crate::requests::by_zone(db),
    };
    let mut sql = format!(
        "SELECT c.number, c.state, r.description, r.received_at, r.lat, r.lon \
         FROM grid_reports r{hint} JOIN cases c ON c.id = r.case_id \
         WHERE r.service_code = $1 AND r.lat BETWEEN $2 AND $3 AND r.lon BETWEEN $4 AND $5 \
         AND c.closed_at IS NULL"
    );
    if !zones.is_empty() {
        let marks: Vec<String> = (0..zones.len()).map(|i| format!("${}", i + 6)).collect();
        sql.push_str(&format!(" AND r.zone IN ({})", marks.join(", ")));
    }
    sql.push_str(" LIMIT 500");
    let mut r = db.reader().await?;
    let rows: Vec<(String, String, String, Timestamp, f64, f64)> = run!(r, |c| {
        let mut q = sqlx::query_as(&sql)
            .bind(service_code)
            .bind(point.lat - dlat)
            .bind(point.lat + dlat)
            .bind(point.lon - dlon)
            .bind(point.lon + dlon);
        for z in &zones {
            q = q.bind(z);
        }
        q.fetch_all(&mut *c).await
    })?;
    let mut found: Vec<Nearby> = rows
        .into_iter()
        .filter(|(number, ..)| Some(number.as_str()) != except)
        .map(
            |(number, state, description, received_at, lat, lon)| Nearby {
                distance_m: point.distance_m(Point { lat, lon }),
                number,
                state,
                description,
                received_at,
            },
        )
        .filter(|n| n.distance_m <= radius_m)
        .collect();
    found.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    found.truncate(limit);
    Ok(found)
}

/// Why following or merging was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum DuplicateError {
    #[error("no grid case {0}")]
    NotFound(String),
    #[error("case {0} is closed")]
    Closed(String),
    #[error("a case cannot be merged into itself")]
    Itself,
    #[error("case {0} is past the steps where it may be merged")]
    TooLate(String),
    #[error("only the dispatchers of the case's command centre may merge it")]
    NotDispatcher,
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Process(#[from] egov_cases::registry::RegistryError),
    #[error(transparent)]
    Calendar(#[from] egov_calendar::LoadError),
}

/// The grid case with this number, read in the transaction.
async fn grid_case(tx: &mut Tx, number: &str) -> Result<Case, DuplicateError> {
    match by_number_in(tx, number).await {
        Ok(case) if case.process_id == PROCESS => Ok(case),
        Ok(_) | Err(CaseError::NotFound) => Err(DuplicateError::NotFound(number.to_owned())),
        Err(e) => Err(e.into()),
    }
}

/// The page a case is followed on: the follow link of its first report.
async fn follow_link(tx: &mut Tx, case_id: i64) -> Result<String, StoreError> {
    let token: Option<String> = tx
        .fetch_optional_scalar(
            query("SELECT token FROM grid_reports WHERE case_id = $1 ORDER BY id LIMIT 1")
                .bind(case_id),
        )
        .await?;
    Ok(token.map_or_else(
        || "/grid/report".to_owned(),
        |t| format!("/grid/follow/{t}"),
    ))
}

async fn add_follower(
    tx: &mut Tx,
    case_id: i64,
    user_id: i64,
    link: &str,
) -> Result<(), StoreError> {
    tx.execute(
        query(
            "INSERT INTO case_followers (case_id, user_id, link, since) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (case_id, user_id) DO NOTHING",
        )
        .bind(case_id)
        .bind(user_id)
        .bind(link)
        .bind(time::now()),
    )
    .await?;
    Ok(())
}

/// Makes `user_id` a follower of report `id`'s request (once; again is no
/// change): of its case once filed, else of the report itself, whose
/// followers follow its case when it is decided. Answers the page it is
/// followed on.
pub async fn follow_report(
    db: &Db,
    ctx: &Context,
    id: i64,
    user_id: i64,
) -> Result<String, DuplicateError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let report: Option<(String, Option<i64>, Option<i64>)> = tx
                .fetch_optional(
                    query("SELECT token, case_id, user_id FROM grid_reports WHERE id = $1")
                        .bind(id),
                )
                .await?;
            let Some((token, case_id, reporter)) = report else {
                return Err(DuplicateError::NotFound(id.to_string()));
            };
            let link = format!("/grid/follow/{token}");
            match case_id {
                Some(case_id) => {
                    let case = get_in(tx, case_id).await?;
                    if !case.is_open() {
                        return Err(DuplicateError::Closed(case.number));
                    }
                    if case.applicant_id != Some(user_id) {
                        add_follower(tx, case.id, user_id, &link).await?;
                    }
                }
                None if reporter != Some(user_id) => {
                    tx.execute(
                        query(
                            "INSERT INTO grid_report_followers (report_id, user_id, since) \
                             VALUES ($1, $2, $3) ON CONFLICT (report_id, user_id) DO NOTHING",
                        )
                        .bind(id)
                        .bind(user_id)
                        .bind(time::now()),
                    )
                    .await?;
                }
                None => {}
            }
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "grid.followed",
                    object_type: "grid_report",
                    object_id: &id.to_string(),
                    detail: serde_json::json!({ "user": user_id }),
                },
            )
            .await?;
            Ok(link)
        })
    })
    .await
}

/// Merges open case `child` into open case `parent`, on the word of a
/// dispatcher acting for `department_id` (the child's command centre).
pub async fn merge(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    child: &str,
    parent: &str,
    department_id: i64,
    reason: &str,
) -> Result<Case, DuplicateError> {
    if child == parent {
        return Err(DuplicateError::Itself);
    }
    let calendar = egov_calendar::load_calendar(db).await?;
    // The merged case's own version of the process says where it may be
    // merged (a case never changes version).
    let version = match egov_cases::case::by_number(db, child).await {
        Ok(case) if case.process_id == PROCESS => case.process_version,
        Ok(_) | Err(CaseError::NotFound) => return Err(DuplicateError::NotFound(child.to_owned())),
        Err(e) => return Err(e.into()),
    };
    let def = processes.get(db, PROCESS, version as u32).await?;
    let (ctx, child, parent, reason) = (
        ctx.clone(),
        child.to_owned(),
        parent.to_owned(),
        reason.trim().to_owned(),
    );
    db.write(move |tx| {
        Box::pin(async move {
            let from = grid_case(tx, &child).await?;
            merge_in(
                tx,
                &ctx,
                &calendar,
                &def,
                from,
                &parent,
                department_id,
                &reason,
            )
            .await
        })
    })
    .await
}

/// Merges case `from` into open case `parent` inside the caller's
/// transaction, on the word of a dispatcher acting for `department_id`
/// (`from`'s command centre): its reporter and followers follow `parent`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn merge_in(
    tx: &mut Tx,
    ctx: &Context,
    calendar: &egov_calendar::WorkCalendar,
    def: &egov_cases::definition::ProcessDefinition,
    from: Case,
    parent: &str,
    department_id: i64,
    reason: &str,
) -> Result<Case, DuplicateError> {
    let into = grid_case(tx, parent).await?;
    if from.id == into.id {
        return Err(DuplicateError::Itself);
    }
    if from.department_id != department_id {
        return Err(DuplicateError::NotDispatcher);
    }
    if !into.is_open() {
        return Err(DuplicateError::Closed(parent.to_owned()));
    }
    if !def
        .action("merge")
        .is_some_and(|a| a.from.contains(&from.state))
    {
        return Err(DuplicateError::TooLate(from.number));
    }
    let reason = match reason.trim() {
        "" => format!("与案件 {parent} 为同一问题，合并办理"),
        r => r.to_owned(),
    };
    let taken = Taken {
        case_id: from.id,
        expected_version: from.version,
        acting: egov_cases::acting::Acting::Platform,
        action_id: "merge",
        fields: serde_json::json!({ "into": parent, "reason": reason }),
    };
    let merged = act_in(tx, ctx, calendar, def, taken).await?;
    // Everyone who would have heard of the merged case now hears of the one
    // it went into.
    let link = follow_link(tx, into.id).await?;
    let mut people: Vec<i64> = tx
        .fetch_all::<(i64,)>(
            query("SELECT user_id FROM case_followers WHERE case_id = $1").bind(from.id),
        )
        .await?
        .into_iter()
        .map(|(u,)| u)
        .collect();
    people.extend(from.applicant_id);
    for user in people.into_iter().filter(|u| Some(*u) != into.applicant_id) {
        add_follower(tx, into.id, user, &link).await?;
    }
    egov_audit::append(
        tx,
        ctx,
        Event {
            action: "grid.merged",
            object_type: "case",
            object_id: &into.number,
            detail: serde_json::json!({ "merged": from.number, "reason": reason }),
        },
    )
    .await?;
    Ok(merged)
}
