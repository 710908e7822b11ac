//! Signing in (password, then the second factor when enrolled) and out,
//! and the account pages: password, second factor, sessions.

use super::{render, safe_next, user_context, Chrome};
use crate::auth::{
    cookie, set_cookie, CheckedForm, FormRefused, HalfSignedIn, MaybeUser, PageUser, ACCOUNT,
    FORM_COOKIE, SESSION_COOKIE, SETUP,
};
use crate::context::{Lang, Origin};
use crate::i18n::translate;
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use egov_identity::notice::Notice;
use egov_identity::reauth::Proof;
use egov_identity::totp::qr_svg;
use egov_identity::{
    IdentityError, SecondFactorError, SessionInfo, SessionUser, SignIn, SignInError,
};
use egov_kernel::{Actor, Locale};
use secrecy::SecretString;
use serde::de::IgnoredAny;
use serde::Deserialize;

fn clear(name: &'static str, secure: bool) -> HeaderValue {
    set_cookie(
        name,
        String::new(),
        Some(cookie::time::Duration::ZERO),
        secure,
    )
}

/// A message in the page's language for an identity error shown on a form.
pub fn identity_message(locale: Locale, e: &IdentityError) -> String {
    match (e, locale) {
        (IdentityError::Invalid { zh, .. }, Locale::Zh) => zh.clone(),
        (IdentityError::Invalid { en, .. }, Locale::En) => en.clone(),
        (IdentityError::WeakPassword(p), Locale::Zh) => p.message_zh(),
        (IdentityError::WeakPassword(p), Locale::En) => p.message_en(),
        (IdentityError::UsernameTaken(u), Locale::Zh) => format!("用户名 {u} 已被使用"),
        (IdentityError::ResidentIdTaken, Locale::Zh) => "该身份证号码已注册".to_owned(),
        (IdentityError::EnterpriseTaken, Locale::Zh) => "该企业已注册".to_owned(),
        (IdentityError::WrongPassword, _) => translate(locale, "password.error.current").to_owned(),
        (IdentityError::NotFound, Locale::Zh) => "账户不存在".to_owned(),
        (IdentityError::Forbidden, _) => translate(locale, "error.forbidden.message").to_owned(),
        (IdentityError::Locked(until), _) => locked_message(locale, *until),
        (IdentityError::Busy(_), _) => translate(locale, "error.busy.message").to_owned(),
        (IdentityError::Store(_) | IdentityError::Keyring(_), _) => {
            translate(locale, "error.other.message").to_owned()
        }
        (other, Locale::En) => other.to_string(),
    }
}

/// "Locked; try again in N minutes".
pub fn locked_message(locale: Locale, until: egov_kernel::time::Timestamp) -> String {
    let minutes = ((until - egov_kernel::time::now()).num_seconds() + 59) / 60;
    translate(locale, "login.error.locked").replace("{minutes}", &minutes.max(1).to_string())
}

