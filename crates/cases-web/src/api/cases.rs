//! Cases over HTTP: opening one, the queues, a case with its timeline and
//! the actions the caller may take, acting on it (with the version last
//! seen), comments, attachments, ratings; process definitions.

use crate::views::*;
use crate::work::cases::{
    add_comment, attach_from, attachment_view, detail, open, queue_of, rate_case, take_action,
    Queue,
};
use crate::work::visible_case;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use egov_cases::access::sees_internal;
use egov_cases::attachments;
use egov_identity::Permission;
use egov_web_kit::api::{ApiJson, ApiPath, ApiQuery, TAG_CASES};
use egov_web_kit::auth::require_user;
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;

/// Open a case. Citizens and enterprises open their own; staff register
/// one for their department when the process allows it.
#[utoipa::path(post, path = "/api/v1/cases", tag = TAG_CASES, request_body = NewCaseInput,
    responses((status = 201, body = CaseDetail),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn open_case(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<NewCaseInput>,
) -> Result<(StatusCode, ApiJson<CaseDetail>), ApiError> {
    let (case, def) = open(&state, &caller, input).await?;
    let detail = detail(&state, &caller.principal, &case, &def).await?;
    Ok((StatusCode::CREATED, ApiJson(detail)))
}

/// The caller's queue: my tasks, my department's cases, or my applications.
#[utoipa::path(get, path = "/api/v1/cases", tag = TAG_CASES, params(QueueQuery),
    responses((status = 200, body = CaseList),
              answers::BadRequest,
              answers::Unauthorized))]
pub async fn list_cases(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<ApiJson<CaseList>, ApiError> {
    let user = require_user(&caller)?;
    let queue = match q.queue.as_deref() {
        None | Some("tasks") => Queue::Tasks,
        Some("department") => Queue::Department,
        Some(_) => {
            return Err(
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").with_detail(
                    "queue 须为 tasks 或 department",
                    "queue must be tasks or department",
                ),
            )
        }
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let rows = queue_of(&state, user, queue, q.closed.unwrap_or(false), limit).await?;
    let dir = egov_org::directory(&state.db).await?;
    Ok(ApiJson(CaseList {
        cases: rows
            .iter()
            .map(|(c, d)| CaseSummary::new(c, d, &dir))
            .collect(),
    }))
}

/// A case with its timeline, comments, files, and the actions the caller may take.
#[utoipa::path(get, path = "/api/v1/cases/{number}", tag = TAG_CASES,
    params(("number" = String, Path, example = "20260000042")),
    responses((status = 200, body = CaseDetail),
              answers::Unauthorized,
              answers::NotFound))]
pub async fn get_case(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
) -> Result<ApiJson<CaseDetail>, ApiError> {
    let (case, def) = visible_case(&state, &caller.principal, &number).await?;
    Ok(ApiJson(
        detail(&state, &caller.principal, &case, &def).await?,
    ))
}

/// Take an action. One of two people acting at once wins; the other gets
/// 409 `version_conflict` and nothing changes. An applicant hands a request
/// for corrections back only once each point has a file uploaded for it
/// (else 409 `corrections_unanswered`).
#[utoipa::path(post, path = "/api/v1/cases/{number}/actions", tag = TAG_CASES,
    params(("number" = String, Path)), request_body = ActionInput,
    responses((status = 200, body = CaseDetail),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict,
              answers::Unprocessable))]
pub async fn act(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<ActionInput>,
) -> Result<ApiJson<CaseDetail>, ApiError> {
    let case = take_action(&state, &caller, &number, &input).await?;
    let def = state.processes.of(&state.db, &case).await?;
    Ok(ApiJson(
        detail(&state, &caller.principal, &case, &def).await?,
    ))
}

