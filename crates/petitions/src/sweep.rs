//! A petition whose petitioner did not ask for a review (复查) within 30
//! days of the answer, or for a re-review (复核) within 30 days of the
//! review, is concluded (办结): the platform records it, as the process's
//! `conclude` step, when that time has passed. Run hourly by `egov serve`.

use crate::PROCESS;
use egov_calendar::CalendarCache;
use egov_cases::lapse::{self, Lapse, LapseError};
use egov_cases::registry::Processes;
use egov_kernel::Context;
use egov_store::Db;

/// The two waits that lapse into a conclusion.
const WAITS: [Lapse<'static>; 2] = [
    Lapse {
        process: PROCESS,
        state: "answered",
        waited: "request_review",
        take: "conclude",
    },
    Lapse {
        process: PROCESS,
        state: "reviewed",
        waited: "request_recheck",
        take: "conclude",
    },
];

/// Concludes every petition whose time to disagree has passed; answers
/// how many.
pub async fn conclude_undisputed(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    calendar: &CalendarCache,
) -> Result<usize, LapseError> {
    let mut concluded = 0;
    for wait in WAITS {
        concluded += lapse::sweep(db, ctx, processes, calendar, wait).await?;
    }
    Ok(concluded)
}