/// How a refused identity change is shown on its form: the status and the
/// message. A store failure is the server's and becomes an error page.
pub fn refusal(locale: Locale, e: IdentityError) -> Result<(StatusCode, String), ApiError> {
    let status = match &e {
        IdentityError::Store(_) | IdentityError::Keyring(_) => {
            return Err(ApiError::from_identity(e))
        }
        IdentityError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        IdentityError::Locked(_) => StatusCode::TOO_MANY_REQUESTS,
        IdentityError::Forbidden => StatusCode::FORBIDDEN,
        IdentityError::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok((status, identity_message(locale, &e)))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// A sign-in page's own address with where it goes next, so switching the
/// language comes back to the same step of the same journey.
fn coming_back(page: &str, next: &str) -> String {
    format!("{page}?next={}", super::encode_component(next))
}

async fn login_page(
    state: &AppState,
    locale: Locale,
    status: StatusCode,
    next: String,
    username: String,
    error: Option<String>,
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
        // Switching the language comes back to this form, still on its way.
        chrome: Chrome::new(locale, None, coming_back("/login", &next)),
        csrf,
        next,
        username,
        error,
    };
    let mut res = render(status, &page);
    res.headers_mut().append(header::SET_COOKIE, cookie);
    crate::sso::allow_return_through(state, &page.next, &mut res).await;
    res
}

pub async fn login_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = match safe_next(q.next.as_deref(), "/account") {
        Ok(next) => next,
        Err(bad) => return bad.page(locale),
    };
    if user.is_some() {
        return Redirect::to(&next).into_response();
    }
    login_page(&state, locale, StatusCode::OK, next, String::new(), None).await
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
    let t = |key| Some(translate(locale, key).to_owned());
    let Ok(Form(form)) = form else {
        return Ok(login_page(
            &state,
            locale,
            StatusCode::UNPROCESSABLE_ENTITY,
            "/account".into(),
            String::new(),
            t("login.error.incomplete"),
        )
        .await);
    };
    let next = match safe_next(form.next.as_deref(), "/account") {
        Ok(next) => next,
        Err(bad) => return Ok(bad.page(locale)),
    };
    let expected = cookie(&headers, FORM_COOKIE, state.settings.secure_cookies);
    if form.csrf.is_empty() || expected.as_deref() != Some(form.csrf.as_str()) {
        return Ok(login_page(
            &state,
            locale,
            StatusCode::FORBIDDEN,
            next,
            form.username,
            t("form.error.csrf"),
        )
        .await);
    }
    if form.username.trim().is_empty() || form.password.is_empty() {
        return Ok(login_page(
            &state,
            locale,
            StatusCode::UNPROCESSABLE_ENTITY,
            next,
            form.username,
            t("login.error.incomplete"),
        )
        .await);
    }
    let ctx = origin.context(Actor::Anonymous);
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let secure = state.settings.secure_cookies;
    let outcome = egov_identity::sign_in(
        &state.db,
        &ctx,
        &form.username,
        SecretString::from(form.password),
        user_agent,
    )
    .await;
    let (token, target) = match outcome {
        Ok(SignIn::Complete { token, user }) => {
            let target = match user.pending_setup() {
                Some(setup) => crate::auth::setup_path(setup).to_owned(),
                None if user.kind == egov_identity::UserKind::Staff && next == "/account" => {
                    "/workbench".to_owned()
                }
                None => next,
            };
            (token, target)
        }
        Ok(SignIn::SecondFactor { token }) => (
            token,
            format!("/login/mfa?next={}", super::encode_component(&next)),
        ),
        Err(SignInError::BadCredentials) => {
            return Ok(login_page(
                &state,
                locale,
                // Not 401: that status promises an HTTP authentication challenge.
                StatusCode::UNPROCESSABLE_ENTITY,
                next,
                form.username,
                t("login.error.credentials"),
            )
            .await);
        }
        Err(SignInError::Locked(until)) => {
            return Ok(login_page(
                &state,
                locale,
                StatusCode::TOO_MANY_REQUESTS,
                next,
                form.username,
                Some(locked_message(locale, until)),
            )
            .await);
        }
        Err(SignInError::Unconfirmed(pending)) => {
            return Ok(
                Redirect::to(&format!("/register/confirm?t={}", pending.ticket)).into_response(),
            );
        }
        Err(SignInError::Busy(_)) => {
            return Ok(login_page(
                &state,
                locale,
                StatusCode::SERVICE_UNAVAILABLE,
                next,
                form.username,
                t("error.busy.message"),
            )
            .await);
        }
        Err(SignInError::Store(e)) => return Err(e.into()),
    };
    let mut res = Redirect::to(&target).into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, token, None, secure),
    );
    h.append(header::SET_COOKIE, clear(FORM_COOKIE, secure));
    Ok(res)
}

#[derive(Template)]
#[template(path = "login_mfa.html")]
struct MfaPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    error: Option<String>,
}

