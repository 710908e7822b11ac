//! "Not fixed" (未解决): within the classes' reopen time after a case was
//! closed as fixed, its reporter (or someone following it) may say it was
//! not. A new case, the old one's follow-up, goes straight back to the
//! department that handled it, whose handlers are told at once; it keeps
//! the place and kind of the old, and reads as a request of its own.

use crate::intake::PROCESS;
use crate::layers::{grid, LayersError};
use egov_audit::Event;
use egov_cases::acting::Acting;
use egov_cases::case::Case;
use egov_cases::engine::{act_in, open, prepare, NewCase, Taken};
use egov_cases::registry::Processes;
use egov_cases::CaseError;
use egov_kernel::time;
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError};

/// The longest reason a reporter gives.
pub const REASON_LIMIT: usize = 2000;

/// Why a case was not sent back; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum ReopenError {
    #[error("no grid case {0}")]
    NotFound(String),
    #[error("only a case closed as fixed can be reported not fixed")]
    NotClosedFixed,
    #[error("the {0} days to report it not fixed have passed")]
    TooLate(u32),
    #[error("it has been reported not fixed already")]
    Again,
    #[error("only its reporters may say it was not fixed")]
    NotReporter,
    #[error("say what is still wrong (at most {REASON_LIMIT} characters)")]
    Reason,
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Layers(#[from] LayersError),
    #[error(transparent)]
    Process(#[from] egov_cases::registry::RegistryError),
    #[error(transparent)]
    Calendar(#[from] egov_calendar::LoadError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
}

/// Who says a case was not fixed, and what shows they reported it.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    /// A signed-in person who reported the case or follows it.
    Account(i64),
    /// Whoever holds the follow link (the token) of one of its reports: a
    /// caller to 12345 or a user of an Open311 app has no account here.
    Link(&'a str),
}

impl By<'_> {
    fn user_id(self) -> Option<i64> {
        match self {
            By::Account(id) => Some(id),
            By::Link(_) => None,
        }
    }
}

/// Whether `by` reported case `case` (or follows it).
pub async fn reported(db: &Db, case: &Case, by: By<'_>) -> Result<bool, StoreError> {
    match by {
        By::Account(user_id) => is_reporter(db, case, user_id).await,
        By::Link(token) => {
            let found = crate::requests::by_token(db, token).await?;
            Ok(found.and_then(|t| t.case_number).as_ref() == Some(&case.number))
        }
    }
}

/// Whether `user_id` reported case `case` or follows it.
pub async fn is_reporter(db: &Db, case: &Case, user_id: i64) -> Result<bool, StoreError> {
    if case.applicant_id == Some(user_id) {
        return Ok(true);
    }
    let mut r = db.reader().await?;
    let found: Option<(i64,)> = run!(r, |c| sqlx::query_as(
        "SELECT user_id FROM case_followers WHERE case_id = $1 AND user_id = $2"
    )
    .bind(case.id)
    .bind(user_id)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(found.is_some())
}

/// Whether the case may still be reported not fixed (closed as fixed,
/// within the reopen time, not sent back before), whoever asks.
pub async fn open_to_reopen(db: &Db, case: &Case) -> Result<Result<(), ReopenError>, ReopenError> {
    if case.process_id != PROCESS || case.state != "closed" {
        return Ok(Err(ReopenError::NotClosedFixed));
    }
    let days = grid(db).await?.classes.reopen_days;
    let closed = case.closed_at.unwrap_or(case.state_entered_at);
    if time::now() - closed > chrono::Duration::days(i64::from(days)) {
        return Ok(Err(ReopenError::TooLate(days)));
    }
    let mut r = db.reader().await?;
    let again: Option<(i64,)> = run!(r, |c| sqlx::query_as(
        "SELECT id FROM cases WHERE parent_id = $1 AND process_id = $2 LIMIT 1"
    )
    .bind(case.id)
    .bind(PROCESS)
    .fetch_optional(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    Ok(match again {
        Some(_) => Err(ReopenError::Again),
        None => Ok(()),
    })
}

/// Sends closed case `number` back to the department that handled it, on
/// the word of its reporter; answers the new case and its token.
pub async fn reopen(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    number: &str,
    by: By<'_>,
    reason: &str,
) -> Result<(Case, String), ReopenError> {
    let reason = reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > REASON_LIMIT {
        return Err(ReopenError::Reason);
    }
    let old = match egov_cases::case::by_number(db, number).await {
        Ok(c) if c.process_id == PROCESS => c,
        Ok(_) | Err(CaseError::NotFound) => return Err(ReopenError::NotFound(number.to_owned())),
        Err(e) => return Err(e.into()),
    };
    if !reported(db, &old, by).await? {
        return Err(ReopenError::NotReporter);
    }
    open_to_reopen(db, &old).await??;
    let directory = egov_org::directory(db).await?;
    let handled_by = directory
        .department(old.handling_department())
        .map(|d| d.code.as_str().to_owned())
        .ok_or(ReopenError::NotClosedFixed)?;
    let calendar = egov_calendar::load_calendar(db).await?;
    let def = processes.latest(db, PROCESS).await?;
    let category = old.data["category"].as_str().unwrap_or("城市管理问题");
    let mut new = NewCase::new(
        &def,
        old.department_id,
        &format!("{category}（反映未解决）：{}", old.number),
    );
    let user_id = by.user_id();
    new.applicant_id = user_id;
    new.parent_id = Some(old.id);
    new.location = old.location.clone();
    let mut data = old.data.clone();
    data["description"] = reason.clone().into();
    data["reopened_from"] = old.number.clone().into();
    new.data = data;
    new.deadlines = old.deadlines.clone();
    let opening = prepare(&calendar, Acting::Platform, new)?;
    let token = crate::intake::token();
    let (ctx, old_id, old_number, token_out) =
        (ctx.clone(), old.id, old.number.clone(), token.clone());
    let case = db
        .write(move |tx| {
            Box::pin(async move {
                let case = open(tx, &ctx, opening).await?;
                let taken = Taken {
                    case_id: case.id,
                    expected_version: case.version,
                    acting: Acting::Platform,
                    action_id: "reopen",
                    fields: serde_json::json!({ "department": handled_by, "reason": reason }),
                };
                let case = act_in(tx, &ctx, &calendar, &def, taken).await?;
                // A request of its own, in the old one's place and kind.
                let now = time::now();
                tx.execute(
                    query(
                        "INSERT INTO grid_reports (token, channel, service_code, classes_version, \
                         lat, lon, district, street, community, cell, address, description, \
                         attributes, reporter, media_url, api_key_id, user_id, received_at, \
                         opened_at, case_id, zone) \
                         SELECT $1, channel, service_code, classes_version, lat, lon, district, \
                         street, community, cell, address, $2, '{}', '{}', NULL, NULL, $3, $4, $4, $5, \
                         zone \
                         FROM grid_reports WHERE case_id = $6 ORDER BY id LIMIT 1",
                    )
                    .bind(&token)
                    .bind(&reason)
                    .bind(user_id)
                    .bind(now)
                    .bind(case.id)
                    .bind(old_id),
                )
                .await?;
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "grid.reopened",
                        object_type: "case",
                        object_id: &old_number,
                        detail: serde_json::json!({
                            "case": case.number, "by": user_id,
                            "via": if user_id.is_some() { "account" } else { "link" },
                        }),
                    },
                )
                .await?;
                Ok::<_, CaseError>(case)
            })
        })
        .await?;
    Ok((case, token_out))
}
