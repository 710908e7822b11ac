//! API keys in the admin console (system administrators): list, create
//! (with an expiry), revoke. The key itself is shown once, at creation.

use super::{render, user_context, Chrome};
use crate::auth::{CheckedForm, FormRefused, PageUser, ADMIN_CONSOLE};
use crate::context::{Lang, Origin};
use crate::i18n::translate;
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::{allows, ApiKeyInfo, IdentityError, Permission, Principal, Scope, SessionUser};
use egov_kernel::Locale;
use serde::de::IgnoredAny;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin_keys.html")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<ApiKeyInfo>,
    scopes: Vec<&'static str>,
    error: Option<String>,
    created: Option<String>,
}

fn may(user: &SessionUser) -> bool {
    allows(&Principal::User(user.clone()), Permission::ManageClients)
}

async fn page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    status: StatusCode,
    error: Option<String>,
    created: Option<String>,
) -> Result<Response, ApiError> {
    let keys = egov_identity::list_api_keys(&state.db).await?;
    Ok(render(
        status,
        &KeysPage {
            chrome: Chrome::new(locale, Some(user), "/admin/api-keys"),
            keys,
            scopes: Scope::ALL.iter().map(|s| s.as_str()).collect(),
            error,
            created,
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
) -> Result<Response, ApiError> {
    if !may(&user) {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    }
    page(&state, locale, user, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
    /// One scope; a key with several is made at the command line.
    scope: String,
    /// Days until the key stops working; empty for never.
    #[serde(default)]
    expires_in_days: String,
}

pub async fn create(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    form: Result<CheckedForm<CreateForm>, FormRefused>,
) -> Result<Response, ApiError> {
    if !may(&user) {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    }
    let refuse = |user, message: String| {
        page(
            &state,
            locale,
            user,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message),
            None,
        )
    };
    let form = match form {
        Ok(CheckedForm(form)) => form,
        Err(FormRefused::Unreadable(_)) => {
            let msg = translate(locale, "register.error.incomplete").to_owned();
            return refuse(user, msg).await;
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    let Ok(scope) = form.scope.parse::<Scope>() else {
        let msg = translate(locale, "keys.error.scope").to_owned();
        return refuse(user, msg).await;
    };
    let expires = match form.expires_in_days.trim() {
        "" => None,
        days => match days.parse::<u16>() {
            Ok(d) if d > 0 => Some(egov_kernel::time::now() + chrono::Duration::days(i64::from(d))),
            _ => {
                let msg = translate(locale, "keys.error.days").to_owned();
                return refuse(user, msg).await;
            }
        },
    };
    let ctx = user_context(&user, origin);
    match egov_identity::create_api_key(&state.db, &ctx, &form.name, &[scope], expires).await {
        Ok(issued) => {
            page(
                &state,
                locale,
                user,
                StatusCode::CREATED,
                None,
                Some(issued.key),
            )
            .await
        }
        Err(e) => {
            let (_, message) = super::account::refusal(locale, e)?;
            refuse(user, message).await
        }
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(id): Path<i64>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    if !may(&user) {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    }
    match egov_identity::revoke_api_key(&state.db, &user_context(&user, origin), id).await {
        Ok(()) => Ok(Redirect::to("/admin/api-keys").into_response()),
        Err(IdentityError::NotFound) => Ok(super::error_page(locale, StatusCode::NOT_FOUND)),
        Err(e) => Err(ApiError::from_identity(e)),
    }
}
