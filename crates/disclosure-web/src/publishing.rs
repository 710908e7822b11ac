//! A department's publication of documents on a page, and their
//! withdrawal from the document's page. What does not check is shown
//! again as typed, with the message; nothing is stored.

use crate::errors;
use crate::pages::category_name;
use crate::work::publishing_departments;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_disclosure::documents::{self, DocumentError, NewDocument};
use egov_identity::SessionUser;
use egov_kernel::Locale;
use egov_web_kit::auth::{page_caller, CheckedForm, PageUser, WORKBENCH};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_message, error_page, message_page, render_form, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// The publication form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    department: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    doc_number: String,
    #[serde(default)]
    issued_on: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    body: String,
}

#[derive(Template)]
#[template(path = "disclosure_publish.html")]
struct PublishPage {
    chrome: Chrome,
    /// `(code, name)` of the departments the user publishes for.
    departments: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    f: PublishForm,
    error: Option<String>,
    /// The field the error is about, focused and marked.
    field: Option<&'static str>,
}

fn page(
    directory: &egov_org::Directory,
    locale: Locale,
    user: SessionUser,
    f: PublishForm,
    error: Option<(String, Option<&'static str>)>,
) -> Response {
    let departments = publishing_departments(&user)
        .into_iter()
        .filter_map(|id| directory.department(id))
        .map(|d| (d.code.clone(), d.name_in(locale).to_owned()))
        .collect();
    let categories = documents::categories()
        .iter()
        .map(|c| (c.code.clone(), category_name(locale, &c.code)))
        .collect();
    let (error, field) = match error {
        Some((message, field)) => (Some(message), field),
        None => (None, None),
    };
    let page = PublishPage {
        chrome: Chrome::new(locale, Some(user), "/disclosure/publish"),
        departments,
        categories,
        f,
        error,
        field,
    };
    render_form(page.error.is_some(), &page)
}

/// `GET /disclosure/publish`: the form, for a department's handlers.
pub async fn form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
) -> Result<Response, ApiError> {
    if publishing_departments(&user).is_empty() {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let directory = egov_org::directory(&state.db).await?;
    let f = PublishForm {
        issued_on: egov_kernel::time::beijing_today().to_string(),
        ..PublishForm::default()
    };
    Ok(page(&directory, locale, user, f, None))
}

/// `POST /disclosure/publish`: published (on to its page), or the form again.
pub async fn publish(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    CheckedForm(f): CheckedForm<PublishForm>,
) -> Result<Response, ApiError> {
    let directory = egov_org::directory(&state.db).await?;
    let department_id = directory
        .by_code(f.department.trim())
        .map(|d| d.id)
        .filter(|id| publishing_departments(&user).contains(id));
    let Some(department_id) = department_id else {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    };
    let caller = page_caller(&user, origin);
    let new = NewDocument {
        title: f.title.clone(),
        doc_number: Some(f.doc_number.clone()),
        issued_on: f.issued_on.clone(),
        category: f.category.clone(),
        body: f.body.clone(),
    };
    let published = documents::publish(
        &state.db,
        &caller.context,
        department_id,
        Some(user.user_id),
        new,
    )
    .await;
    match published {
        Ok(id) => Ok(Redirect::to(&format!("/disclosure/documents/{id}")).into_response()),
        Err(DocumentError::Store(e)) => Err(e.into()),
        Err(e) => {
            let field = e.field();
            let message = error_message(locale, &errors::documents(e));
            Ok(page(&directory, locale, user, f, Some((message, field))))
        }
    }
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    reason: String,
}

/// `POST /disclosure/documents/{id}/withdraw`: withdrawn with the reason,
/// back to the document's page, which shows it.
pub async fn withdraw(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(id): Path<String>,
    CheckedForm(f): CheckedForm<WithdrawForm>,
) -> Result<Response, ApiError> {
    let Some(d) = crate::work::document(&state, &id).await? else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    if !publishing_departments(&user).contains(&d.department_id) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let caller = page_caller(&user, origin);
    let at = (d.department_id, Some(user.user_id));
    match documents::withdraw(&state.db, &caller.context, at, d.id, &f.reason).await {
        Ok(()) => Ok(Redirect::to(&format!("/disclosure/documents/{}", d.id)).into_response()),
        Err(DocumentError::Store(e)) => Err(e.into()),
        Err(e) => {
            let problem = errors::documents(e);
            Ok(message_page(
                locale,
                problem.status,
                egov_web_kit::i18n::translate(locale, "disclosure.withdraw.heading"),
                &error_message(locale, &problem),
            ))
        }
    }
}
