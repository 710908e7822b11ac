//! Applying online through the API, as the pages do: an applicant's own
//! software begins (or resumes) a draft, fills the item's form, attaches
//! each material and files it once. Only citizens and enterprises apply,
//! each to their own drafts; anyone else's is "not found".

use super::cases::{detail, require_user, CaseDetail};
use super::{ApiJson, ApiPath, TAG_SERVICES};
use crate::auth::ApiCaller;
use crate::problem::{answers, ApiError};
use crate::state::AppState;
use crate::upload::Posted;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use egov_identity::{SessionUser, UserKind};
use egov_kernel::time::Timestamp;
use egov_kernel::Context;
use egov_services::application::{self, AppFile, Application};
use egov_services::Guide;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Who applies, as the guides name it: 法人 for an enterprise, else 个人.
pub fn audience_of(user: &SessionUser) -> &'static str {
    match user.kind {
        UserKind::Enterprise => "法人",
        _ => "个人",
    }
}

/// The signed-in user as an applicant to an item.
pub fn as_applicant(user: &SessionUser) -> application::Applicant<'static> {
    application::Applicant {
        id: user.user_id,
        audience: audience_of(user),
        assurance: user.assurance_level,
    }
}

/// The signed-in applicant (a citizen or an enterprise) calling.
fn applicant(caller: &ApiCaller) -> Result<&SessionUser, ApiError> {
    let user = require_user(caller)?;
    if user.kind == UserKind::Staff {
        return Err(ApiError::forbidden().with_detail(
            "工作人员不能以申请人身份申请",
            "staff do not apply as applicants",
        ));
    }
    Ok(user)
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationFileView {
    pub id: i64,
    /// The guide's material this file is (its index) and its name.
    pub material: i32,
    pub material_name: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
}

/// A draft or filed application.
#[derive(Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: i64,
    pub item_code: String,
    /// The guide version it was begun under.
    pub item_version: i32,
    /// `draft` or `filed`.
    pub status: String,
    /// What was typed into the item's form (its guide's `fields`).
    #[schema(value_type = Object)]
    pub form: Value,
    pub note: String,
    pub files: Vec<ApplicationFileView>,
    /// The materials the guide requires now that no file answers yet.
    pub missing: Vec<String>,
    /// The case it opened, once filed.
    pub case_number: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

fn file_view(f: AppFile, guide: &Guide) -> ApplicationFileView {
    ApplicationFileView {
        material_name: guide
            .materials
            .get(f.material as usize)
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        id: f.id,
        material: f.material,
        name: f.name,
        media_type: f.media_type,
        size: f.size,
        sha256: f.sha256,
    }
}

/// Adds the material a multipart form posted (fields `material`, the
/// guide's index of it, and `file`) to the caller's draft.
pub async fn add_posted(
    state: &AppState,
    ctx: &Context,
    id: i64,
    applicant_id: i64,
    posted: Posted,
) -> Result<(AppFile, Guide), application::ApplicationError> {
    let material = posted
        .field("material")
        .parse::<usize>()
        .unwrap_or(usize::MAX);
    let (name, bytes) = posted.file;
    application::add_file(
        &state.db,
        ctx,
        &state.files,
        id,
        applicant_id,
        material,
        &name,
        bytes,
        state.settings.max_upload_bytes,
    )
    .await
}

async fn view(state: &AppState, a: Application) -> Result<ApplicationView, ApiError> {
    let guide = application::guide_of(&state.db, &a)
        .await
        .map_err(crate::api::services::application_problem)?;
    let files: Vec<AppFile> = application::files(&state.db, a.id)
        .await
        .map_err(crate::api::services::application_problem)?;
    let missing = application::missing(&guide, &files);
    let case_number = match a.case_id {
        Some(id) => Some(egov_cases::get(&state.db, id).await?.number),
        None => None,
    };
    Ok(ApplicationView {
        id: a.id,
        form: a.form(),
        files: files.into_iter().map(|f| file_view(f, &guide)).collect(),
        missing,
        case_number,
        item_code: a.item_code,
        item_version: a.item_version,
        status: a.status,
        note: a.note,
        updated_at: a.updated_at,
    })
}

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
        .map_err(crate::api::services::application_problem)?;
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
    let a = application::mine(&state.db, id, user.user_id)
        .await
        .map_err(crate::api::services::application_problem)?;
    Ok(ApiJson(view(&state, a).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormInput {
    /// The item's form as a JSON object; it may be incomplete until filing.
    #[schema(value_type = Object)]
    pub form: Value,
    #[serde(default)]
    pub note: String,
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
        user.user_id,
        &input.form,
        &input.note,
    )
    .await
    .map_err(crate::api::services::application_problem)?;
    let a = application::mine(&state.db, id, user.user_id)
        .await
        .map_err(crate::api::services::application_problem)?;
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
    application::mine(&state.db, id, user.user_id)
        .await
        .map_err(crate::api::services::application_problem)?;
    let max = state.settings.max_upload_bytes;
    let posted = crate::upload::read(multipart, max, &["material"]).await?;
    let (f, guide) = add_posted(&state, &caller.context, id, user.user_id, posted)
        .await
        .map_err(crate::api::services::application_problem)?;
    Ok((StatusCode::CREATED, ApiJson(file_view(f, &guide))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitInput {
    /// A key of the client's (16 to 128 characters) that makes filing
    /// idempotent: the same key files once and answers the same case.
    pub key: String,
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
        user.user_id,
        &input.key,
    )
    .await
    .map_err(crate::api::services::application_problem)?;
    let def = state.processes.of(&state.db, &case).await?;
    Ok(ApiJson(
        detail(&state, &caller.principal, &case, &def).await?,
    ))
}
