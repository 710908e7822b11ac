//! Disclosure over the API: anyone reads the listed documents and the
//! annual report's table; a signed-in person's own software files a
//! request; a department's handlers (or their systems, signed in as them)
//! publish and withdraw its documents.

use crate::errors;
use crate::work;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use egov_disclosure::documents::{self, Document, NewDocument};
use egov_disclosure::filing;
use egov_disclosure::report::{self, AnnualTable};
use egov_disclosure::request::NewRequest;
use egov_identity::Permission;
use egov_kernel::time::Timestamp;
use egov_web_kit::api::{ApiJson, ApiPath, ApiQuery};
use egov_web_kit::auth::{require_user, ApiCaller};
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const TAG_DISCLOSURE: &str = "disclosure";

/// A document as the public reads it: a withdrawn one keeps its record
/// (and the reason) but not its text.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicDocument {
    pub id: i64,
    /// The publishing department's code.
    pub department: String,
    pub title: String,
    pub doc_number: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub issued_on: NaiveDate,
    /// A category code of the disclosure settings.
    pub category: String,
    pub body: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub published_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub withdrawn_at: Option<Timestamp>,
    pub withdrawn_reason: Option<String>,
}

pub(crate) fn public(directory: &egov_org::Directory, d: Document) -> PublicDocument {
    PublicDocument {
        id: d.id,
        department: directory.code_of(d.department_id),
        title: d.title,
        doc_number: d.doc_number,
        issued_on: d.issued_on,
        category: d.category,
        body: d.withdrawn_at.is_none().then_some(d.body),
        published_at: d.published_at,
        withdrawn_at: d.withdrawn_at,
        withdrawn_reason: d.withdrawn_reason,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Words to search for in the titles, numbers and texts.
    pub q: Option<String>,
    /// At most 100 (20 when left out).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A page of the public list.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentList {
    pub total: i64,
    pub documents: Vec<PublicDocument>,
}

/// The documents on the public list, newest first, or those matching `q`
/// (the shared Chinese search), best first. For anyone.
#[utoipa::path(get, operation_id = "disclosure_documents", path = "/api/v1/disclosure/documents", tag = TAG_DISCLOSURE,
    params(ListParams),
    responses((status = 200, body = DocumentList), answers::BadRequest))]
pub async fn documents(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<ApiJson<DocumentList>, ApiError> {
    let (docs, total) = work::listed(&state, p.q.as_deref(), p.offset, p.limit).await?;
    let directory = egov_org::directory(&state.db).await?;
    let documents = docs.into_iter().map(|d| public(&directory, d)).collect();
    Ok(ApiJson(DocumentList { total, documents }))
}

/// A document as a department publishes it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Publication {
    /// The publishing department's code: one the caller handles.
    pub department: String,
    pub title: String,
    /// 文号, if the document has one (ends in 号).
    pub doc_number: Option<String>,
    /// The date of issue, `YYYY-MM-DD`.
    pub issued_on: String,
    /// A category code of the disclosure settings.
    pub category: String,
    pub body: String,
}

/// A document published: its id.
#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    pub id: i64,
}

/// Publishes a document of the department's own accord (主动公开). The
/// department's handlers.
#[utoipa::path(post, operation_id = "disclosure_publish", path = "/api/v1/disclosure/documents", tag = TAG_DISCLOSURE,
    request_body = Publication,
    responses((status = 201, body = Published),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::Conflict,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn publish(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(p): ApiJson<Publication>,
) -> Result<(StatusCode, ApiJson<Published>), ApiError> {
    let user = require_user(&caller)?;
    let directory = egov_org::directory(&state.db).await?;
    let department_id = directory
        .by_code(p.department.trim())
        .map(|d| d.id)
        .filter(|&department_id| {
            egov_identity::allows(
                &caller.principal,
                Permission::PublishDocuments { department_id },
            )
        })
        .ok_or_else(ApiError::forbidden)?;
    let new = NewDocument {
        title: p.title,
        doc_number: p.doc_number,
        issued_on: p.issued_on,
        category: p.category,
        body: p.body,
    };
    let id = documents::publish(
        &state.db,
        &caller.context,
        department_id,
        Some(user.user_id),
        new,
    )
    .await
    .map_err(errors::documents)?;
    Ok((StatusCode::CREATED, ApiJson(Published { id })))
}

/// One document: on the list, or withdrawn (its record and the reason,
/// not its text). For anyone.
#[utoipa::path(get, operation_id = "disclosure_document", path = "/api/v1/disclosure/documents/{id}", tag = TAG_DISCLOSURE,
    params(("id" = i64, Path, description = "The document's id")),
    responses((status = 200, body = PublicDocument), answers::BadRequest, answers::NotFound))]
