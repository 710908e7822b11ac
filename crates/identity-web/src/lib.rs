//! The identity system's web part: signing in (with the second factor),
//! registration with the phone confirmation, the account page and the
//! changes that ask again for the password, enterprise operators, the
//! administrators' console for accounts, API keys and single sign-on
//! clients, the OpenID Connect provider's endpoints, and accounts over the
//! API. It builds on the web kit and knows no other system.

mod api_users;
mod oidc;
mod pages;
mod sso;

use axum::routing::{get, post};
use axum::Router;
use egov_web_kit::auth::open_to_personal_tokens;
use egov_web_kit::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

// The kit's modules under their own names, as the handlers name them.
use egov_web_kit::{api, auth, context, i18n, nav, problem, state};

/// The identity system's UI strings.
pub static STRINGS: i18n::Strings = i18n::Strings {
    name: "identity",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// The identity system's entry in the main navigation.
pub static NAV: &[nav::NavEntry] = &[nav::NavEntry {
    order: 95,
    href: "/account",
    label: "nav.account",
    shown: nav::Shown::SignedIn,
}];

/// The identity system's web part, as the platform composes it: its pages
/// and the OpenID Connect endpoints, accounts over the API.
pub fn slice() -> egov_web_kit::slice::Slice {
    egov_web_kit::slice::Slice {
        name: "identity",
        strings: &STRINGS,
        nav: NAV,
        api,
        pages: || pages().merge(oidc()),
        parts: with_parts,
        processes: &[],
    }
}

/// The check of machine clients' access tokens, for the systems that
/// serve them.
pub fn with_parts(state: AppState) -> AppState {
    use egov_web_kit::machine::{MachineClient, MachineTokens};
    use egov_web_kit::problem::ApiError;
    state.with_part(MachineTokens {
        check: std::sync::Arc::new(|db, token| {
            Box::pin(async move {
                let found = egov_oidc::machine_token(db, token)
                    .await
                    .map_err(ApiError::internal)?;
                Ok(found.map(|t| MachineClient {
                    client_id: t.client_id,
                    scope: t.scope,
                    token_id: t.jti,
                }))
            })
        }),
        confidential: std::sync::Arc::new(|db, client_id| {
            Box::pin(async move {
                let found = egov_oidc::find_client(db, client_id)
                    .await
                    .map_err(ApiError::internal)?;
                Ok(found.is_some_and(|c| !c.public))
            })
        }),
    })
}

/// The identity system's pages.
pub fn pages() -> Router<AppState> {
    use pages::{
        account, admin_clients, admin_keys, admin_users, enterprise, notifications, register,
        reset, tokens,
    };
    Router::new()
        .route("/login", get(account::login_form).post(account::login))
        .route("/login/mfa", get(account::mfa_form).post(account::mfa))
        .route("/logout", post(account::logout))
        .route(
            "/login/forgot",
            get(reset::request_form).post(reset::request),
        )
        .route("/login/reset", get(reset::code_form).post(reset::complete))
        .route("/register", get(register::choice))
        .route(
            "/register/confirm",
            get(register::confirm_form).post(register::confirm),
        )
        .route(
            "/register/citizen",
            get(register::citizen_form).post(register::citizen),
        )
        .route(
            "/register/enterprise",
            get(register::enterprise_form).post(register::enterprise),
        )
        .route("/account", get(account::account))
        .route(
            "/account/password",
            get(account::password_form).post(account::change_password),
        )
        .route(
            "/account/mfa",
            get(account::mfa_setup_form).post(account::mfa_setup),
        )
        .route(
            "/account/mfa/disable",
            get(account::mfa_disable_form).post(account::mfa_disable),
        )
        .route(
            "/account/mfa/recovery",
            get(account::mfa_recovery_form).post(account::mfa_recovery),
        )
        .route("/account/notices/{id}/read", post(account::notice_read))
        .route("/account/tokens", get(tokens::list).post(tokens::create))
        .route(
            "/account/notifications",
            get(notifications::show).post(notifications::save),
        )
        .route(
            "/account/notifications/email",
            post(notifications::start_email),
        )
        .route(
            "/account/notifications/email/confirm",
            post(notifications::confirm_email),
        )
        .route("/account/tokens/{id}/revoke", post(tokens::revoke))
        .route("/account/sessions/revoke", post(account::revoke_session))
        .route(
            "/account/apps/{client_id}/withdraw",
            post(account::withdraw_consent),
        )
        .route(
            "/account/sessions/end-all",
            post(account::sign_out_everywhere),
        )
        .route(
            "/enterprise/operators",
            get(enterprise::list).post(enterprise::add),
        )
        .route(
            "/enterprise/operators/{username}/state",
            post(enterprise::set_state),
        )
        .route(
            "/admin/users",
            get(admin_users::list).post(admin_users::create),
        )
        .route(
            "/admin/clients",
            get(admin_clients::list).post(admin_clients::create),
        )
        .route(
            "/admin/clients/{client_id}/secret",
            post(admin_clients::rotate_secret),
        )
        .route(
            "/admin/clients/{client_id}/delete",
            post(admin_clients::delete),
        )
        .route(
            "/admin/api-keys",
            get(admin_keys::list).post(admin_keys::create),
        )
        .route("/admin/api-keys/{id}/revoke", post(admin_keys::revoke))
        .route("/admin/users/{id}/state", post(admin_users::change_state))
        .route(
            "/admin/users/{id}/password-reset",
            post(admin_users::reset_password),
        )
        .route(
            "/admin/users/{id}/second-factor-reset",
            post(admin_users::reset_second_factor),
        )
        .route(
            "/admin/users/{id}/assurance",
            post(admin_users::change_assurance),
        )
        .route("/admin/users/{id}", get(admin_users::show))
        .route("/admin/users/{id}/reveal", post(admin_users::reveal))
        .route("/admin/users/{id}/roles", post(admin_users::change_role))
}

/// The OpenID Connect provider's endpoints (discovery, keys, authorize,
/// token, userinfo, logout).
pub fn oidc() -> Router<AppState> {
    oidc::routes()
}

/// Accounts over the API, documented.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(open_to_personal_tokens(
            OpenApiRouter::new().routes(routes!(api_users::me)),
        ))
        .routes(routes!(api_users::get_user))
}
