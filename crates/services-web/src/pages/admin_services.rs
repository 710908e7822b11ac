//! Service items in the admin console: the items of the departments the
//! administrator manages with where each stands, a form to load a guide
//! (a new item or a revision, a draft until published), and publishing and
//! withdrawing. The same functions as the API decide who may do what.

use crate::work::{change_item, load_guide};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::{allows, Permission, Principal, SessionUser};
use egov_kernel::Locale;
use egov_services::registry::{self, Browse};
use egov_web_kit::auth::page_caller;
use egov_web_kit::auth::{CheckedForm, PageUser, ADMIN_CONSOLE};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_message, localized, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::de::IgnoredAny;
use serde::Deserialize;

pub struct ItemRow {
    pub code: String,
    pub name: String,
    pub version: u32,
    pub status: &'static str,
    pub draft_version: Option<u32>,
    pub department: String,
}

#[derive(Template)]
#[template(path = "admin_services.html")]
struct ItemsPage {
    chrome: Chrome,
    items: Vec<ItemRow>,
    source: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

async fn page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    status: StatusCode,
    source: String,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<Response, ApiError> {
    let principal = Principal::User(user.clone());
    let all = Browse {
        all: true,
        ..Browse::default()
    };
    let names = crate::work::department_names(state).await?;
    let items = registry::browse(&state.db, &all)
        .await
        .map_err(crate::errors::registry_problem)?
        .into_iter()
        .filter(|i| {
            allows(
                &principal,
                Permission::ManageServiceItems {
                    department_id: Some(i.department_id),
                },
            )
        })
        .map(|i| ItemRow {
            department: names
                .get(&i.guide.department)
                .map(|(zh, en)| localized(locale, zh, en.as_deref()))
                .unwrap_or_default(),
            code: i.guide.code,
            name: localized(locale, &i.guide.name, i.guide.name_en.as_deref()),
            version: i.guide.version,
            status: i.status.as_str(),
            draft_version: i.draft_version,
        })
        .collect();
    Ok(render(
        status,
        &ItemsPage {
            chrome: Chrome::new(locale, Some(user), "/admin/services"),
            items,
            source,
            error,
            notice,
        },
    ))
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, ApiError> {
    let notice = match q.done.as_deref() {
        Some("loaded") => Some("items.done.loaded"),
        Some("published") => Some("items.done.published"),
        Some("withdrawn") => Some("items.done.withdrawn"),
        _ => None,
    };
    page(
        &state,
        locale,
        user,
        StatusCode::OK,
        String::new(),
        None,
        notice,
    )
    .await
}

#[derive(Deserialize)]
pub struct LoadForm {
    #[serde(default)]
    source: String,
}

pub async fn load(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    CheckedForm(form): CheckedForm<LoadForm>,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    match load_guide(&state, &caller, &form.source).await {
        Ok(_) => Ok(Redirect::to("/admin/services?done=loaded").into_response()),
        Err(e) if e.status.is_server_error() => Err(e),
        Err(e) => {
            let msg = error_message(locale, &e);
            page(&state, locale, user, e.status, form.source, Some(msg), None).await
        }
    }
}

async fn change(
    state: AppState,
    locale: Locale,
    origin: Origin,
    user: SessionUser,
    code: String,
    publish: bool,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    match change_item(&state, &caller, &code, publish).await {
        Ok(_) => {
            let done = if publish { "published" } else { "withdrawn" };
            Ok(Redirect::to(&format!("/admin/services?done={done}")).into_response())
        }
        Err(e) if e.status.is_server_error() => Err(e),
        Err(e) if e.status == StatusCode::FORBIDDEN => Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::FORBIDDEN,
        )),
        Err(e) => {
            let msg = error_message(locale, &e);
            page(
                &state,
                locale,
                user,
                e.status,
                String::new(),
                Some(msg),
                None,
            )
            .await
        }
    }
}

pub async fn publish(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(code): Path<String>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    change(state, locale, origin, user, code, true).await
}

pub async fn withdraw(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(code): Path<String>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    change(state, locale, origin, user, code, false).await
}
