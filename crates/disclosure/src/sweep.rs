//! A request whose applicant did not clarify it within the time the
//! process gives counts as given up (Art. 30): the platform records it,
//! as the process's `give_up` step, when that time has passed. Run hourly
//! by `egov serve`.

use crate::PROCESS;
use egov_calendar::CalendarCache;
use egov_cases::acting::Acting;
use egov_cases::engine::act;
use egov_cases::registry::Processes;
use egov_cases::CaseError;
use egov_kernel::time::{self, beijing, from_beijing, Timestamp};
use egov_kernel::Context;
use egov_store::{run, Db};

/// The action a clarification is made by, whose `within` is the time given.
const CLARIFY: &str = "clarify";
const GIVE_UP: &str = "give_up";

/// Why the sweep stopped; what it recorded before stays recorded.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Process(#[from] egov_cases::RegistryError),
    #[error("reading the working-day calendar")]
    Calendar(#[from] egov_calendar::LoadError),
    #[error(transparent)]
    Store(#[from] egov_store::StoreError),
}

impl From<sqlx::Error> for SweepError {
    fn from(e: sqlx::Error) -> Self {
        SweepError::Store(e.into())
    }
}

/// Records as given up every request waiting on a clarification whose time
/// has passed; answers how many.
pub async fn give_up_unclarified(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    calendar: &CalendarCache,
) -> Result<usize, SweepError> {
    let mut r = db.reader().await?;
    let waiting: Vec<(i64, i64, String, i32, Timestamp)> = run!(r, |c| sqlx::query_as(
        "SELECT id, version, process_id, process_version, state_entered_at FROM cases \
         WHERE process_id = $1 AND state = 'correction' AND closed_at IS NULL ORDER BY id"
    )
    .bind(PROCESS)
    .fetch_all(&mut *c)
    .await)?;
    drop(r);
    let calendar = calendar.get(db).await?;
    let now = time::now();
    let mut given_up = 0;
    for (case_id, version, process, process_version, entered) in waiting {
        let def = processes.get(db, &process, process_version as u32).await?;
        let Some(within) = def.action(CLARIFY).and_then(|a| a.within.clone()) else {
            continue;
        };
        let ends = from_beijing(
            calendar
                .due(beijing(entered), within.amount, within.unit())
                .at,
        );
        if now <= ends {
            continue;
        }
        match act(
            db,
            ctx,
            &calendar,
            &def,
            case_id,
            version,
            Acting::Platform,
            GIVE_UP,
            serde_json::json!({}),
        )
        .await
        {
            Ok(_) => given_up += 1,
            // Clarified or withdrawn meanwhile: nothing to give up.
            Err(CaseError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(given_up)
}
