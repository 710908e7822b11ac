//! A writer without an account follows their letter by its link (a
//! 256-bit secret; only its digest is stored): where it has got to, the
//! answer once given, and a rating of it.

use crate::reading::{self, Letter};
use crate::writing::WritingError;
use egov_calendar::CalendarCache;
use egov_cases::case::{get, timeline, Case};
use egov_cases::rating::{self, Rater, Rating};
use egov_cases::registry::Processes;
use egov_cases::CaseError;
use egov_kernel::Context;
use egov_store::Db;

/// The letter behind a follow link, with its case and answer.
#[derive(Debug, Clone)]
pub struct Followed {
    pub letter: Letter,
    pub case: Case,
    /// The answer, or the reason it was declined, once given.
    pub answer: Option<String>,
    pub rating: Option<Rating>,
}

/// What follow link `follow` opens, if it is one.
pub async fn followed(db: &Db, follow: &str) -> Result<Option<Followed>, CaseError> {
    let Some(letter) = reading::by_follow_link(db, follow).await? else {
        return Ok(None);
    };
    let case = get(db, letter.case_id).await?;
    let answer = timeline(db, case.id)
        .await?
        .into_iter()
        .rev()
        .filter(|e| e.action == "answer" || e.action == "decline")
        .find_map(|e| {
            let fields: serde_json::Value = serde_json::from_str(&e.fields).ok()?;
            fields["answer"]
                .as_str()
                .or(fields["reason"].as_str())
                .map(str::to_owned)
        });
    let rating = rating::of(db, case.id).await?;
    Ok(Some(Followed {
        letter,
        case,
        answer,
        rating,
    }))
}

/// The writer holding `follow` rates the answer (once, after it is given).
pub async fn rate(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    calendar: &CalendarCache,
    follow: &str,
    grade: i16,
    comment: &str,
) -> Result<Rating, WritingError> {
    let letter = reading::by_follow_link(db, follow)
        .await?
        .ok_or(CaseError::NotFound)?;
    // A declined letter has no answer to rate.
    if get(db, letter.case_id).await?.state != "answered" {
        return Err(WritingError::NotAnswered);
    }
    let calendar = calendar.get(db).await?;
    let (rating, _) = rating::rate(
        db,
        ctx,
        &calendar,
        processes,
        letter.case_id,
        Rater::Link,
        grade,
        comment,
    )
    .await?;
    Ok(rating)
}
