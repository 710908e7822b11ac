//! Signing in and out, and changing one's password.

use super::{render, safe_next, Chrome};
use crate::auth::{set_cookie, MaybeUser, PageUser, FORM_COOKIE, SESSION_COOKIE, SIGNED_IN};
use crate::context::{Lang, Origin};
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use egov_identity::{IdentityError, SignInError};
use egov_kernel::{Actor, Context, Locale};
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    username: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_page(
    state: &AppState,
    locale: Locale,
    status: StatusCode,
    next: String,
    username: String,
    error: Option<&'static str>,
) -> Response {
    // A fresh double-submit token for every form shown.
    let csrf = egov_identity::random_secret();
    let cookie = set_cookie(
        FORM_COOKIE,
        csrf.clone(),
        None,
        state.settings.secure_cookies,
    );
    let page = LoginPage {
        chrome: Chrome::new(locale, None, "/login"),
        csrf,
        next,
        username,
        error: error.map(|key| crate::i18n::translate(locale, key)),
    };
    let mut res = render(status, &page);
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

pub async fn login_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref(), "/workbench");
    if user.is_some() {
        return Redirect::to(&next).into_response();
    }
    login_page(&state, locale, StatusCode::OK, next, String::new(), None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, ApiError> {
    let Ok(Form(form)) = form else {
        return Ok(login_page(
            &state,
            locale,
            StatusCode::UNPROCESSABLE_ENTITY,
            "/workbench".into(),
            String::new(),
            Some("login.error.incomplete"),
        ));
    };
    let next = safe_next(form.next.as_deref(), "/workbench");
    let expected = crate::auth::cookie(&headers, FORM_COOKIE);
    if expected.as_deref() != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        return Ok(login_page(
            &state,
            locale,
            StatusCode::FORBIDDEN,
            next,
            form.username,
            Some("form.error.csrf"),
        ));
    }
    if form.username.trim().is_empty() || form.password.is_empty() {
        return Ok(login_page(
            &state,
            locale,
            StatusCode::UNPROCESSABLE_ENTITY,
            next,
            form.username,
            Some("login.error.incomplete"),
        ));
    }
    let ctx = Context {
        actor: Actor::Anonymous,
        source: origin.source,
        request_id: origin.request_id,
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    match egov_identity::sign_in(
        &state.db,
        &ctx,
        &form.username,
        SecretString::from(form.password),
        user_agent,
    )
    .await
    {
        Ok((token, user)) => {
            let target = if user.must_change_password {
                "/account/password".to_owned()
            } else {
                next
            };
            let mut res = Redirect::to(&target).into_response();
            let secure = state.settings.secure_cookies;
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, token, None, secure),
            );
            h.append(header::SET_COOKIE, clear(FORM_COOKIE, secure));
            Ok(res)
        }
        Err(SignInError::BadCredentials) => Ok(login_page(
            &state,
            locale,
            StatusCode::UNAUTHORIZED,
            next,
            form.username,
            Some("login.error.credentials"),
        )),
        Err(SignInError::Store(e)) => Err(ApiError::internal(e)),
    }
}

fn clear(name: &'static str, secure: bool) -> HeaderValue {
    set_cookie(
        name,
        String::new(),
        Some(cookie::time::Duration::ZERO),
        secure,
    )
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    headers: HeaderMap,
    MaybeUser(user): MaybeUser,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, ApiError> {
    let Some(user) = user else {
        return Ok(Redirect::to("/").into_response());
    };
    let token_ok = matches!(&form, Ok(Form(f)) if f.csrf == user.csrf_token);
    if !token_ok {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    }
    if let Some(token) = crate::auth::cookie(&headers, SESSION_COOKIE) {
        let ctx = Context {
            actor: Actor::User(user.user_id),
            source: origin.source,
            request_id: origin.request_id,
        };
        egov_identity::end_session(&state.db, &ctx, &token).await?;
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        clear(SESSION_COOKIE, state.settings.secure_cookies),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    must_change: bool,
    error: Option<&'static str>,
}

pub async fn password_form(Lang(locale): Lang, PageUser(user): PageUser<SIGNED_IN>) -> Response {
    let must_change = user.must_change_password;
    render(
        StatusCode::OK,
        &PasswordPage {
            chrome: Chrome::new(locale, Some(user), "/account/password"),
            must_change,
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new_password: String,
    confirm: String,
    csrf: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<SIGNED_IN>,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Result<Response, ApiError> {
    let must_change = user.must_change_password;
    let show = |user, status, key: &'static str| {
        render(
            status,
            &PasswordPage {
                chrome: Chrome::new(locale, Some(user), "/account/password"),
                must_change,
                error: Some(crate::i18n::translate(locale, key)),
            },
        )
    };
    let Ok(Form(form)) = form else {
        return Ok(show(
            user,
            StatusCode::UNPROCESSABLE_ENTITY,
            "password.error.incomplete",
        ));
    };
    if form.csrf != user.csrf_token {
        return Ok(show(user, StatusCode::FORBIDDEN, "form.error.csrf"));
    }
    if form.new_password != form.confirm {
        return Ok(show(
            user,
            StatusCode::UNPROCESSABLE_ENTITY,
            "password.error.mismatch",
        ));
    }
    let ctx = Context {
        actor: Actor::User(user.user_id),
        source: origin.source,
        request_id: origin.request_id,
    };
    match egov_identity::change_password(
        &state.db,
        &ctx,
        user.user_id,
        SecretString::from(form.current),
        SecretString::from(form.new_password),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(if user.is_admin {
            "/admin"
        } else {
            "/workbench"
        })
        .into_response()),
        Err(IdentityError::WrongPassword) => Ok(show(
            user,
            StatusCode::UNPROCESSABLE_ENTITY,
            "password.error.current",
        )),
        Err(IdentityError::Invalid(_)) => Ok(show(
            user,
            StatusCode::UNPROCESSABLE_ENTITY,
            "password.error.length",
        )),
        Err(IdentityError::UsernameTaken(_)) => unreachable!("no user name change here"),
        Err(IdentityError::Store(e)) => Err(ApiError::internal(e)),
    }
}
