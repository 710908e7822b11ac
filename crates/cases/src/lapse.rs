//! A step the platform takes when someone's time to act has passed: a case
//! waiting in a state on an action that may be taken only `within` a time
//! (an applicant's clarification, a petitioner's request for a review) is
//! moved on by the platform's own action once that time is over (given up,
//! concluded). Run hourly by `egov serve` for the processes that have
//! such waits.

use crate::acting::Acting;
use crate::engine::act;
use crate::registry::Processes;
use crate::CaseError;
use egov_calendar::CalendarCache;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{run, Db};

/// A wait that lapses: cases of `process` in `state`, waiting on action
/// `waited` (whose `within` is the time), moved on by action `take`.
#[derive(Debug, Clone, Copy)]
pub struct Lapse<'a> {
    pub process: &'a str,
    pub state: &'a str,
    pub waited: &'a str,
    pub take: &'a str,
}

/// Why a sweep stopped; what it recorded before stays recorded.
#[derive(Debug, thiserror::Error)]
pub enum LapseError {
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Process(#[from] crate::RegistryError),
    #[error("reading the working-day calendar")]
    Calendar(#[from] egov_calendar::LoadError),
    #[error(transparent)]
    Store(#[from] egov_store::StoreError),
}

impl From<sqlx::Error> for LapseError {
    fn from(e: sqlx::Error) -> Self {
        LapseError::Store(e.into())
    }
}

/// Takes `lapse.take` on every case whose time to take `lapse.waited` has
/// passed; answers how many.
pub async fn sweep(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    calendar: &CalendarCache,
    lapse: Lapse<'_>,
) -> Result<usize, LapseError> {
    let mut r = db.reader().await?;
    let waiting: Vec<(i64, i32)> = run!(r, |c| sqlx::query_as(
        "SELECT id, process_version FROM cases \
         WHERE process_id = $1 AND state = $2 AND closed_at IS NULL ORDER BY id"
    )
    .bind(lapse.process)
    .bind(lapse.state)
    .fetch_all(&mut *c)
    .await)?;
    drop(r);
    let calendar = calendar.get(db).await?;
    let now: Timestamp = time::now();
    let mut taken = 0;
    for (case_id, process_version) in waiting {
        let def = processes
            .get(db, lapse.process, process_version as u32)
            .await?;
        let Some(waited) = def.action(lapse.waited) else {
            continue;
        };
        let case = crate::case::get(db, case_id).await?;
        match crate::plan::time_ends(waited, &case, &calendar) {
            Some(ends) if now > ends => {}
            _ => continue,
        }
        match act(
            db,
            ctx,
            &calendar,
            &def,
            case_id,
            case.version,
            Acting::Platform,
            lapse.take,
            serde_json::json!({}),
        )
        .await
        {
            Ok(_) => taken += 1,
            // Acted on meanwhile: nothing lapsed.
            Err(CaseError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(taken)
}
