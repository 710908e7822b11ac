//! 好差评: after a case ends its applicant rates it once, on the five
//! national grades. A bad rating (不满意, 非常不满意) opens a follow-up case
//! (call back, fix or explain), tracked and supervised like any other.

use crate::acting::Acting;
use crate::case::{get, Case};
use crate::engine::{open, prepare, NewCase};
use crate::error::{CaseError, Refusal};
use crate::registry::Processes;
use egov_audit::Event;
use egov_calendar::WorkCalendar;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db};
use serde::Serialize;

/// The process a bad rating's follow-up runs under.
pub const FOLLOWUP_PROCESS: &str = "rating_followup";

/// The five grades, best first (国办发〔2019〕51号).
pub const GRADES: [(i16, &str, &str); 5] = [
    (5, "非常满意", "Very satisfied"),
    (4, "满意", "Satisfied"),
    (3, "基本满意", "Fairly satisfied"),
    (2, "不满意", "Dissatisfied"),
    (1, "非常不满意", "Very dissatisfied"),
];

pub fn is_bad(grade: i16) -> bool {
    grade <= 2
}

egov_store::text_enum! {
    /// How a rating reached the case.
    pub enum Via {
        /// The applicant, signed in.
        Applicant = "applicant",
        /// Whoever holds the follow link of one of the case's reports (a
        /// reporter without an account).
        Link = "link",
        /// Staff, recording what the reporter said on the call-back (回访).
        Callback = "callback",
    }
}

/// Who rates a case, as the caller has established.
#[derive(Debug, Clone, Copy)]
pub enum Rater {
    /// The signed-in applicant (or someone acting for its enterprise):
    /// checked here against the case.
    Applicant {
        user_id: i64,
        enterprise_id: Option<i64>,
    },
    /// A reporter by the follow link of one of the case's reports; the
    /// caller has matched the link to the case.
    Link,
    /// Staff member `recorded_by` enters the reporter's rating from the
    /// call-back; the caller has checked that they may.
    Callback { recorded_by: i64 },
}

impl Rater {
    fn via(self) -> Via {
        match self {
            Rater::Applicant { .. } => Via::Applicant,
            Rater::Link => Via::Link,
            Rater::Callback { .. } => Via::Callback,
        }
    }

    /// Whoever entered the rating; `None` for a link.
    fn entered_by(self) -> Option<i64> {
        match self {
            Rater::Applicant { user_id, .. } => Some(user_id),
            Rater::Link => None,
            Rater::Callback { recorded_by } => Some(recorded_by),
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Rating {
    pub case_id: i64,
    pub grade: i16,
    pub comment: String,
    /// Whoever entered it (the applicant, or the staff member on a
    /// call-back); `None` when given by a follow link.
    pub rated_by: Option<i64>,
    pub rated_at: Timestamp,
    pub followup_case_id: Option<i64>,
    pub rated_via: Via,
}

pub async fn of(db: &Db, case_id: i64) -> Result<Option<Rating>, CaseError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT case_id, grade, comment, rated_by, rated_at, followup_case_id, rated_via \
         FROM case_ratings \
         WHERE case_id = $1"
    )
    .bind(case_id)
    .fetch_optional(&mut *c)
    .await)?)
}

/// A finished case is rated once: by its applicant (anyone acting for the
/// enterprise that applied), or on a reporter's word ([`Rater`]). A bad
/// rating also opens its follow-up, owned by the department that handled
/// the case.
#[allow(clippy::too_many_arguments)]
pub async fn rate(
    db: &Db,
    ctx: &Context,
    cal: &WorkCalendar,
    processes: &Processes,
    case_id: i64,
    rater: Rater,
    grade: i16,
    comment: &str,
) -> Result<(Rating, Option<Case>), CaseError> {
    if !(1..=5).contains(&grade) {
        return Err(Refusal::Grade.into());
    }
    let comment = comment.trim();
    if comment.chars().count() > 2000 {
        return Err(Refusal::RatingCommentLength.into());
    }
    if is_bad(grade) && comment.is_empty() {
        return Err(Refusal::BadRatingReason.into());
    }
    let case = get(db, case_id).await?;
    if let Rater::Applicant {
        user_id,
        enterprise_id,
    } = rater
    {
        if !case.applied_by(user_id, enterprise_id) {
            return Err(CaseError::NotYours("rate".into()));
        }
    }
    if case.is_open() {
        return Err(Refusal::NotEnded.into());
    }
    if of(db, case_id).await?.is_some() {
        return Err(Refusal::Rated.into());
    }
    // A bad rating's follow-up opens in the rating's own transaction: two
    // ratings racing leave one rating and one follow-up, never a follow-up
    // that no rating names.
    let followup = if is_bad(grade) {
        let def = processes
            .latest(db, FOLLOWUP_PROCESS)
            .await
            .map_err(CaseError::Process)?;
        let mut new = NewCase::new(
            &def,
            case.handling_department(),
            &format!("差评回访：{}", case.number),
        );
        new.applicant_id = case.applicant_id;
        new.enterprise_id = case.enterprise_id;
        new.parent_id = Some(case.id);
        new.data = serde_json::json!({ "grade": grade, "comment": comment });
        Some(prepare(cal, Acting::Platform, new)?)
    } else {
        None
    };
    let rated_at = time::now();
    let (ctx, case_id, number) = (ctx.clone(), case.id, case.number.clone());
    let body_comment = comment.to_owned();
    let followup = db
        .write(move |tx| {
            Box::pin(async move {
                let inserted = tx
                    .execute(
                        query(
                            "INSERT INTO case_ratings (case_id, grade, comment, rated_by, rated_at, \
                             rated_via) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (case_id) DO NOTHING",
                        )
                        .bind(case_id)
                        .bind(grade)
                        .bind(&body_comment)
                        .bind(rater.entered_by())
                        .bind(rated_at)
                        .bind(rater.via()),
                    )
                    .await?;
                if inserted == 0 {
                    return Err(CaseError::from(Refusal::Rated));
                }
                let followup = match followup {
                    Some(opening) => {
                        let followup = open(tx, &ctx, opening).await?;
                        tx.execute(
                            query("UPDATE case_ratings SET followup_case_id = $1 WHERE case_id = $2")
                                .bind(followup.id)
                                .bind(case_id),
                        )
                        .await?;
                        Some(followup)
                    }
                    None => None,
                };
                let followup_number = followup.as_ref().map(|f| f.number.clone());
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "case.rate",
                    object_type: "case",
                    object_id: &number,
                    detail: serde_json::json!({
                        "grade": grade, "followup": followup_number,
                        "via": rater.via().as_str(),
                    }),
                },
            )
            .await?;
            Ok(followup)
        })
    })
    .await?;
    Ok((
        Rating {
            case_id: case.id,
            grade,
            comment: comment.to_owned(),
            rated_by: rater.entered_by(),
            rated_at,
            followup_case_id: followup.as_ref().map(|f| f.id),
            rated_via: rater.via(),
        },
        followup,
    ))
}
