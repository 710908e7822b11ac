//! Government information disclosure's web part: the public list of
//! documents published of the agencies' own accord, with a search, and one
//! document with its history (`pages.rs`); a department's publication and
//! withdrawal of documents (`publishing.rs`); a request for information
//! (`requests.rs`), answered on the case pages; the annual report's table
//! for any year (`report.rs`); the same over the API (`api.rs`); and what
//! disclosure adds to its requests' case pages (`case_pages.rs`). What both
//! the API and the pages do is in `work.rs`.

mod api;
mod case_pages;
mod errors;
mod pages;
mod publishing;
mod report;
mod requests;
mod work;

use axum::routing::{get, post};
use axum::Router;
use egov_disclosure::search::DocumentSearch;
use egov_search::SearchIndex;
use egov_web_kit::i18n;
use egov_web_kit::nav::{NavEntry, Shown};
use egov_web_kit::slice::Slice;
use egov_web_kit::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Disclosure's UI strings.
pub static STRINGS: i18n::Strings = i18n::Strings {
    name: "disclosure",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// Disclosure is for everyone.
static NAV: &[NavEntry] = &[NavEntry {
    order: 15,
    href: "/disclosure",
    label: "disclosure.nav",
    shown: Shown::Everyone,
}];

/// Disclosure's web part, as the platform composes it.
pub fn slice() -> Slice {
    Slice {
        name: "disclosure",
        strings: &STRINGS,
        nav: NAV,
        api,
        pages,
        parts: with_parts,
        processes: egov_disclosure::PROCESSES,
    }
}

/// The node's index of published documents, and what disclosure adds to
/// its requests' case pages.
pub fn with_parts(state: AppState) -> AppState {
    let state = egov_cases_web::case_page::extend(state, case_pages::Requests);
    if state.has_part::<DocumentSearch>() {
        return state;
    }
    state.with_part(DocumentSearch::new(
        SearchIndex::in_memory().expect("an empty index in memory"),
    ))
}

/// Disclosure over the API, documented.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::documents, api::publish))
        .routes(routes!(api::document))
        .routes(routes!(api::withdraw))
        .routes(routes!(api::file))
        .routes(routes!(api::report))
}

/// The pages.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/disclosure", get(pages::list))
        .route("/disclosure/documents/{id}", get(pages::document))
        .route(
            "/disclosure/documents/{id}/withdraw",
            post(publishing::withdraw),
        )
        .route(
            "/disclosure/publish",
            get(publishing::form).post(publishing::publish),
        )
        .route(
            "/disclosure/apply",
            get(requests::form).post(requests::file),
        )
        .route("/disclosure/report", get(report::page))
}
