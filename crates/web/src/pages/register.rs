//! Self-registration for citizens (real name, resident ID number, phone) and
//! enterprises (credit code, legal representative). Fields are validated at
//! the boundary; a refused form comes back with the message and the values.

use super::account::identity_message;
use super::{render, Chrome};
use crate::auth::{cookie, set_cookie, MaybeUser, FORM_COOKIE};
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

fn with_form_cookie(state: &AppState, csrf: &str, mut res: Response) -> Response {
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            FORM_COOKIE,
            csrf.to_owned(),
            None,
            state.settings.secure_cookies,
        ),
    );
    res
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
    with_form_cookie(state, &csrf, render(status, &page))
}

pub async fn citizen_form(State(state): State<AppState>, Lang(locale): Lang) -> Response {
    citizen_page(&state, locale, StatusCode::OK, CitizenForm::default(), None)
}

/// "身份证号码：校验位不正确" in the page's language.
fn field_error(locale: Locale, field_key: &str, e: IdentifierError) -> String {
    let field = translate(locale, field_key);
    match locale {
        Locale::Zh => format!("{field}：{}", e.message_zh()),
        Locale::En => format!("{field}: {e}"),
    }
}

fn anonymous(origin: Origin) -> Context {
    origin.context(Actor::Anonymous)
}

fn csrf_ok(headers: &HeaderMap, submitted: &str) -> bool {
    !submitted.is_empty() && cookie(headers, FORM_COOKIE).as_deref() == Some(submitted)
}

pub async fn citizen(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    headers: HeaderMap,
    form: Result<Form<CitizenForm>, FormRejection>,
) -> Result<Response, ApiError> {
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
    if !csrf_ok(&headers, &form.csrf) {
        return refuse(
            form,
            StatusCode::FORBIDDEN,
            translate(locale, "form.error.csrf").to_owned(),
        );
    }
    let resident_id = match ResidentId::parse(&form.resident_id) {
        Ok(id) => id,
        Err(e) => {
            return refuse(
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
                field_error(locale, "register.resident_id", e),
            )
        }
    };
    let phone = match MobileNumber::parse(&form.phone) {
        Ok(p) => p,
        Err(e) => {
            return refuse(
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
                field_error(locale, "register.phone", e),
            )
        }
    };
    if password != confirm {
        return refuse(
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
            translate(locale, "password.error.mismatch").to_owned(),
        );
    }
    let reg = CitizenRegistration {
        username: form.username.clone(),
        real_name: form.real_name.clone(),
        resident_id,
        phone,
        password: SecretString::from(password),
    };
    match egov_identity::register_citizen(&state.db, &anonymous(origin), reg).await {
        Ok(_) => Ok(Redirect::to("/login?registered=1").into_response()),
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
    with_form_cookie(state, &csrf, render(status, &page))
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
    if !csrf_ok(&headers, &form.csrf) {
        return refuse(
            form,
            StatusCode::FORBIDDEN,
            translate(locale, "form.error.csrf").to_owned(),
        );
    }
    // 18 characters: a credit code; 9 (or 10 with the hyphen): an old organisation code.
    let code = form.code.trim().to_owned();
    let (credit_code, org_code) = if code.chars().filter(|c| *c != '-').count() == 9 {
        match OrgCode::parse(&code) {
            Ok(c) => (None, Some(c)),
            Err(e) => {
                return refuse(
                    form,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    field_error(locale, "register.org_code", e),
                )
            }
        }
    } else {
        match CreditCode::parse(&code) {
            Ok(c) => (Some(c), None),
            Err(e) => {
                return refuse(
                    form,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    field_error(locale, "register.credit_code", e),
                )
            }
        }
    };
    let legal_rep_id = match ResidentId::parse(&form.legal_rep_id) {
        Ok(id) => id,
        Err(e) => {
            return refuse(
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
                field_error(locale, "register.legal_rep_id", e),
            )
        }
    };
    let phone = match MobileNumber::parse(&form.phone) {
        Ok(p) => p,
        Err(e) => {
            return refuse(
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
                field_error(locale, "register.phone", e),
            )
        }
    };
    if password != confirm {
        return refuse(
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
            translate(locale, "password.error.mismatch").to_owned(),
        );
    }
    let reg = EnterpriseRegistration {
        name: form.name.clone(),
        credit_code,
        org_code,
        legal_rep_name: form.legal_rep_name.clone(),
        legal_rep_id,
        username: form.username.clone(),
        phone,
        password: SecretString::from(password),
    };
    match egov_identity::register_enterprise(&state.db, &anonymous(origin), reg).await {
        Ok(_) => Ok(Redirect::to("/login?registered=1").into_response()),
        Err(IdentityError::Store(e)) => Err(ApiError::internal(e)),
        Err(e) => refuse(
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
            identity_message(locale, &e),
        ),
    }
}
