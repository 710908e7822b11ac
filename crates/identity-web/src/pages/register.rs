//! Self-registration for citizens (real name, resident ID number, phone) and
//! enterprises (credit code, legal representative). Fields are validated at
//! the boundary; a refused form comes back with the message and the values.

use super::account::identity_message;
use super::{render, Chrome};
use crate::auth::MaybeUser;
use crate::context::{Lang, Origin};
use crate::i18n::translate;
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use egov_identity::{CitizenRegistration, EnterpriseRegistration, IdentityError};
use egov_kernel::identifier::{CreditCode, IdentifierError, MobileNumber, OrgCode, ResidentId};
use egov_kernel::{Actor, Context, Locale};
pub(super) use egov_web_kit::cookies::{form_token_matches, with_form_cookie};
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "register_choice.html")]
struct Choice {
    chrome: Chrome,
}

pub async fn choice(Lang(locale): Lang, MaybeUser(user): MaybeUser) -> Response {
    render(
        StatusCode::OK,
        &Choice {
            chrome: Chrome::new(locale, user, "/register"),
        },
    )
}

#[derive(Deserialize, Default, Clone)]
pub struct CitizenForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    real_name: String,
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Template)]
#[template(path = "register_citizen.html")]
struct CitizenPage {
    chrome: Chrome,
    csrf: String,
    form: CitizenForm,
    error: Option<String>,
}

/// The newest text message to `phone`: what a demo without an SMS gateway
/// shows on the page that asks for its code.
pub(super) async fn newest_text_to(
    state: &AppState,
    phone: Option<String>,
) -> Result<Option<String>, ApiError> {
    let Some(phone) = phone else { return Ok(None) };
    Ok(egov_identity::sms::outbox(&state.db, Some(&phone), 1)
        .await?
        .into_iter()
        .next()
        .map(|m| m.body))
}

fn citizen_page(
    state: &AppState,
    locale: Locale,
    status: StatusCode,
    form: CitizenForm,
    error: Option<String>,
) -> Response {
    let csrf = egov_identity::random_secret();
    let page = CitizenPage {
        chrome: Chrome::new(locale, None, "/register/citizen"),
        csrf: csrf.clone(),
        form,
        error,
    };
    with_form_cookie(state.settings.secure_cookies, &csrf, render(status, &page))
}

pub async fn citizen_form(State(state): State<AppState>, Lang(locale): Lang) -> Response {
    citizen_page(&state, locale, StatusCode::OK, CitizenForm::default(), None)
}

/// "身份证号码：校验位不正确" in the page's language.
pub(super) fn field_error(locale: Locale, field_key: &str, e: IdentifierError) -> String {
    let field = translate(locale, field_key);
    match locale {
        Locale::Zh => format!("{field}：{}", e.message_zh()),
        Locale::En => format!("{field}: {e}"),
    }
}

/// Registrations from one source address are limited (confirmation tries
/// are limited per ticket); past the limit the form is answered 429. A request whose
/// source is unknown (never through the server's listener) is not counted.
pub(super) fn rate_limited(state: &AppState, locale: Locale, origin: &Origin) -> Option<Response> {
    let source = origin.source.as_deref()?;
    if state.registrations.check_key(&source.to_owned()).is_ok() {
        return None;
    }
    let mut res = super::message_page(
        locale,
        StatusCode::TOO_MANY_REQUESTS,
        translate(locale, "register.limited.heading"),
        translate(locale, "register.limited.message"),
    );
    res.headers_mut().insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("600"),
    );
    Some(res)
}

/// Every registration taken goes on to the phone confirmation, whatever
/// became of it: the page does not tell a new account from a refused one.
fn to_confirm(pending: &egov_identity::confirmation::Pending) -> Response {
    Redirect::to(&format!("/register/confirm?t={}", pending.ticket)).into_response()
}

pub(super) fn anonymous(origin: Origin) -> Context {
    origin.context(Actor::Anonymous)
}

pub(super) type Refusal = (StatusCode, String);

