//! The mailboxes over the API: a signed-in person's own software writes a
//! letter; anyone reads the published letters and the departments'
//! figures; the staff of the department that answered a letter read its
//! proposed publication and publish it.

use crate::errors;
use crate::work;
use axum::extract::State;
use axum::http::StatusCode;
use egov_mailbox::publishing::{self, Draft, Texts};
use egov_mailbox::reading::{self, DepartmentFigures, Published};
use egov_mailbox::writing;
use egov_mailbox::NewLetter;
use egov_web_kit::api::{ApiJson, ApiPath, ApiQuery};
use egov_web_kit::auth::{require_user, ApiCaller};
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const TAG_MAILBOX: &str = "mailbox";

/// A letter taken: its number, which its writer follows on their cases.
#[derive(Debug, Serialize, ToSchema)]
pub struct Taken {
    pub number: String,
}

/// Writes a letter to the mayor's mailbox (`mailbox`: `mayor`) or a
/// department's (its code), as the signed-in caller: it is a case at once,
/// answered within the process's time. Writers without an account write on
/// the mailbox's page, confirming their phone with a texted code.
#[utoipa::path(post, operation_id = "mailbox_write", path = "/api/v1/mailbox/letters", tag = TAG_MAILBOX,
    request_body(content = Object, content_type = "application/json",
        description = "mailbox, category (consultation, suggestion, complaint, help, praise), subject, body, consent (to publication with the answer), contact {name, phone, email, address}"),
    responses((status = 201, body = Taken),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn write(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(letter): ApiJson<NewLetter>,
) -> Result<(StatusCode, ApiJson<Taken>), ApiError> {
    let user = require_user(&caller)?;
    if user.view_only {
        return Err(ApiError::forbidden());
    }
    let written = writing::write_signed_in(
        &state.db,
        &caller.context,
        &state.processes,
        &state.calendar,
        user.user_id,
        letter,
    )
    .await
    .map_err(errors::writing)?;
    Ok((
        StatusCode::CREATED,
        ApiJson(Taken {
            number: written.number,
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Words to search for in the published letters and answers.
    pub q: Option<String>,
    /// At most 100 (20 when left out).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A page of published letters.
#[derive(Debug, Serialize, ToSchema)]
pub struct LetterList {
    pub total: i64,
    /// Each with its answer, personal data stripped: number, mailbox,
    /// category, subject, body, answer, department_id, written_at,
    /// answered_at, published_at.
    #[schema(value_type = Vec<Object>)]
    pub letters: Vec<Published>,
}

/// The published letters, newest first, or those matching `q` (the
/// shared Chinese search), best first. For anyone.
#[utoipa::path(get, operation_id = "mailbox_list", path = "/api/v1/mailbox/letters", tag = TAG_MAILBOX,
    params(ListParams),
    responses((status = 200, body = LetterList), answers::BadRequest))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<ApiJson<LetterList>, ApiError> {
    let (letters, total) = work::published(&state, p.q.as_deref(), p.offset, p.limit).await?;
    Ok(ApiJson(LetterList { total, letters }))
}

/// One published letter with its answer. For anyone.
#[utoipa::path(get, operation_id = "mailbox_show", path = "/api/v1/mailbox/letters/{number}", tag = TAG_MAILBOX,
    params(("number" = String, Path, description = "The letter's number")),
    responses((status = 200, body = Object), answers::NotFound))]
pub async fn show(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
) -> Result<ApiJson<Published>, ApiError> {
    reading::published_letter(&state.db, &number)
        .await?
        .map(ApiJson)
        .ok_or_else(|| not_published(&number))
}

pub(crate) fn not_published(number: &str) -> ApiError {
    ApiError::not_found(
        format!("没有公开的来信“{number}”"),
        format!("no published letter '{number}'"),
    )
}

/// Each department's letters: received, answered, answered in time,
/// declined. For anyone.
#[utoipa::path(get, operation_id = "mailbox_figures", path = "/api/v1/mailbox/figures", tag = TAG_MAILBOX,
    responses((status = 200, body = Vec<Object>)))]
pub async fn figures(
    State(state): State<AppState>,
) -> Result<ApiJson<Vec<DepartmentFigures>>, ApiError> {
    Ok(ApiJson(reading::figures(&state.db).await?))
}

/// The answered letter with personal data replaced, as proposed for
/// publication, and what was replaced. The staff of the department that
/// answered it.
#[utoipa::path(get, operation_id = "mailbox_draft", path = "/api/v1/mailbox/letters/{number}/publication", tag = TAG_MAILBOX,
    params(("number" = String, Path, description = "The letter's number")),
    responses((status = 200, body = Object),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict))]
pub async fn draft(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
) -> Result<ApiJson<Draft>, ApiError> {
    work::may_publish(&state, &caller, &number).await?;
    Ok(ApiJson(
        publishing::draft(&state.db, &number)
            .await
            .map_err(errors::publishing)?,
    ))
}

/// Publishes an answered letter whose writer agreed, with the texts given
/// (the proposal, read and edited): refused while personal data is found in
/// them. The staff of the department that answered it.
#[utoipa::path(put, operation_id = "mailbox_publish", path = "/api/v1/mailbox/letters/{number}/publication", tag = TAG_MAILBOX,
    params(("number" = String, Path, description = "The letter's number")),
    request_body(content = Object, content_type = "application/json", description = "subject, body, answer"),
    responses((status = 204, description = "Published"),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn publish(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    ApiJson(texts): ApiJson<Texts>,
) -> Result<StatusCode, ApiError> {
    let user_id = work::may_publish(&state, &caller, &number).await?;
    publishing::publish(&state.db, &caller.context, &number, Some(user_id), texts)
        .await
        .map_err(errors::publishing)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why a publication is withdrawn.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Withdrawal {
    pub reason: String,
}

/// Withdraws a letter's publication with the reason: it leaves the public
/// pages and the search, and its texts stay with the letter. The staff of
/// the department that answered it.
#[utoipa::path(post, operation_id = "mailbox_withdraw", path = "/api/v1/mailbox/letters/{number}/withdrawal", tag = TAG_MAILBOX,
    params(("number" = String, Path, description = "The letter's number")),
    request_body = Withdrawal,
    responses((status = 204, description = "Withdrawn"),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    ApiJson(w): ApiJson<Withdrawal>,
) -> Result<StatusCode, ApiError> {
    work::may_publish(&state, &caller, &number).await?;
    publishing::withdraw(&state.db, &caller.context, &number, &w.reason)
        .await
        .map_err(errors::publishing)?;
    Ok(StatusCode::NO_CONTENT)
}
