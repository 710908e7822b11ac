//! Server-rendered pages. Every page shares the layout in `base.html` and a
//! [`Chrome`] that carries the language, the signed-in user and the path.

mod admin_departments;
mod home;
mod locale;
mod staff;

use crate::state::AppState;
use axum::routing::get;
use axum::Router;

pub use egov_web_kit::page::{error_page, render, safe_next, Chrome};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/departments", get(home::directory))
        .route("/locale", get(locale::switch))
        .route("/admin", get(staff::admin))
        .route(
            "/admin/departments",
            get(admin_departments::list).post(admin_departments::create),
        )
}
