//! Applying online: begin (or resume) a draft from an item's guide, attach
//! each material, write a note, file it once. Filing opens the case; the
//! applicant follows it on the case page.

use super::cases::form_caller;
use super::{error_message, render, Chrome};
use crate::auth::{PageUser, CITIZEN};
use crate::context::{Lang, Origin};
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use egov_identity::SessionUser;
use egov_kernel::Locale;
use egov_services::application::{self, AppFile, Application};
use egov_services::Guide;
use serde::Deserialize;

pub struct MaterialRow {
    pub index: usize,
    pub name: String,
    pub required: bool,
    pub later: bool,
    pub form: String,
    pub note: String,
    pub files: Vec<AppFile>,
}

#[derive(Template)]
#[template(path = "application.html")]
struct DraftPage {
    chrome: Chrome,
    a: Application,
    guide: Guide,
    materials: Vec<MaterialRow>,
    missing: Vec<String>,
    /// A fresh key per page: a double click on this form files once.
    key: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

async fn show(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    id: i64,
    status: StatusCode,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<Response, ApiError> {
    let a = match application::mine(&state.db, id, user.user_id).await {
        Ok(a) => a,
        Err(application::ApplicationError::NotFound) => {
            return Ok(super::error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => return Err(e.into()),
    };
    if let (false, Some(case_id)) = (a.is_draft(), a.case_id) {
        let case = egov_cases::get(&state.db, case_id).await?;
        return Ok(Redirect::to(&format!("/cases/{}", case.number)).into_response());
    }
    let guide = application::guide_of(&state.db, &a).await?;
    let files = application::files(&state.db, id).await?;
    let missing = application::missing(&guide, &files);
    let materials = guide
        .materials
        .iter()
        .enumerate()
        .map(|(i, m)| MaterialRow {
            index: i,
            name: m.name.clone(),
            required: m.required,
            later: m.later,
            form: m.form.clone(),
            note: m.note.clone(),
            files: files
                .iter()
                .filter(|f| f.material as usize == i)
                .cloned()
                .collect(),
        })
        .collect();
    Ok(render(
        status,
        &DraftPage {
            chrome: Chrome::new(locale, Some(user), format!("/applications/{id}")),
            a,
            guide,
            materials,
            missing,
            key: egov_identity::random_secret(),
            error,
            notice,
        },
    ))
}

/// Shows the draft again with a refusal, or passes a server error on.
async fn refused(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    id: i64,
    e: ApiError,
) -> Result<Response, ApiError> {
    if e.status.is_server_error() {
        return Err(e);
    }
    if e.status == StatusCode::NOT_FOUND {
        return Ok(super::error_page(locale, StatusCode::NOT_FOUND));
    }
    let msg = error_message(locale, &e);
    show(state, locale, user, id, e.status, Some(msg), None).await
}

fn back(id: i64, done: &str) -> Response {
    Redirect::to(&format!("/applications/{id}?done={done}")).into_response()
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Begins the applicant's draft for an item, or resumes it.
pub async fn begin(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    Path(code): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    let Ok(caller) = form_caller(&user, origin, &form.csrf) else {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    };
    let audience = match user.kind {
        egov_identity::UserKind::Enterprise => "法人",
        _ => "个人",
    };
    match application::draft(&state.db, &caller.context, &code, user.user_id, audience).await {
        Ok(a) => Ok(Redirect::to(&format!("/applications/{}", a.id)).into_response()),
        Err(application::ApplicationError::NotOffered)
        | Err(application::ApplicationError::Registry(_)) => {
            Ok(super::error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => {
            let e = ApiError::from(e);
            if e.status.is_server_error() {
                return Err(e);
            }
            let msg = error_message(locale, &e);
            Ok(super::message_page(
                locale,
                e.status,
                crate::i18n::translate(locale, "apply.heading"),
                &msg,
            ))
        }
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn draft(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<CITIZEN>,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, ApiError> {
    let notice = match q.done.as_deref() {
        Some("file") => Some("apply.done.file"),
        Some("note") => Some("apply.done.note"),
        _ => None,
    };
    show(&state, locale, user, id, StatusCode::OK, None, notice).await
}

/// A material's file: the form's CSRF field and material index travel in
/// the multipart body, checked before anything is stored.
pub async fn upload(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let max = state.settings.max_upload_bytes;
    let posted = match crate::upload::read(multipart, max, &["csrf", "material"]).await {
        Ok(p) => p,
        Err(e) => return refused(&state, locale, user, id, e).await,
    };
    let Ok(caller) = form_caller(&user, origin, posted.field("csrf")) else {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    };
    let material = posted
        .field("material")
        .parse::<usize>()
        .unwrap_or(usize::MAX);
    let (name, bytes) = posted.file;
    let result = application::add_file(
        &state.db,
        &caller.context,
        &state.files,
        id,
        user.user_id,
        material,
        &name,
        bytes,
        max,
    )
    .await;
    match result {
        Ok(_) => Ok(back(id, "file")),
        Err(e) => refused(&state, locale, user, id, e.into()).await,
    }
}

#[derive(Deserialize)]
pub struct NoteForm {
    csrf: String,
    #[serde(default)]
    note: String,
}

pub async fn note(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response, ApiError> {
    let Ok(caller) = form_caller(&user, origin, &form.csrf) else {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    };
    match application::save_note(&state.db, &caller.context, id, user.user_id, &form.note).await {
        Ok(()) => Ok(back(id, "note")),
        Err(e) => refused(&state, locale, user, id, e.into()).await,
    }
}

#[derive(Deserialize)]
pub struct SubmitForm {
    csrf: String,
    key: String,
}

/// Files the application; the applicant lands on the new case.
pub async fn submit(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    Path(id): Path<i64>,
    Form(form): Form<SubmitForm>,
) -> Result<Response, ApiError> {
    let Ok(caller) = form_caller(&user, origin, &form.csrf) else {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    };
    if form.key.len() < 16 || form.key.len() > 128 {
        return Ok(super::error_page(locale, StatusCode::BAD_REQUEST));
    }
    let cal = egov_calendar::load_calendar(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let result = application::submit(
        &state.db,
        &caller.context,
        &cal,
        &state.processes,
        id,
        user.user_id,
        &form.key,
    )
    .await;
    match result {
        Ok(case) => {
            Ok(Redirect::to(&format!("/cases/{}?done=opened", case.number)).into_response())
        }
        Err(e) => refused(&state, locale, user, id, e.into()).await,
    }
}