pub async fn document(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<PublicDocument>, ApiError> {
    let d = documents::get(&state.db, id)
        .await?
        .ok_or_else(|| errors::documents(documents::DocumentError::NotFound))?;
    let directory = egov_org::directory(&state.db).await?;
    Ok(ApiJson(public(&directory, d)))
}

/// Why a document is withdrawn.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Withdrawal {
    pub reason: String,
}

/// Withdraws a document with the reason: it leaves the list and the
/// search; its record stays with the reason. The publishing department's
/// handlers.
#[utoipa::path(post, operation_id = "disclosure_withdraw", path = "/api/v1/disclosure/documents/{id}/withdrawal", tag = TAG_DISCLOSURE,
    params(("id" = i64, Path, description = "The document's id")),
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
    ApiPath(id): ApiPath<i64>,
    ApiJson(w): ApiJson<Withdrawal>,
) -> Result<StatusCode, ApiError> {
    let user = require_user(&caller)?;
    let not_found = || errors::documents(documents::DocumentError::NotFound);
    let d = documents::get(&state.db, id).await?.ok_or_else(not_found)?;
    let department_id = d.department_id;
    if !egov_identity::allows(
        &caller.principal,
        Permission::PublishDocuments { department_id },
    ) {
        return Err(ApiError::forbidden());
    }
    documents::withdraw(
        &state.db,
        &caller.context,
        (department_id, Some(user.user_id)),
        id,
        &w.reason,
    )
    .await
    .map_err(errors::documents)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A request filed: its number, which the applicant follows on their cases.
#[derive(Debug, Serialize, ToSchema)]
pub struct Filed {
    pub number: String,
}

/// Files a request for government information with the agency named
/// (`department`, its code), as the signed-in caller: a case at once,
/// answered within 20 working days.
#[utoipa::path(post, operation_id = "disclosure_file", path = "/api/v1/disclosure/requests", tag = TAG_DISCLOSURE,
    request_body(content = Object, content_type = "application/json",
        description = "department, information (what is asked for, described so it can be found), applicant_kind (person, business, research, public_interest, legal_service, other), organization (for an organisation), form (paper, electronic), delivery (online, email, post, collect), address (for post)"),
    responses((status = 201, body = Filed),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn file(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(request): ApiJson<NewRequest>,
) -> Result<(StatusCode, ApiJson<Filed>), ApiError> {
    let user = require_user(&caller)?;
    if user.view_only {
        return Err(ApiError::forbidden());
    }
    let number = filing::file(
        &state.db,
        &caller.context,
        &state.processes,
        &state.calendar,
        (user.user_id, user.acting_enterprise()),
        request,
    )
    .await
    .map_err(errors::filing)?;
    Ok((StatusCode::CREATED, ApiJson(Filed { number })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// One agency's table, by its code; all agencies' when left out.
    pub department: Option<String>,
}

/// The annual report's table of requests received and handled
/// (收到和处理政府信息公开申请情况) for a year, by kind of applicant. For
/// anyone.
#[utoipa::path(get, operation_id = "disclosure_report", path = "/api/v1/disclosure/report/{year}", tag = TAG_DISCLOSURE,
    params(("year" = i32, Path, description = "The year"), ReportParams),
    responses((status = 200, body = Object), answers::BadRequest, answers::NotFound))]
pub async fn report(
    State(state): State<AppState>,
    ApiPath(year): ApiPath<i32>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> Result<ApiJson<AnnualTable>, ApiError> {
    let department = crate::report::department(&state, p.department.as_deref()).await?;
    Ok(ApiJson(
        report::annual(&state.db, year, department)
            .await
            .map_err(errors::report)?,
    ))
}