/// What every registration form checks: the double-submit token and the
/// password typed twice.
pub(super) fn check_common(
    locale: Locale,
    headers: &HeaderMap,
    secure: bool,
    csrf: &str,
    password: &str,
    confirm: &str,
) -> Result<(), Refusal> {
    if !form_token_matches(headers, secure, csrf) {
        return Err((
            StatusCode::FORBIDDEN,
            translate(locale, "form.error.csrf").to_owned(),
        ));
    }
    if password != confirm {
        let msg = translate(locale, "password.error.mismatch").to_owned();
        return Err((StatusCode::UNPROCESSABLE_ENTITY, msg));
    }
    Ok(())
}

/// A national identifier from a form field, or the message naming the field.
fn field<T>(
    locale: Locale,
    label_key: &str,
    parsed: Result<T, IdentifierError>,
) -> Result<T, Refusal> {
    parsed.map_err(|e| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            field_error(locale, label_key, e),
        )
    })
}

pub async fn citizen(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    headers: HeaderMap,
    form: Result<Form<CitizenForm>, FormRejection>,
) -> Result<Response, ApiError> {
    if let Some(refused) = rate_limited(&state, locale, &origin) {
        return Ok(refused);
    }
    let Ok(Form(mut form)) = form else {
        let msg = translate(locale, "register.error.incomplete").to_owned();
        return Ok(citizen_page(
            &state,
            locale,
            StatusCode::UNPROCESSABLE_ENTITY,
            CitizenForm::default(),
            Some(msg),
        ));
    };
    let password = std::mem::take(&mut form.password);
    let confirm = std::mem::take(&mut form.confirm);
    let refuse = |form: CitizenForm, status, msg: String| {
        Ok(citizen_page(&state, locale, status, form, Some(msg)))
    };
    let checked = check_common(
        locale,
        &headers,
        state.settings.secure_cookies,
        &form.csrf,
        &password,
        &confirm,
    )
    .and_then(|()| {
        Ok(CitizenRegistration {
            username: form.username.clone(),
            real_name: form.real_name.clone(),
            resident_id: field(
                locale,
                "register.resident_id",
                ResidentId::parse(&form.resident_id),
            )?,
            phone: field(locale, "register.phone", MobileNumber::parse(&form.phone))?,
            password: SecretString::from(password.clone()),
        })
    });
    let reg = match checked {
        Ok(reg) => reg,
        Err((status, msg)) => return refuse(form, status, msg),
    };
    match egov_identity::register_citizen(&state.db, &anonymous(origin), reg).await {
        Ok(registered) => Ok(to_confirm(&registered.pending)),
        Err(IdentityError::Store(e)) => Err(ApiError::internal(e)),
        Err(e) => refuse(
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
            identity_message(locale, &e),
        ),
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct EnterpriseForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    legal_rep_name: String,
    #[serde(default)]
    legal_rep_id: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Template)]
#[template(path = "register_enterprise.html")]
struct EnterprisePage {
    chrome: Chrome,
    csrf: String,
    form: EnterpriseForm,
    error: Option<String>,
}

fn enterprise_page(
    state: &AppState,
    locale: Locale,
    status: StatusCode,
    form: EnterpriseForm,
    error: Option<String>,
) -> Response {
    let csrf = egov_identity::random_secret();
    let page = EnterprisePage {
        chrome: Chrome::new(locale, None, "/register/enterprise"),
        csrf: csrf.clone(),
        form,
        error,
    };
    with_form_cookie(state.settings.secure_cookies, &csrf, render(status, &page))
}

pub async fn enterprise_form(State(state): State<AppState>, Lang(locale): Lang) -> Response {
    enterprise_page(
        &state,
        locale,
        StatusCode::OK,
        EnterpriseForm::default(),
        None,
    )
}

