//! Server-rendered pages. Every page shares the layout in `base.html` and a
//! [`Chrome`] that carries the language, the signed-in user and the path.

mod admin_departments;
mod admin_search;
mod admin_services;
mod apply;
mod case_forms;
mod cases;
mod filed_online;
mod home;
mod locale;
mod results;
mod services;
mod staff;
mod supervision;
mod workbench;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

pub use egov_web_kit::page::{
    encode_component, error_message, error_page, localized, message_page, render, safe_next, Chrome,
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
}
