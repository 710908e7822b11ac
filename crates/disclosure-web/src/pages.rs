//! The public pages: the documents on the list (newest first, or a search),
//! and one document with its history; a withdrawn one shows its record and
//! the reason, not its text.

use crate::work;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_disclosure::documents::{self, Document};
use egov_kernel::Locale;
use egov_web_kit::auth::MaybeUser;
use egov_web_kit::context::Lang;
use egov_web_kit::page::{encode_component, error_page, localized, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// A document as a line of the list or its own page.
pub(crate) struct Shown {
    pub id: i64,
    pub department: String,
    pub title: String,
    pub doc_number: String,
    pub issued_on: String,
    pub category: String,
    pub body: String,
    pub published: String,
    pub withdrawn: Option<(String, String)>,
}

pub(crate) fn category_name(locale: Locale, code: &str) -> String {
    documents::category(code).map_or_else(
        || code.to_owned(),
        |c| localized(locale, &c.name, Some(&c.name_en)),
    )
}

fn shown(chrome: &Chrome, directory: &egov_org::Directory, d: Document) -> Shown {
    let locale = chrome.locale;
    Shown {
        id: d.id,
        department: directory
            .department(d.department_id)
            .map_or_else(String::new, |x| x.name_in(locale).to_owned()),
        category: category_name(locale, &d.category),
        doc_number: d.doc_number.unwrap_or_default(),
        issued_on: d.issued_on.to_string(),
        published: chrome.beijing(&d.published_at),
        withdrawn: d
            .withdrawn_at
            .map(|at| (chrome.beijing(&at), d.withdrawn_reason.unwrap_or_default())),
        title: d.title,
        body: d.body,
    }
}

#[derive(Template)]
#[template(path = "disclosure_list.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    documents: Vec<Shown>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
    /// Signed in as a department's handler: the way to publish.
    may_publish: bool,
    /// Nobody signed in, a citizen or an enterprise: the way to request
    /// (staff accounts are for work, not for requests of their own).
    may_apply: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    offset: Option<i64>,
}

/// `GET /disclosure`: the documents on the list, or a search of them.
pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let q = query.q.unwrap_or_default().trim().to_owned();
    let offset = query.offset.unwrap_or(0).max(0);
    let (docs, total) = work::listed(&state, Some(&q), Some(offset), None).await?;
    let directory = egov_org::directory(&state.db).await?;
    let may_publish = user
        .as_ref()
        .is_some_and(|u| !work::publishing_departments(u).is_empty());
    let may_apply = user.as_ref().is_none_or(|u| {
        let principal = egov_identity::Principal::User(u.clone());
        egov_identity::allows(&principal, egov_identity::Permission::UseCitizenServices)
    });
    let chrome = Chrome::new(locale, user, "/disclosure");
    let href = |offset: i64| format!("/disclosure?q={}&offset={offset}", encode_component(&q));
    let page = ListPage {
        documents: docs
            .into_iter()
            .map(|d| shown(&chrome, &directory, d))
            .collect(),
        prev: (offset > 0).then(|| href((offset - work::PAGE).max(0))),
        next: (offset.saturating_add(work::PAGE) < total).then(|| href(offset + work::PAGE)),
        chrome,
        q,
        total,
        may_publish,
        may_apply,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "disclosure_document.html")]
struct DocumentPage {
    chrome: Chrome,
    d: Shown,
    /// The viewer may withdraw it (a handler of its department).
    may_withdraw: bool,
}

/// `GET /disclosure/documents/{id}`: one document and its history.
pub async fn document(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(d) = crate::work::document(&state, &id).await? else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let directory = egov_org::directory(&state.db).await?;
    let may_withdraw = d.withdrawn_at.is_none()
        && user
            .as_ref()
            .is_some_and(|u| work::publishing_departments(u).contains(&d.department_id));
    let chrome = Chrome::new(locale, user, format!("/disclosure/documents/{}", d.id));
    let d = shown(&chrome, &directory, d);
    let page = DocumentPage {
        chrome,
        d,
        may_withdraw,
    };
    Ok(render(StatusCode::OK, &page))
}
