//! How an account holder is told beyond the message centre: a confirmed
//! email address (a code sent to it), and the choice of text messages,
//! email and their language.

use super::account::refusal;
use super::{render, user_context, Chrome};
use crate::auth::{CheckedForm, PageUser, ACCOUNT};
use crate::context::{Lang, Origin};
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::contacts::{self, Preferences};
use egov_identity::SessionUser;
use egov_kernel::Locale;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account_notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    prefs: Preferences,
    error: Option<String>,
    saved: bool,
    /// The code emailed, shown in a demo with no mail server.
    demo_email: Option<String>,
}

struct Shown {
    status: StatusCode,
    error: Option<String>,
    saved: bool,
}

async fn page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    shown: Shown,
) -> Result<Response, ApiError> {
    let prefs = contacts::preferences(&state.db, user.user_id)
        .await
        .map_err(ApiError::from_identity)?;
    let demo_email = match (&prefs.email_pending, state.settings.show_email_in_page) {
        (Some(email), true) => contacts::newest_email_to(&state.db, email).await?,
        _ => None,
    };
    Ok(render(
        shown.status,
        &NotificationsPage {
            chrome: Chrome::new(locale, Some(user), "/account/notifications"),
            prefs,
            error: shown.error,
            saved: shown.saved,
            demo_email,
        },
    ))
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ACCOUNT>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, ApiError> {
    let shown = Shown {
        status: StatusCode::OK,
        error: None,
        saved: q.saved.is_some(),
    };
    page(&state, locale, user, shown).await
}

/// What a refused change shows: the page again with the reason.
async fn refused(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    e: egov_identity::IdentityError,
) -> Result<Response, ApiError> {
    let (status, message) = refusal(locale, e)?;
    let shown = Shown {
        status,
        error: Some(message),
        saved: false,
    };
    page(state, locale, user, shown).await
}

#[derive(Deserialize)]
pub struct ChannelsForm {
    #[serde(default)]
    by_sms: Option<String>,
    #[serde(default)]
    by_email: Option<String>,
    #[serde(default)]
    locale: String,
}

pub async fn save(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    CheckedForm(form): CheckedForm<ChannelsForm>,
) -> Result<Response, ApiError> {
    let ctx = user_context(&user, origin);
    let language = Locale::from_tag(&form.locale).unwrap_or(locale);
    let (by_sms, by_email) = (form.by_sms.is_some(), form.by_email.is_some());
    match contacts::set_preferences(&state.db, &ctx, user.user_id, by_sms, by_email, language).await
    {
        Ok(()) => Ok(Redirect::to("/account/notifications?saved=1").into_response()),
        Err(e) => refused(&state, locale, user, e).await,
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

pub async fn start_email(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    CheckedForm(form): CheckedForm<EmailForm>,
) -> Result<Response, ApiError> {
    let ctx = user_context(&user, origin);
    match contacts::start_email_confirmation(&state.db, &ctx, user.user_id, &form.email).await {
        Ok(()) => Ok(Redirect::to("/account/notifications#email-code").into_response()),
        Err(e) => refused(&state, locale, user, e).await,
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn confirm_email(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    CheckedForm(form): CheckedForm<CodeForm>,
) -> Result<Response, ApiError> {
    let ctx = user_context(&user, origin);
    match contacts::confirm_email(&state.db, &ctx, user.user_id, &form.code).await {
        Ok(_) => Ok(Redirect::to("/account/notifications?saved=1").into_response()),
        Err(e) => refused(&state, locale, user, e).await,
    }
}