pub async fn mfa_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    HalfSignedIn(user): HalfSignedIn,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = match safe_next(q.next.as_deref(), "/account") {
        Ok(next) => next,
        Err(bad) => return bad.page(locale),
    };
    let mut res = render(
        StatusCode::OK,
        &MfaPage {
            chrome: Chrome::new(locale, None, coming_back("/login/mfa", &next)),
            csrf: user.csrf_token,
            next: next.clone(),
            error: None,
        },
    );
    crate::sso::allow_return_through(&state, &next, &mut res).await;
    res
}

#[derive(Deserialize)]
pub struct MfaForm {
    code: String,
    csrf: String,
    next: Option<String>,
}

pub async fn mfa(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    headers: HeaderMap,
    HalfSignedIn(user): HalfSignedIn,
    form: Result<Form<MfaForm>, FormRejection>,
) -> Result<Response, ApiError> {
    let Ok(Form(form)) = form else {
        return Ok(Redirect::to("/login/mfa").into_response());
    };
    let next = match safe_next(form.next.as_deref(), "/account") {
        Ok(next) => next,
        Err(bad) => return Ok(bad.page(locale)),
    };
    let policy = crate::sso::return_policy(&state, &next).await;
    let show = |status, message: String| {
        let mut res = render(
            status,
            &MfaPage {
                chrome: Chrome::new(locale, None, coming_back("/login/mfa", &next)),
                csrf: user.csrf_token.clone(),
                next: next.clone(),
                error: Some(message),
            },
        );
        if let Some(policy) = &policy {
            res.headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, policy.clone());
        }
        res
    };
    let t = |key| translate(locale, key).to_owned();
    if form.csrf != user.csrf_token {
        return Ok(show(StatusCode::FORBIDDEN, t("form.error.csrf")));
    }
    let token = cookie(&headers, SESSION_COOKIE, state.settings.secure_cookies).unwrap_or_default();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let ctx = user_context(&user, origin);
    match egov_identity::complete_second_factor(&state.db, &ctx, &token, &form.code, user_agent)
        .await
    {
        Ok((new_token, user)) => {
            let target = match user.pending_setup() {
                Some(setup) => crate::auth::setup_path(setup).to_owned(),
                None if user.kind == egov_identity::UserKind::Staff && next == "/account" => {
                    "/workbench".to_owned()
                }
                None => next,
            };
            let mut res = Redirect::to(&target).into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    new_token,
                    None,
                    state.settings.secure_cookies,
                ),
            );
            Ok(res)
        }
        Err(SecondFactorError::WrongCode) => {
            Ok(show(StatusCode::UNPROCESSABLE_ENTITY, t("mfa.error.code")))
        }
        Err(SecondFactorError::Locked(until)) => Ok(show(
            StatusCode::TOO_MANY_REQUESTS,
            translate(locale, "mfa.error.locked").replace(
                "{minutes}",
                &(((until - egov_kernel::time::now()).num_seconds() + 59) / 60)
                    .max(1)
                    .to_string(),
            ),
        )),
        Err(SecondFactorError::Expired) => Ok(Redirect::to("/login").into_response()),
        Err(SecondFactorError::Identity(e)) => {
            let (status, message) = refusal(locale, e)?;
            Ok(show(status, message))
        }
    }
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
    if !matches!(&form, Ok(Form(f)) if f.csrf == user.csrf_token) {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE, state.settings.secure_cookies) {
        egov_identity::end_session(&state.db, &user_context(&user, origin), &token).await?;
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
    /// Ask for a second-factor code too.
    needs_code: bool,
    error: Option<String>,
}

