//! Single sign-on clients in the admin console (system administrators).

use super::{render, Chrome};
use crate::auth::{CheckedForm, FormRefused, PageUser, ADMIN_CONSOLE};
use crate::context::{Lang, Origin};
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use egov_identity::{allows, Permission, Principal, SessionUser};
use egov_kernel::{Actor, Locale};
use egov_oidc::client::{list_clients, Client};
use egov_oidc::keys::Alg;
use egov_oidc::{NewClient, OidcError};
use serde::de::IgnoredAny;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin_clients.html")]
struct ClientsPage {
    chrome: Chrome,
    clients: Vec<Client>,
    error: Option<String>,
    created: Option<(String, String)>,
}

async fn page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    status: StatusCode,
    error: Option<String>,
    created: Option<(String, String)>,
) -> Result<Response, ApiError> {
    let clients = list_clients(&state.db).await.map_err(ApiError::internal)?;
    Ok(render(
        status,
        &ClientsPage {
            chrome: Chrome::new(locale, Some(user), "/admin/clients"),
            clients,
            error,
            created,
        },
    ))
}

fn may(user: &SessionUser) -> bool {
    allows(&Principal::User(user.clone()), Permission::ManageClients)
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
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    #[serde(default)]
    backchannel_logout_uri: String,
    alg: String,
    /// An app without a secret (on a phone, in a browser).
    #[serde(default)]
    public: Option<String>,
    /// Ask PKCE of a confidential client too.
    #[serde(default)]
    require_pkce: Option<String>,
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
    let form = match form {
        Ok(CheckedForm(form)) => form,
        Err(FormRefused::Unreadable(_)) => {
            let msg = crate::i18n::translate(locale, "register.error.incomplete").to_owned();
            return page(
                &state,
                locale,
                user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(msg),
                None,
            )
            .await;
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    let lines = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let new = NewClient {
        name: form.name,
        redirect_uris: lines(&form.redirect_uris),
        post_logout_redirect_uris: lines(&form.post_logout_redirect_uris),
        id_token_alg: Alg::parse(&form.alg).unwrap_or(Alg::Rs256),
        public: form.public.is_some(),
        require_pkce: form.require_pkce.is_some(),
        backchannel_logout_uri: Some(form.backchannel_logout_uri.trim().to_owned())
            .filter(|u| !u.is_empty()),
    };
    let ctx = origin.context(Actor::User(user.user_id));
    match egov_oidc::create_client(&state.db, &ctx, new).await {
        Ok((client, secret)) => {
            page(
                &state,
                locale,
                user,
                StatusCode::CREATED,
                None,
                Some((client.client_id, secret)),
            )
            .await
        }
        Err(OidcError::Protocol { description, .. }) => {
            let msg = match locale {
                Locale::Zh => format!("应用信息不正确：{description}"),
                Locale::En => description,
            };
            page(
                &state,
                locale,
                user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(msg),
                None,
            )
            .await
        }
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// A new secret for a client, shown once; the old one stops working.
pub async fn rotate_secret(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    axum::extract::Path(client_id): axum::extract::Path<String>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    if !may(&user) {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    }
    let ctx = origin.context(Actor::User(user.user_id));
    match egov_oidc::rotate_secret(&state.db, &ctx, &client_id).await {
        Ok(secret) => {
            let shown = Some((client_id, secret));
            page(&state, locale, user, StatusCode::OK, None, shown).await
        }
        Err(e) => client_refused(locale, e),
    }
}

/// Removes a client and revokes every token it holds.
pub async fn delete(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    axum::extract::Path(client_id): axum::extract::Path<String>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    if !may(&user) {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    }
    let ctx = origin.context(Actor::User(user.user_id));
    match egov_oidc::delete_client(&state.db, &ctx, &client_id).await {
        Ok(()) => Ok(axum::response::Redirect::to("/admin/clients").into_response()),
        Err(e) => client_refused(locale, e),
    }
}

/// An unknown client is not found; anything else is the server's.
fn client_refused(locale: Locale, e: OidcError) -> Result<Response, ApiError> {
    match e {
        OidcError::Protocol { .. } => Ok(super::error_page(locale, StatusCode::NOT_FOUND)),
        e => Err(ApiError::internal(e)),
    }
}
