//! Applying online through the API, as the pages do: an applicant's own
//! software begins (or resumes) a draft, fills the item's form, attaches
//! each material and files it once. Only citizens and enterprises apply,
//! each to their own drafts; anyone else's is "not found".

use crate::views::*;
use crate::work::{add_posted, applicant, as_applicant, file_view, view};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use egov_cases_web::views::CaseDetail;
use egov_cases_web::work::cases::detail;
use egov_services::application;
use egov_web_kit::api::{ApiJson, ApiPath, TAG_SERVICES};
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;

/// Begin an application for an item on offer, or resume the caller's
/// draft of it. The item must serve the caller (个人 or 法人).
#[utoipa::path(post, path = "/api/v1/services/{code}/applications", tag = TAG_SERVICES,
    params(("code" = String, Path, example = "110105SCJGJ0001")),
    responses((status = 200, body = ApplicationView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict))]
pub async fn begin_application(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<ApplicationView>, ApiError> {
    let user = applicant(&caller)?;
    let a = application::draft(&state.db, &caller.context, &code, as_applicant(user))
        .await
        .map_err(crate::errors::application_problem)?;
    Ok(ApiJson(view(&state, a).await?))
}

/// One of the caller's applications.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = TAG_SERVICES,
    params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound))]
pub async fn get_application(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<ApplicationView>, ApiError> {
    let user = applicant(&caller)?;
    let a = application::mine(&state.db, id, crate::work::party(user))
        .await
        .map_err(crate::errors::application_problem)?;
    Ok(ApiJson(view(&state, a).await?))
}

/// Save the draft's form and note. What is there is checked (types,
/// lengths, choices); required fields are checked when it is filed.
#[utoipa::path(put, path = "/api/v1/applications/{id}/form", tag = TAG_SERVICES,
    params(("id" = i64, Path)), request_body = FormInput,
    responses((status = 200, body = ApplicationView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict,
              answers::Unprocessable))]
pub async fn save_form(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<FormInput>,
) -> Result<ApiJson<ApplicationView>, ApiError> {
    let user = applicant(&caller)?;
    application::save(
        &state.db,
        &caller.context,
        id,
        crate::work::party(user),
        &input.form,
        &input.note,
    )
    .await
    .map_err(crate::errors::application_problem)?;
    let a = application::mine(&state.db, id, crate::work::party(user))
        .await
        .map_err(crate::errors::application_problem)?;
    Ok(ApiJson(view(&state, a).await?))
}

/// Attach a material (multipart fields `material`, the guide's index of
/// it, and `file`): PDF, PNG or JPEG, checked by content; at most the
/// configured size.
#[utoipa::path(post, path = "/api/v1/applications/{id}/files", tag = TAG_SERVICES,
    params(("id" = i64, Path)),
    request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 201, body = ApplicationFileView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict,
              answers::PayloadTooLarge,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn add_file(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    multipart: Multipart,
) -> Result<(StatusCode, ApiJson<ApplicationFileView>), ApiError> {
    let user = applicant(&caller)?;
    // Someone else's application is refused before its upload is read.
    application::mine(&state.db, id, crate::work::party(user))
        .await
        .map_err(crate::errors::application_problem)?;
    let max = state.settings.max_upload_bytes;
    let posted = egov_web_kit::upload::read(multipart, max, &["material"]).await?;
    let (f, guide) = add_posted(
        &state,
        &caller.context,
        id,
        crate::work::party(user),
        posted,
    )
    .await
    .map_err(crate::errors::application_problem)?;
    Ok((StatusCode::CREATED, ApiJson(file_view(f, &guide))))
}

/// File the application: every material the guide requires now and every
/// required field must be there. The case opens with the materials.
#[utoipa::path(post, path = "/api/v1/applications/{id}/submit", tag = TAG_SERVICES,
    params(("id" = i64, Path)), request_body = SubmitInput,
    responses((status = 200, body = CaseDetail),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict,
              answers::Unprocessable))]
pub async fn submit(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SubmitInput>,
) -> Result<ApiJson<CaseDetail>, ApiError> {
    let user = applicant(&caller)?;
    if !(16..=128).contains(&input.key.len()) {
        return Err(ApiError::validation(
            "提交键须为 16 至 128 个字符",
            "the key must be 16 to 128 characters",
        ));
    }
    let cal = state.calendar().await?;
    let case = application::submit(
        &state.db,
        &caller.context,
        &cal,
        &state.processes,
        id,
        crate::work::party(user),
        &input.key,
    )
    .await
    .map_err(crate::errors::application_problem)?;
    let def = state.processes.of(&state.db, &case).await?;
    Ok(ApiJson(
        detail(&state, &caller.principal, &case, &def).await?,
    ))
}