/// Add a comment: staff internal or visible, the applicant visible.
#[utoipa::path(post, path = "/api/v1/cases/{number}/comments", tag = TAG_CASES,
    params(("number" = String, Path)), request_body = CommentInput,
    responses((status = 201, body = CommentView),
              answers::Unauthorized,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn comment(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> Result<(StatusCode, ApiJson<CommentView>), ApiError> {
    let c = add_comment(&state, &caller, &number, &input.body, input.internal).await?;
    Ok((StatusCode::CREATED, ApiJson(c)))
}

/// Upload a file (multipart field `file`; optional field `internal=true`
/// for staff; for the applicant, `answers` naming the point of the open
/// request for corrections it answers). PDF, PNG or JPEG, checked by
/// content; at most the configured size.
#[utoipa::path(post, path = "/api/v1/cases/{number}/attachments", tag = TAG_CASES,
    params(("number" = String, Path)),
    request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView),
              answers::Unauthorized,
              answers::NotFound,
              answers::PayloadTooLarge,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn upload(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    multipart: Multipart,
) -> Result<(StatusCode, ApiJson<AttachmentView>), ApiError> {
    let a = attach_from(&state, &caller, &number, multipart, None).await?;
    Ok((StatusCode::CREATED, ApiJson(attachment_view(&number, a))))
}

/// Whether a file is wanted for showing in the page rather than saving.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// Show a PDF or image in the browser (the case page's preview) instead
    /// of saving it.
    #[serde(default)]
    pub inline: bool,
}

/// Download an attachment the caller may see.
#[utoipa::path(get, path = "/api/v1/cases/{number}/attachments/{id}", tag = TAG_CASES,
    params(("number" = String, Path), ("id" = i64, Path), DownloadQuery),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
              answers::Unauthorized,
              answers::NotFound))]
pub async fn download(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath((number, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<DownloadQuery>,
) -> Result<Response, ApiError> {
    let (case, _) = visible_case(&state, &caller.principal, &number).await?;
    let not_found = || ApiError::not_found("没有这个附件", "no such attachment");
    let a = match attachments::get(&state.db, id).await {
        Ok(a) if a.case_id == case.id && (!a.internal || sees_internal(&caller.principal)) => a,
        Ok(_) | Err(egov_cases::CaseError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let bytes = state.files.read(&a).await.map_err(ApiError::internal)?;
    // Only the kinds checked by content at upload are shown in place.
    let inline = q.inline
        && matches!(
            a.media_type.as_str(),
            "application/pdf" | "image/png" | "image/jpeg"
        );
    let disposition = format!(
        "{}; filename=\"file\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        url::form_urlencoded::byte_serialize(a.name.as_bytes()).collect::<String>()
    );
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&a.media_type).map_err(ApiError::internal)?,
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if inline {
        // Shown inside the case page, and nowhere else; it runs nothing.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'",
            ),
        );
    }
    Ok(res)
}

/// The applicant rates a finished case (好差评), once. A bad rating opens a
/// follow-up case for the department.
#[utoipa::path(post, path = "/api/v1/cases/{number}/rating", tag = TAG_CASES,
    params(("number" = String, Path)), request_body = RatingInput,
    responses((status = 201, body = RatingView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn rate(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<RatingInput>,
) -> Result<(StatusCode, ApiJson<RatingView>), ApiError> {
    let r = rate_case(&state, &caller, &number, input.grade, &input.comment).await?;
    Ok((StatusCode::CREATED, ApiJson(r)))
}

/// The newest version of every process definition.
#[utoipa::path(get, path = "/api/v1/processes", tag = TAG_CASES,
    responses((status = 200, body = ProcessList)))]
pub async fn list_processes(
    State(state): State<AppState>,
) -> Result<ApiJson<ProcessList>, ApiError> {
    let processes = egov_cases::registry::list(&state.db)
        .await?
        .into_iter()
        .map(|p| ProcessView {
            id: p.id,
            version: p.version,
            name: p.name,
            loaded_at: p.loaded_at,
        })
        .collect();
    Ok(ApiJson(ProcessList { processes }))
}

/// Load a process definition (TOML, as in `data/processes/`) as a new
/// version; running cases keep theirs. System administrators, or a key
/// with `reference:write`.
#[utoipa::path(post, path = "/api/v1/processes", tag = TAG_CASES,
    request_body(content = String, content_type = "application/toml"),
    security(("api_key" = [])),
    responses((status = 201, body = ProcessView),
              (status = 200, body = ProcessView, description = "this exact version was already loaded"),
              answers::Unauthorized,
              answers::Forbidden,
              answers::Conflict,
              answers::Unprocessable))]
pub async fn load_process(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: String,
) -> Result<(StatusCode, ApiJson<ProcessView>), ApiError> {
    caller.require(Permission::ManageReferenceData)?;
    let (def, new) = egov_cases::registry::load(&state.db, &caller.context, &body).await?;
    Ok((
        if new {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        ApiJson(ProcessView {
            id: def.id,
            version: def.version as i32,
            name: def.name,
            loaded_at: egov_kernel::time::now(),
        }),
    ))
}