pub async fn enterprise(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    headers: HeaderMap,
    form: Result<Form<EnterpriseForm>, FormRejection>,
) -> Result<Response, ApiError> {
    if let Some(refused) = rate_limited(&state, locale, &origin) {
        return Ok(refused);
    }
    let Ok(Form(mut form)) = form else {
        let msg = translate(locale, "register.error.incomplete").to_owned();
        return Ok(enterprise_page(
            &state,
            locale,
            StatusCode::UNPROCESSABLE_ENTITY,
            EnterpriseForm::default(),
            Some(msg),
        ));
    };
    let password = std::mem::take(&mut form.password);
    let confirm = std::mem::take(&mut form.confirm);
    let refuse = |form: EnterpriseForm, status, msg: String| {
        Ok(enterprise_page(&state, locale, status, form, Some(msg)))
    };
    let checked = check_common(
        locale,
        &headers,
        state.settings.secure_cookies,
        &form.csrf,
        &password,
        &confirm,
    )
    .and_then(|()| {
        // 18 characters: a credit code; 9 (or 10 with the hyphen): an old organisation code.
        let code = form.code.trim();
        let (credit_code, org_code) = if code.chars().filter(|c| *c != '-').count() == 9 {
            (
                None,
                Some(field(locale, "register.org_code", OrgCode::parse(code))?),
            )
        } else {
            (
                Some(field(
                    locale,
                    "register.credit_code",
                    CreditCode::parse(code),
                )?),
                None,
            )
        };
        Ok(EnterpriseRegistration {
            name: form.name.clone(),
            credit_code,
            org_code,
            legal_rep_name: form.legal_rep_name.clone(),
            legal_rep_id: field(
                locale,
                "register.legal_rep_id",
                ResidentId::parse(&form.legal_rep_id),
            )?,
            username: form.username.clone(),
            phone: field(locale, "register.phone", MobileNumber::parse(&form.phone))?,
            password: SecretString::from(password.clone()),
        })
    });
    let reg = match checked {
        Ok(reg) => reg,
        Err((status, msg)) => return refuse(form, status, msg),
    };
    match egov_identity::register_enterprise(&state.db, &anonymous(origin), reg).await {
        Ok((_, registered)) => Ok(to_confirm(&registered.pending)),
        Err(IdentityError::Store(e)) => Err(ApiError::internal(e)),
        Err(e) => refuse(
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
            identity_message(locale, &e),
        ),
    }
}

#[derive(Template)]
#[template(path = "register_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    csrf: String,
    ticket: String,
    phone_masked: String,
    /// A demo without an SMS gateway shows the message it would have sent.
    demo_message: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct TicketQuery {
    #[serde(default)]
    t: String,
}

async fn confirm_page(
    state: &AppState,
    locale: Locale,
    status: StatusCode,
    ticket: String,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let Some(phone_masked) = egov_identity::confirmation::pending(&state.db, &ticket)
        .await
        .map_err(ApiError::from_identity)?
    else {
        return Ok(super::message_page(
            locale,
            StatusCode::NOT_FOUND,
            translate(locale, "register.confirm.heading"),
            translate(locale, "register.confirm.expired"),
        ));
    };
    let demo_message = match state.settings.show_sms_in_page {
        false => None,
        true => {
            let phone = egov_identity::confirmation::phone_of(&state.db, &ticket)
                .await
                .map_err(ApiError::from_identity)?;
            newest_text_to(state, phone).await?
        }
    };
    let csrf = egov_identity::random_secret();
    let page = ConfirmPage {
        chrome: Chrome::new(locale, None, "/register/confirm"),
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

pub async fn confirm_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    axum::extract::Query(q): axum::extract::Query<TicketQuery>,
) -> Result<Response, ApiError> {
    confirm_page(&state, locale, StatusCode::OK, q.t, None).await
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    code: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    headers: HeaderMap,
    form: Result<Form<ConfirmForm>, FormRejection>,
) -> Result<Response, ApiError> {
    let Ok(Form(form)) = form else {
        return Ok(super::error_page(locale, StatusCode::BAD_REQUEST));
    };
    if !form_token_matches(&headers, state.settings.secure_cookies, &form.csrf) {
        let msg = translate(locale, "form.error.csrf").to_owned();
        return confirm_page(
            &state,
            locale,
            StatusCode::FORBIDDEN,
            form.ticket,
            Some(msg),
        )
        .await;
    }
    match egov_identity::confirmation::confirm(
        &state.db,
        &anonymous(origin),
        &form.ticket,
        &form.code,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/login?registered=1").into_response()),
        Err(e) => {
            let (status, message) = super::account::refusal(locale, e)?;
            confirm_page(&state, locale, status, form.ticket, Some(message)).await
        }
    }
}
