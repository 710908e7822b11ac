//! Server-rendered pages. Every page shares the layout in `base.html` and a
//! [`Chrome`] that carries the language, the signed-in user and the path.

mod admin_departments;
mod admin_seals;
mod home;
mod locale;
mod staff;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;
use egov_identity::Permission;
use egov_web_kit::nav::{NavEntry, Shown};

pub use egov_web_kit::page::{error_page, render, safe_next, Chrome};

/// The platform's entries in the main navigation.
pub static NAV: &[NavEntry] = &[
    NavEntry {
        order: 0,
        href: "/",
        label: "nav.home",
        shown: Shown::Everyone,
    },
    NavEntry {
        order: 20,
        href: "/departments",
        label: "nav.departments",
        shown: Shown::Everyone,
    },
    NavEntry {
        order: 90,
        href: "/admin",
        label: "nav.admin",
        shown: Shown::With(Permission::UseAdminConsole),
    },
    NavEntry {
        order: 99,
        href: "/api/docs",
        label: "nav.api",
        shown: Shown::Everyone,
    },
];

/// The platform's pages.
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
        .route(
            "/admin/departments/{code}/seal",
            get(admin_seals::show).post(admin_seals::upload),
        )
        .route(
            "/admin/departments/{code}/seal.png",
            get(admin_seals::image),
        )
        .route(
            "/admin/departments/{code}/seal/remove",
            post(admin_seals::remove),
        )
}
