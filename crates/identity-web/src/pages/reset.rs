//! A forgotten password: the account's name and confirmed phone or email,
//! then the code sent to it and a new password. The pages answer alike whether or
//! not the account exists.

use super::account::refusal;
use super::register::{
    anonymous, check_common, field_error, form_token_matches, newest_text_to, rate_limited,
    with_form_cookie,
};
use super::{render, Chrome};
use crate::context::{Lang, Origin};
use crate::i18n::translate;
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use egov_identity::password_reset::{self, ResetTo};
use egov_kernel::identifier::MobileNumber;
use egov_kernel::Locale;
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "reset_request.html")]
struct RequestPage {
    chrome: Chrome,
    csrf: String,
    username: String,
    phone: String,
    error: Option<String>,
}

fn request_page(
    state: &AppState,
    locale: Locale,
    status: StatusCode,
    username: String,
    phone: String,
    error: Option<String>,
) -> Response {
    let csrf = egov_identity::random_secret();
    let page = RequestPage {
        chrome: Chrome::new(locale, None, "/login/forgot"),
        csrf: csrf.clone(),
        username,
        phone,
        error,
    };
    with_form_cookie(state.settings.secure_cookies, &csrf, render(status, &page))
}

pub async fn request_form(State(state): State<AppState>, Lang(locale): Lang) -> Response {
    request_page(
        &state,
        locale,
        StatusCode::OK,
        String::new(),
        String::new(),
        None,
    )
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    phone: String,
}

pub async fn request(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    headers: HeaderMap,
    form: Result<Form<RequestForm>, FormRejection>,
) -> Result<Response, ApiError> {
    let Ok(Form(form)) = form else {
        return Ok(super::error_page(locale, StatusCode::BAD_REQUEST));
    };
    let again = |status, message: String| {
        Ok(request_page(
            &state,
            locale,
            status,
            form.username.clone(),
            form.phone.clone(),
            Some(message),
        ))
    };
    if !form_token_matches(&headers, state.settings.secure_cookies, &form.csrf) {
        return again(
            StatusCode::FORBIDDEN,
            translate(locale, "form.error.csrf").to_owned(),
        );
    }
    if form.username.trim().is_empty() {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            translate(locale, "reset.error.username").to_owned(),
        );
    }
    // The phone or the email address the account confirmed.
    let Some(to) = ResetTo::parse(&form.phone) else {
        let message = match MobileNumber::parse(form.phone.trim()) {
            Err(e) if !form.phone.contains('@') => field_error(locale, "register.phone", e),
            _ => translate(locale, "reset.error.contact").to_owned(),
        };
        return again(StatusCode::UNPROCESSABLE_ENTITY, message);
    };
    // Codes cost a text message each: limited per source like registrations.
    if let Some(limited) = rate_limited(&state, locale, &origin) {
        return Ok(limited);
    }
    let pending = password_reset::request(&state.db, &anonymous(origin), &form.username, &to)
        .await
        .map_err(ApiError::from_identity)?;
    Ok(Redirect::to(&format!("/login/reset?t={}", pending.ticket)).into_response())
}

#[derive(Template)]
#[template(path = "reset_code.html")]
struct CodePage {
    chrome: Chrome,
    csrf: String,
    ticket: String,
    phone_masked: String,
    demo_message: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct TicketQuery {
    #[serde(default)]
    t: String,
}

async fn code_page(
    state: &AppState,
    locale: Locale,
    status: StatusCode,
    ticket: String,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let Some(phone_masked) = password_reset::pending(&state.db, &ticket)
        .await
        .map_err(ApiError::from_identity)?
    else {
        return Ok(super::message_page(
            locale,
            StatusCode::NOT_FOUND,
            translate(locale, "reset.heading"),
            translate(locale, "reset.expired"),
        ));
    };
    let sent_to = match state.settings.show_sms_in_page || state.settings.show_email_in_page {
        false => None,
        true => password_reset::phone_of(&state.db, &ticket)
            .await
            .map_err(ApiError::from_identity)?,
    };
    let demo_message = match sent_to.as_deref().and_then(ResetTo::parse) {
        Some(ResetTo::Phone(phone)) if state.settings.show_sms_in_page => {
            newest_text_to(state, Some(phone.as_str().to_owned())).await?
        }
        Some(ResetTo::Email(email)) if state.settings.show_email_in_page => {
            egov_identity::contacts::newest_email_to(&state.db, &email).await?
        }
        _ => None,
    };
    let csrf = egov_identity::random_secret();
    let page = CodePage {
        chrome: Chrome::new(locale, None, "/login/forgot"),
        csrf: csrf.clone(),
        ticket,
        phone_masked,
        demo_message,
        error,
    };
    Ok(with_form_cookie(
        state.settings.secure_cookies,
        &csrf,
        render(status, &page),
    ))
}

pub async fn code_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    Query(q): Query<TicketQuery>,
) -> Result<Response, ApiError> {
    code_page(&state, locale, StatusCode::OK, q.t, None).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn complete(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Result<Response, ApiError> {
    let Ok(Form(form)) = form else {
        return Ok(super::error_page(locale, StatusCode::BAD_REQUEST));
    };
    let secure = state.settings.secure_cookies;
    if let Err((status, message)) = check_common(
        locale,
        &headers,
        secure,
        &form.csrf,
        &form.password,
        &form.confirm,
    ) {
        return code_page(&state, locale, status, form.ticket, Some(message)).await;
    }
    match password_reset::complete(
        &state.db,
        &anonymous(origin),
        &form.ticket,
        &form.code,
        SecretString::from(form.password),
    )
    .await
    {
        Ok(()) => Ok(super::message_page(
            locale,
            StatusCode::OK,
            translate(locale, "reset.done_heading"),
            translate(locale, "reset.done"),
        )),
        Err(e) => {
            let (status, message) = refusal(locale, e)?;
            code_page(&state, locale, status, form.ticket, Some(message)).await
        }
    }
}