pub async fn password_form(Lang(locale): Lang, PageUser(user): PageUser<SETUP>) -> Response {
    render(
        StatusCode::OK,
        &PasswordPage {
            must_change: user.must_change_password,
            needs_code: user.mfa_enabled,
            chrome: Chrome::new(locale, Some(user), "/account/password"),
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new_password: String,
    confirm: String,
    #[serde(default)]
    code: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    headers: HeaderMap,
    PageUser(user): PageUser<SETUP>,
    form: Result<CheckedForm<PasswordForm>, FormRefused>,
) -> Result<Response, ApiError> {
    let must_change = user.must_change_password;
    let needs_code = user.mfa_enabled;
    let show = |user, status, message: String| {
        render(
            status,
            &PasswordPage {
                chrome: Chrome::new(locale, Some(user), "/account/password"),
                must_change,
                needs_code,
                error: Some(message),
            },
        )
    };
    let t = |key| translate(locale, key).to_owned();
    let form = match form {
        Ok(CheckedForm(form)) => form,
        Err(FormRefused::Unreadable(_)) => {
            return Ok(show(
                user,
                StatusCode::UNPROCESSABLE_ENTITY,
                t("password.error.incomplete"),
            ));
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    if form.new_password != form.confirm {
        return Ok(show(
            user,
            StatusCode::UNPROCESSABLE_ENTITY,
            t("password.error.mismatch"),
        ));
    }
    let ctx = user_context(&user, origin);
    let token = cookie(&headers, SESSION_COOKIE, state.settings.secure_cookies);
    let proof = Proof {
        password: SecretString::from(form.current),
        code: Some(form.code),
    };
    match egov_identity::change_password(
        &state.db,
        &ctx,
        user.user_id,
        token.as_deref(),
        proof,
        SecretString::from(form.new_password),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(e) => {
            let (status, message) = refusal(locale, e)?;
            Ok(show(user, status, message))
        }
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    sessions: Vec<SessionInfo>,
    notices: Vec<Notice>,
    mfa_enabled: bool,
    kind_label: &'static str,
    /// The single sign-on applications the holder has let in.
    apps: Vec<AppConsent>,
    /// For whom an enterprise account acts: its name, credit code and the
    /// holder's part in it.
    enterprise: Option<EnterpriseFacts>,
}

struct EnterpriseFacts {
    name: String,
    code: String,
    role: &'static str,
}

struct AppConsent {
    client_id: String,
    name: String,
    scopes: String,
    granted_at: String,
}

pub async fn account(
    State(state): State<AppState>,
    Lang(locale): Lang,
    headers: HeaderMap,
    PageUser(user): PageUser<ACCOUNT>,
) -> Result<Response, ApiError> {
    let token = cookie(&headers, SESSION_COOKIE, state.settings.secure_cookies).unwrap_or_default();
    let sessions = egov_identity::list_sessions(&state.db, user.user_id, &token).await?;
    let notices = egov_identity::notice::unread(&state.db, user.user_id).await?;
    let kind_label = translate(locale, &format!("account.kinds.{}", user.kind.as_str()));
    let apps = egov_oidc::consent::of_user(&state.db, user.user_id)
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|c| AppConsent {
            scopes: crate::sso::scope_labels(locale, &c.scope).join("；"),
            client_id: c.client_id,
            name: c.client_name,
            granted_at: egov_web_kit::page::beijing_marked(locale, c.granted_at),
        })
        .collect();
    let enterprise = match user.enterprise_id {
        Some(_) => {
            let record = egov_identity::get_user(&state.db, user.user_id)
                .await
                .map_err(ApiError::from_identity)?;
            Some(EnterpriseFacts {
                name: record.enterprise_name.unwrap_or_default(),
                code: record.enterprise_code.unwrap_or_default(),
                role: translate(
                    locale,
                    match record.enterprise_role.as_deref() {
                        Some("legal_rep") => "account.legal_rep",
                        _ => "account.operator",
                    },
                ),
            })
        }
        None => None,
    };
    Ok(render(
        StatusCode::OK,
        &AccountPage {
            mfa_enabled: user.mfa_enabled,
            chrome: Chrome::new(locale, Some(user), "/account"),
            sessions,
            notices,
            kind_label,
            apps,
            enterprise,
        },
    ))
}

/// The holder withdraws an application's access: it asks again next time,
/// and the tokens it holds for them stop working.
pub async fn withdraw_consent(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    axum::extract::Path(client_id): axum::extract::Path<String>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    let ctx = user_context(&user, origin);
    match egov_oidc::consent::withdraw(&state.db, &ctx, user.user_id, &client_id).await {
        Ok(true) => Ok(Redirect::to("/account#apps-heading").into_response()),
        Ok(false) => Ok(super::error_page(locale, StatusCode::NOT_FOUND)),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// The holder has read a notice about their account.
pub async fn notice_read(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    let ctx = user_context(&user, origin);
    match egov_identity::notice::mark_read(&state.db, &ctx, user.user_id, id).await {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(IdentityError::NotFound) => Ok(super::error_page(locale, StatusCode::NOT_FOUND)),
        Err(e) => Err(ApiError::from_identity(e)),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    handle: String,
}

pub async fn revoke_session(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    form: Result<CheckedForm<RevokeForm>, FormRefused>,
) -> Result<Response, ApiError> {
    let form = match form {
        Ok(CheckedForm(form)) => form,
        Err(FormRefused::Unreadable(_)) => {
            return Ok(super::error_page(locale, StatusCode::BAD_REQUEST));
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    let ctx = user_context(&user, origin);
    egov_identity::end_session_by_handle(&state.db, &ctx, user.user_id, &form.handle).await?;
    Ok(Redirect::to("/account").into_response())
}

pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    egov_identity::end_all_sessions(&state.db, &user_context(&user, origin), user.user_id).await?;
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        clear(SESSION_COOKIE, state.settings.secure_cookies),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "mfa_setup.html")]
struct MfaSetupPage {
    chrome: Chrome,
    secret: String,
    qr: String,
    error: Option<String>,
    recovery_codes: Vec<String>,
    required: bool,
    /// A factor is enrolled already: its code confirms the change.
    needs_code: bool,
}

const ISSUER: &str = "北京市电子政务平台";

/// The enrolment page with the secret the server keeps pending for the user.
async fn setup_page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let secret = egov_identity::mfa::pending_secret(&state.db, user.user_id)
        .await
        .map_err(ApiError::from_identity)?;
    let required = user.kind == egov_identity::UserKind::Staff;
    let uri = secret.otpauth_uri(ISSUER, &user.username);
    Ok(render(
        status,
        &MfaSetupPage {
            needs_code: user.mfa_enabled,
            chrome: Chrome::new(locale, Some(user), "/account/mfa"),
            secret: secret.to_base32(),
            qr: qr_svg(&uri),
            error,
            recovery_codes: Vec::new(),
            required,
        },
    ))
}

fn recovery_codes_page(locale: Locale, user: SessionUser, codes: Vec<String>) -> Response {
    render(
        StatusCode::OK,
        &MfaSetupPage {
            chrome: Chrome::new(locale, Some(user), "/account/mfa"),
            secret: String::new(),
            qr: String::new(),
            error: None,
            recovery_codes: codes,
            required: false,
            needs_code: false,
        },
    )
}

/// TOTP enrolment: the secret made on the server, shown as a QR code and as text.
pub async fn mfa_setup_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<SETUP>,
) -> Result<Response, ApiError> {
    setup_page(&state, locale, user, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct MfaSetupForm {
    /// The code from the app for the new secret.
    code: String,
    password: String,
    /// A code from the factor already enrolled, if any.
    #[serde(default)]
    current_code: String,
}

pub async fn mfa_setup(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<SETUP>,
    form: Result<CheckedForm<MfaSetupForm>, FormRefused>,
) -> Result<Response, ApiError> {
    let form = match form {
        Ok(CheckedForm(form)) => form,
        Err(FormRefused::Unreadable(_)) => {
            let message = translate(locale, "password.error.incomplete").to_owned();
            return setup_page(
                &state,
                locale,
                user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(message),
            )
            .await;
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    let ctx = user_context(&user, origin);
    let proof = Proof {
        password: SecretString::from(form.password),
        code: Some(form.current_code),
    };
    match egov_identity::mfa::enable_totp(&state.db, &ctx, user.user_id, proof, &form.code).await {
        Ok(codes) => Ok(recovery_codes_page(locale, user, codes)),
        Err(e) => {
            let (status, message) = refusal(locale, e)?;
            setup_page(&state, locale, user, status, Some(message)).await
        }
    }
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    heading: &'static str,
    explanation: &'static str,
    action: &'static str,
    submit: &'static str,
    needs_code: bool,
    error: Option<String>,
}

/// The sensitive changes that ask for the password (and code) again on a
/// page of their own.
#[derive(Clone, Copy)]
enum Sensitive {
    DisableSecondFactor,
    NewRecoveryCodes,
}

impl Sensitive {
    fn page(
        self,
        locale: Locale,
        user: SessionUser,
        status: StatusCode,
        error: Option<String>,
    ) -> Response {
        let (key, action) = match self {
            Sensitive::DisableSecondFactor => ("confirm.disable", "/account/mfa/disable"),
            Sensitive::NewRecoveryCodes => ("confirm.recovery", "/account/mfa/recovery"),
        };
        let t = |suffix: &str| translate(locale, &format!("{key}.{suffix}"));
        render(
            status,
            &ConfirmPage {
                heading: t("heading"),
                explanation: t("explanation"),
                submit: t("submit"),
                action,
                needs_code: user.mfa_enabled,
                chrome: Chrome::new(locale, Some(user), action),
                error,
            },
        )
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    password: String,
    #[serde(default)]
    code: String,
}

pub async fn mfa_disable_form(Lang(locale): Lang, PageUser(user): PageUser<ACCOUNT>) -> Response {
    if user.kind == egov_identity::UserKind::Staff {
        return super::error_page(locale, StatusCode::FORBIDDEN);
    }
    Sensitive::DisableSecondFactor.page(locale, user, StatusCode::OK, None)
}

/// Turns the second factor off (citizens and enterprise accounts only),
/// after the password and a code.
pub async fn mfa_disable(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    CheckedForm(form): CheckedForm<ConfirmForm>,
) -> Result<Response, ApiError> {
    let proof = Proof {
        password: SecretString::from(form.password),
        code: Some(form.code),
    };
    let ctx = user_context(&user, origin);
    match egov_identity::mfa::disable_totp(&state.db, &ctx, user.user_id, proof).await {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(e) => {
            let (status, message) = refusal(locale, e)?;
            Ok(Sensitive::DisableSecondFactor.page(locale, user, status, Some(message)))
        }
    }
}

pub async fn mfa_recovery_form(Lang(locale): Lang, PageUser(user): PageUser<ACCOUNT>) -> Response {
    if !user.mfa_enabled {
        return super::error_page(locale, StatusCode::FORBIDDEN);
    }
    Sensitive::NewRecoveryCodes.page(locale, user, StatusCode::OK, None)
}

/// New recovery codes, shown once, after the password and a code; the old
/// ones stop working.
pub async fn mfa_recovery(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    form: Result<CheckedForm<ConfirmForm>, FormRefused>,
) -> Result<Response, ApiError> {
    let form = match form {
        Ok(CheckedForm(form)) => form,
        Err(FormRefused::Unreadable(_)) => {
            return Ok(super::error_page(locale, StatusCode::BAD_REQUEST));
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    if !user.mfa_enabled {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    }
    let proof = Proof {
        password: SecretString::from(form.password),
        code: Some(form.code),
    };
    let ctx = user_context(&user, origin);
    match egov_identity::mfa::regenerate_recovery_codes(&state.db, &ctx, user.user_id, proof).await
    {
        Ok(codes) => Ok(recovery_codes_page(locale, user, codes)),
        Err(e) => {
            let (status, message) = refusal(locale, e)?;
            Ok(Sensitive::NewRecoveryCodes.page(locale, user, status, Some(message)))
        }
    }
}
