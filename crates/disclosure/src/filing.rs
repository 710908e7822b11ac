//! Filing a request: a signed-in applicant's request becomes a case of the
//! disclosure process at once, owned by the agency asked, its 20 working
//! days running from receipt. One transaction holds the case, its first
//! event and its audit record; once the applicant is told the number, the
//! request is stored.

use crate::request::{NewRequest, RequestError};
use crate::PROCESS;
use egov_calendar::CalendarCache;
use egov_cases::acting::Acting;
use egov_cases::engine::{prepare, NewCase};
use egov_cases::opening::open;
use egov_cases::registry::Processes;
use egov_cases::CaseError;
use egov_kernel::Context;
use egov_store::{Db, StoreError};

/// Why a request was not filed; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum FilingError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
    #[error("reading the working-day calendar")]
    Calendar(#[from] egov_calendar::LoadError),
    #[error(transparent)]
    Process(#[from] egov_cases::RegistryError),
}

/// Files `request` for the signed-in `user_id` (acting for
/// `enterprise_id`, if any); answers the case number.
pub async fn file(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    calendar: &CalendarCache,
    applicant: (i64, Option<i64>),
    request: NewRequest,
) -> Result<String, FilingError> {
    let request = request.check()?;
    let directory = egov_org::directory(db).await?;
    let department = directory
        .by_code(&request.department)
        .ok_or_else(|| RequestError::UnknownAgency(request.department.clone()))?;
    let calendar = calendar.get(db).await?;
    let def = processes.latest(db, PROCESS).await?;
    let (user_id, enterprise_id) = applicant;
    let mut new = NewCase::new(&def, department.id, &request.title());
    new.applicant_id = Some(user_id);
    new.enterprise_id = enterprise_id;
    new.data = request.case_data();
    let opening = prepare(
        &calendar,
        Acting::Applicant {
            user_id,
            enterprise_id,
        },
        new,
    )?;
    let ctx = ctx.clone();
    let number = db
        .write(move |tx| {
            Box::pin(async move {
                let case = open(tx, &ctx, opening).await?;
                Ok::<_, FilingError>(case.number)
            })
        })
        .await?;
    Ok(number)
}
