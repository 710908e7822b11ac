//! What the case engine answers when it cannot do what was asked.

use crate::schema::Violation;
use egov_store::StoreError;

/// Input the engine turns down, named so that each language can word it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("a comment must be 1 to 4000 characters")]
    CommentLength,
    #[error("the order must be 1 to 4000 characters")]
    OrderLength,
    #[error("the answer must be 1 to 4000 characters")]
    AnswerLength,
    #[error("the order was already answered")]
    OrderAnswered,
    #[error("the grade must be 1 to 5")]
    Grade,
    #[error("the comment must be at most 2000 characters")]
    RatingCommentLength,
    #[error("tell us what went wrong, so that it can be put right")]
    BadRatingReason,
    #[error("a case is rated once it has ended")]
    NotEnded,
    #[error("this case has been rated already")]
    Rated,
    #[error("no such department")]
    NoSuchDepartment,
}

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("no such case")]
    NotFound,
    #[error("the case changed meanwhile (now version {current}); reload and try again")]
    Conflict { current: i64 },
    #[error("action '{action}' is not possible in state '{state}'")]
    NotAllowedHere { action: String, state: String },
    #[error("you may not take action '{0}' on this case")]
    NotYours(String),
    #[error("the fields are not valid")]
    Fields(Vec<Violation>),
    #[error("the deadline was already extended once")]
    AlreadyExtended,
    #[error("action '{0}' may be taken once in a case, and was")]
    OnlyOnce(String),
    #[error("the time for action '{action}' ended at {by}")]
    TooLate {
        action: String,
        by: egov_kernel::time::Timestamp,
    },
    #[error("this step's deadline cannot be extended")]
    NoExtension,
    #[error("the case runs under {0}, not this definition")]
    WrongDefinition(String),
    #[error("you may not open a case of this process")]
    MayNotStart,
    #[error("the case is closed")]
    Closed,
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The definition a case needs could not be had.
    #[error("the process definition could not be had")]
    Process(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CaseError {
    fn from(e: sqlx::Error) -> Self {
        CaseError::Store(e.into())
    }
}
