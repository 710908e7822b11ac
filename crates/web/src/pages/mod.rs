//! Server-rendered pages. Every page shares the layout in `base.html` and a
//! [`Chrome`] that carries the language, the signed-in user and the path.

mod account;
mod admin_clients;
mod admin_departments;
mod admin_keys;
mod admin_search;
mod admin_services;
mod admin_users;
mod apply;
mod case_forms;
mod cases;
mod enterprise;
mod filed_online;
mod home;
mod locale;
mod register;
mod results;
mod services;
mod staff;
mod supervision;
mod workbench;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

pub use egov_web_kit::page::{
    encode_component, error_message, error_page, localized, message_page, render, safe_next,
    user_context, Chrome,
};
pub use filed_online::FiledOnline;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/departments", get(home::directory))
        .route("/services", get(services::hall))
        .route("/services/statistics", get(services::statistics))
        .route("/services/{code}", get(services::guide))
        .route("/services/{code}/apply", post(apply::begin))
        .route("/applications/{id}", get(apply::draft))
        .route(
            "/applications/{id}/files",
            post(apply::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/applications/{id}/form", post(apply::save))
        .route("/applications/{id}/submit", post(apply::submit))
        .route("/locale", get(locale::switch))
        .route("/login", get(account::login_form).post(account::login))
        .route("/login/mfa", get(account::mfa_form).post(account::mfa))
        .route("/logout", post(account::logout))
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
        .route("/account/sessions/revoke", post(account::revoke_session))
        .route(
            "/account/sessions/end-all",
            post(account::sign_out_everywhere),
        )
        .route(
            "/enterprise/operators",
            get(enterprise::list).post(enterprise::add),
        )
        .route("/workbench", get(workbench::workbench))
        .route("/cases", get(workbench::my_cases))
        .route("/cases/new", get(workbench::new_form).post(workbench::open))
        .route("/cases/{number}", get(cases::show))
        .route("/cases/{number}/actions", post(cases::act))
        .route("/cases/{number}/comments", post(cases::comment))
        .route(
            "/cases/{number}/attachments",
            post(cases::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/cases/{number}/rating", post(cases::rate))
        .route("/cases/{number}/result", get(results::download))
        .route("/verify", get(results::verify))
        .route("/cases/{number}/orders", post(cases::order))
        .route("/orders/{id}/answer", post(cases::answer_order))
        .route("/supervision", get(supervision::board))
        .route("/workbench/statistics", get(supervision::metrics))
        .route("/admin", get(staff::admin))
        .route(
            "/admin/users",
            get(admin_users::list).post(admin_users::create),
        )
        .route(
            "/admin/departments",
            get(admin_departments::list).post(admin_departments::create),
        )
        .route(
            "/admin/search",
            get(admin_search::show).post(admin_search::save),
        )
        .route(
            "/admin/services",
            get(admin_services::list).post(admin_services::load),
        )
        .route(
            "/admin/services/{code}/publish",
            post(admin_services::publish),
        )
        .route(
            "/admin/services/{code}/withdraw",
            post(admin_services::withdraw),
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
            "/admin/users/{id}/assurance",
            post(admin_users::change_assurance),
        )
        .route("/admin/users/{id}", get(admin_users::show))
        .route("/admin/users/{id}/reveal", post(admin_users::reveal))
        .route("/admin/users/{id}/roles", post(admin_users::change_role))
}
