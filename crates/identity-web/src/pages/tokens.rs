//! Personal access tokens on the account pages: a citizen or an enterprise
//! account makes tokens for its own software (name, scopes, lifetime, the
//! password again), sees each once, lists and revokes them.

use super::account::refusal;
use super::{render, user_context, Chrome};
use crate::auth::{CheckedForm, FormRefused, PageUser, CITIZEN};
use crate::context::{Lang, Origin};
use crate::i18n::translate;
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::personal_token::{self, NewToken, PersonalTokenInfo, TokenScope};
use egov_identity::reauth::Proof;
use egov_identity::{IdentityError, SessionUser};
use egov_kernel::Locale;
use secrecy::SecretString;
use serde::de::IgnoredAny;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account_tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<PersonalTokenInfo>,
    lifetimes: [i64; 3],
    needs_code: bool,
    error: Option<String>,
    /// The token just made, shown this once.
    created: Option<String>,
}

impl TokensPage {
    fn day(&self, t: &egov_kernel::time::Timestamp) -> String {
        egov_kernel::time::beijing(*t)
            .format("%Y-%m-%d")
            .to_string()
    }
}

async fn page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    status: StatusCode,
    error: Option<String>,
    created: Option<String>,
) -> Result<Response, ApiError> {
    let tokens = personal_token::list(&state.db, user.user_id).await?;
    Ok(render(
        status,
        &TokensPage {
            needs_code: user.mfa_enabled,
            chrome: Chrome::new(locale, Some(user), "/account/tokens"),
            tokens,
            lifetimes: personal_token::LIFETIMES,
            error,
            created,
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<CITIZEN>,
) -> Result<Response, ApiError> {
    page(&state, locale, user, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
    #[serde(default)]
    read: Option<String>,
    #[serde(default)]
    write: Option<String>,
    days: i64,
    password: String,
    #[serde(default)]
    code: String,
}

pub async fn create(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    form: Result<CheckedForm<CreateForm>, FormRefused>,
) -> Result<Response, ApiError> {
    let form = match form {
        Ok(CheckedForm(form)) => form,
        Err(FormRefused::Unreadable(_)) => {
            let msg = translate(locale, "register.error.incomplete").to_owned();
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
    let scopes: Vec<TokenScope> = [
        (form.read.is_some(), TokenScope::Read),
        (form.write.is_some(), TokenScope::Write),
    ]
    .into_iter()
    .filter_map(|(chosen, scope)| chosen.then_some(scope))
    .collect();
    let ctx = user_context(&user, origin);
    let new = NewToken {
        name: &form.name,
        scopes: &scopes,
        days: form.days,
    };
    let proof = Proof {
        password: SecretString::from(form.password),
        code: Some(form.code),
    };
    match personal_token::create(&state.db, &ctx, &user, new, proof).await {
        Ok(issued) => {
            page(
                &state,
                locale,
                user,
                StatusCode::CREATED,
                None,
                Some(issued.token),
            )
            .await
        }
        Err(e) => {
            let (status, message) = refusal(locale, e)?;
            page(&state, locale, user, status, Some(message), None).await
        }
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    Path(id): Path<i64>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    let ctx = user_context(&user, origin);
    match personal_token::revoke(&state.db, &ctx, user.user_id, id).await {
        Ok(()) => Ok(Redirect::to("/account/tokens").into_response()),
        Err(IdentityError::NotFound) => Ok(super::error_page(locale, StatusCode::NOT_FOUND)),
        Err(e) => Err(ApiError::from_identity(e)),
    }
}
