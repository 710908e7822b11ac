//! A department's seal in the admin console: shown, replaced by an upload
//! (a PNG the document engine can draw), or removed (system
//! administrators, who manage the organisation).

use super::{render, Chrome};
use crate::auth::{CheckedForm, PageUser, ADMIN_CONSOLE};
use crate::context::{Lang, Origin};
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::{allows, Permission, Principal, SessionUser};
use egov_kernel::{Actor, Locale};
use egov_org::{Department, OrgError};
use serde::Deserialize;

/// A scanned seal is a few tens of kilobytes; this leaves room for a
/// high-resolution scan and none for anything else.
const MAX_SEAL_BYTES: usize = 512 * 1024;

#[derive(Template)]
#[template(path = "admin_seal.html")]
struct SealPage {
    chrome: Chrome,
    department: Department,
    has_seal: bool,
    error: Option<String>,
    saved: bool,
}

fn may(user: &SessionUser) -> bool {
    allows(&Principal::User(user.clone()), Permission::ManageOrg)
}

/// The department, or the page to show instead (not allowed, not found).
async fn department(
    state: &AppState,
    locale: Locale,
    user: &SessionUser,
    code: &str,
) -> Result<Result<Department, Response>, ApiError> {
    if !may(user) {
        return Ok(Err(super::error_page(locale, StatusCode::FORBIDDEN)));
    }
    match egov_org::department(&state.db, code).await {
        Ok(d) => Ok(Ok(d)),
        Err(OrgError::DepartmentNotFound(_)) => {
            Ok(Err(super::error_page(locale, StatusCode::NOT_FOUND)))
        }
        Err(e) => Err(e.into()),
    }
}

async fn page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    department: Department,
    status: StatusCode,
    error: Option<String>,
    saved: bool,
) -> Result<Response, ApiError> {
    let has_seal = egov_org::seal(&state.db, department.id).await?.is_some();
    let path = format!("/admin/departments/{}/seal", department.code);
    Ok(render(
        status,
        &SealPage {
            chrome: Chrome::new(locale, Some(user), &path),
            department,
            has_seal,
            saved,
            error,
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(code): Path<String>,
    Query(q): Query<Shown>,
) -> Result<Response, ApiError> {
    let d = match department(&state, locale, &user, &code).await? {
        Ok(d) => d,
        Err(page) => return Ok(page),
    };
    let saved = q.saved.is_some();
    page(&state, locale, user, d, StatusCode::OK, None, saved).await
}

#[derive(Deserialize)]
pub struct Shown {
    saved: Option<u8>,
}

/// The stored image, for the page's preview.
pub async fn image(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let d = match department(&state, locale, &user, &code).await? {
        Ok(d) => d,
        Err(page) => return Ok(page),
    };
    let Some(png) = egov_org::seal(&state.db, d.id).await? else {
        return Ok(super::error_page(locale, StatusCode::NOT_FOUND));
    };
    let mut res = png.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

/// An upload replaces the seal once the image is one documents can carry.
pub async fn upload(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(code): Path<String>,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let d = match department(&state, locale, &user, &code).await? {
        Ok(d) => d,
        Err(page) => return Ok(page),
    };
    let posted = match egov_web_kit::upload::read(multipart, MAX_SEAL_BYTES, &["csrf"]).await {
        Ok(p) => p,
        Err(e) => {
            let msg = e.detail.map(|m| m.get(locale).to_owned());
            return page(&state, locale, user, d, e.status, msg, false).await;
        }
    };
    let Ok(caller) = egov_web_kit::auth::form_caller(&user, origin, posted.field("csrf")) else {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    };
    let bytes = posted.file.1;
    if let Err(e) = egov_documents::check_seal(&bytes) {
        tracing::info!(error = %e, "seal refused");
        let msg = match locale {
            Locale::Zh => format!(
                "印章图片须为可读的 PNG 文件（透明底），每边不超过 {} 像素",
                egov_documents::SEAL_MAX_PIXELS
            ),
            Locale::En => format!(
                "the seal must be a readable PNG (transparent ground), at most {} pixels each way",
                egov_documents::SEAL_MAX_PIXELS
            ),
        };
        return page(
            &state,
            locale,
            user,
            d,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(msg),
            false,
        )
        .await;
    }
    egov_org::set_seal(&state.db, &caller.context, &d.code, Some(bytes)).await?;
    Ok(Redirect::to(&format!("/admin/departments/{}/seal?saved=1", d.code)).into_response())
}

#[derive(Deserialize)]
pub struct RemoveForm {}

pub async fn remove(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(code): Path<String>,
    CheckedForm(_): CheckedForm<RemoveForm>,
) -> Result<Response, ApiError> {
    let d = match department(&state, locale, &user, &code).await? {
        Ok(d) => d,
        Err(page) => return Ok(page),
    };
    let ctx = origin.context(Actor::User(user.user_id));
    egov_org::set_seal(&state.db, &ctx, &d.code, None).await?;
    Ok(Redirect::to(&format!("/admin/departments/{}/seal", d.code)).into_response())
}
