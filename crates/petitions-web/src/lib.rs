//! Petitions' web part (信访): registering a petition online or, for a
//! letter, a visit or a call, by staff (`registering.rs`); the list of
//! petitions one handles, a petition's record with who brought it and the
//! petitions on the same matter, and its written notices as PDFs
//! (`pages.rs`); the same over the API (`api.rs`); and what petitions add
//! to their case pages (`case_pages.rs`), where every step is taken. Who
//! may do what, for the API and the pages alike, is in `work.rs`.

mod api;
mod case_pages;
mod errors;
mod pages;
mod registering;
mod work;

use axum::routing::get;
use axum::Router;
use egov_web_kit::i18n;
use egov_web_kit::nav::{NavEntry, Shown};
use egov_web_kit::slice::Slice;
use egov_web_kit::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Petitions' UI strings.
pub static STRINGS: i18n::Strings = i18n::Strings {
    name: "petitions",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// Petitions are for anyone signed in: residents bring them, staff handle
/// them.
static NAV: &[NavEntry] = &[NavEntry {
    order: 36,
    href: "/petitions",
    label: "petitions.nav",
    shown: Shown::SignedIn,
}];

/// Petitions' web part, as the platform composes it.
pub fn slice() -> Slice {
    Slice {
        name: "petitions",
        strings: &STRINGS,
        nav: NAV,
        api,
        pages,
        parts: with_parts,
        processes: egov_petitions::PROCESSES,
    }
}

/// What petitions add to their case pages.
pub fn with_parts(state: AppState) -> AppState {
    egov_cases_web::case_page::extend(state, case_pages::Petitions)
}

/// Petitions over the API, documented.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::register, api::list))
        .routes(routes!(api::petition))
}

/// The pages.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/petitions", get(pages::list))
        .route(
            "/petitions/new",
            get(registering::form).post(registering::register),
        )
        .route(
            "/petitions/register",
            get(registering::form).post(registering::register),
        )
        .route("/petitions/{number}", get(pages::petition))
        .route("/petitions/{number}/notices/{kind}", get(pages::notice))
}
