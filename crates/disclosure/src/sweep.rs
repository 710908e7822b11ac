//! A request whose applicant did not clarify it within the time the
//! process gives counts as given up (Art. 30): the platform records it,
//! as the process's `give_up` step, when that time has passed. Run hourly
//! by `egov serve`.

use crate::PROCESS;
use egov_calendar::CalendarCache;
use egov_cases::lapse::{self, Lapse, LapseError};
use egov_cases::registry::Processes;
use egov_kernel::Context;
use egov_store::Db;

/// A request waiting on its clarification (`clarify`, whose `within` is
/// the time given) is given up (`give_up`).
const UNCLARIFIED: Lapse<'static> = Lapse {
    process: PROCESS,
    state: "correction",
    waited: "clarify",
    take: "give_up",
};

/// Records as given up every request waiting on a clarification whose time
/// has passed; answers how many.
pub async fn give_up_unclarified(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    calendar: &CalendarCache,
) -> Result<usize, LapseError> {
    lapse::sweep(db, ctx, processes, calendar, UNCLARIFIED).await
}
