//! The search synonym list in the admin console: words people search with
//! and the words the guides use, one group per line (system administrators).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::{allows, Permission, Principal, SessionUser};
use egov_kernel::Locale;
use egov_services::search::{save_synonyms, synonyms, SearchSyncError};
use egov_web_kit::auth::page_caller;
use egov_web_kit::auth::{CheckedForm, PageUser, ADMIN_CONSOLE};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_message, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin_search.html")]
struct SynonymsPage {
    chrome: Chrome,
    body: String,
    error: Option<String>,
    saved: bool,
}

fn may(user: &SessionUser) -> bool {
    allows(
        &Principal::User(user.clone()),
        Permission::ManageReferenceData,
    )
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Query(q): Query<Saved>,
) -> Result<Response, ApiError> {
    if !may(&user) {
        return Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::FORBIDDEN,
        ));
    }
    let body = synonyms(&state.db).await?;
    Ok(page(
        locale,
        user,
        StatusCode::OK,
        body,
        None,
        q.saved.is_some(),
    ))
}

fn page(
    locale: Locale,
    user: SessionUser,
    status: StatusCode,
    body: String,
    error: Option<String>,
    saved: bool,
) -> Response {
    render(
        status,
        &SynonymsPage {
            chrome: Chrome::new(locale, Some(user), "/admin/search"),
            body,
            error,
            saved,
        },
    )
}

#[derive(Deserialize)]
pub struct SynonymsForm {
    #[serde(default)]
    body: String,
}

pub async fn save(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    CheckedForm(form): CheckedForm<SynonymsForm>,
) -> Result<Response, ApiError> {
    if !may(&user) {
        return Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::FORBIDDEN,
        ));
    }
    let caller = page_caller(&user, origin);
    match save_synonyms(&state.db, &caller.context, &form.body).await {
        Ok(_) => Ok(Redirect::to("/admin/search?saved=1").into_response()),
        Err(SearchSyncError::Search(e)) => {
            let e = ApiError::validation(
                format!("同义词表有误：{e}"),
                format!("the synonym list is not valid: {e}"),
            );
            let msg = error_message(locale, &e);
            Ok(page(locale, user, e.status, form.body, Some(msg), false))
        }
        Err(e) => Err(ApiError::internal(e)),
    }
}
