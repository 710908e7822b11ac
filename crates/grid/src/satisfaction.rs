//! The reporter's rating of a closed case (满意度), where the 12345
//! hotline's satisfaction rate comes from. A reporter with an account rates
//! on the case page like any applicant; one without rates by the follow
//! link of their report; a caller is asked on the call-back (回访) and the
//! command centre's dispatcher records the answer. Each way is the case
//! engine's one rating, marked with how it came.

use crate::intake::PROCESS;
use egov_cases::rating::{rate, Rater, Rating};
use egov_cases::registry::Processes;
use egov_cases::{Case, CaseError};
use egov_kernel::Context;
use egov_store::Db;

/// Why a rating was not taken; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum SatisfactionError {
    #[error("no grid case for that link")]
    NotFound,
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Calendar(#[from] egov_calendar::LoadError),
}

/// The grid case a follow link leads to, once its report has been opened.
pub async fn case_of_link(db: &Db, token: &str) -> Result<Option<Case>, CaseError> {
    let Some(number) = crate::requests::by_token(db, token)
        .await?
        .and_then(|t| t.case_number)
    else {
        return Ok(None);
    };
    match egov_cases::case::by_number(db, &number).await {
        Ok(case) if case.process_id == PROCESS => Ok(Some(case)),
        Ok(_) | Err(CaseError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Rates the case behind follow link `token`, on the word of whoever holds
/// it.
pub async fn rate_by_link(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    token: &str,
    grade: i16,
    comment: &str,
) -> Result<Rating, SatisfactionError> {
    let case = case_of_link(db, token)
        .await?
        .ok_or(SatisfactionError::NotFound)?;
    rated(db, ctx, processes, &case, Rater::Link, grade, comment).await
}

/// Records the rating a caller gave on the call-back; staff member
/// `recorded_by` (whom the caller of this function has checked) enters it.
pub async fn record_callback(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    case: &Case,
    recorded_by: i64,
    grade: i16,
    comment: &str,
) -> Result<Rating, SatisfactionError> {
    let rater = Rater::Callback { recorded_by };
    rated(db, ctx, processes, case, rater, grade, comment).await
}

async fn rated(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    case: &Case,
    rater: Rater,
    grade: i16,
    comment: &str,
) -> Result<Rating, SatisfactionError> {
    let calendar = egov_calendar::load_calendar(db).await?;
    let (rating, _followup) = rate(
        db, ctx, &calendar, processes, case.id, rater, grade, comment,
    )
    .await?;
    Ok(rating)
}
