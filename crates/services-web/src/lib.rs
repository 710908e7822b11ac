//! The service hall's web part (一网通办): the hall and its guides, search
//! with its synonyms, applications filled in, filed and followed, result
//! documents and their verification, and the administrators' pages for
//! items. The use cases in [`work`] are what both the API handlers and the
//! pages call. Cases filed online run on the case engine; what the hall
//! knows about them reaches the case pages through the engine's extension
//! point ([`FiledOnline`]).

mod api;
pub mod errors;
mod pages;
pub mod views;
pub mod work;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use egov_search::{SearchError, SearchIndex};
use egov_services::search::ServiceSearch;
use egov_web_kit::auth::open_to_personal_tokens;
use egov_web_kit::i18n;
use egov_web_kit::nav::{NavEntry, Shown};
use egov_web_kit::slice::Slice;
use egov_web_kit::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use pages::FiledOnline;

/// The service hall's UI strings.
pub static STRINGS: i18n::Strings = i18n::Strings {
    name: "services",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// The service hall's web part, as the platform composes it.
pub fn slice() -> Slice {
    Slice {
        name: "services",
        strings: &STRINGS,
        nav: NAV,
        api,
        pages,
        parts: with_parts,
        processes: egov_services::PROCESSES,
    }
}

/// The hall's part of the state: its search index, in memory unless
/// [`with_search_dir`] put one on disk first; and what it adds to the pages
/// of cases filed online.
pub fn with_parts(state: AppState) -> AppState {
    let state = egov_cases_web::case_page::extend(state, FiledOnline);
    if state.has_part::<ServiceSearch>() {
        return state;
    }
    state.with_part(ServiceSearch::new(
        SearchIndex::in_memory().expect("an empty index in memory"),
    ))
}

/// Keeps the hall's search index on disk under `dir`.
pub fn with_search_dir(state: AppState, dir: &std::path::Path) -> Result<AppState, SearchError> {
    Ok(state.with_part(ServiceSearch::new(SearchIndex::open(dir)?)))
}

/// Items, search and applications over the API, documented.
pub fn api() -> OpenApiRouter<AppState> {
    use api::{applications, services};
    // Applying, which an applicant's software may do with a personal
    // access token, and the guides it reads to do so.
    let applicants = OpenApiRouter::new()
        .routes(routes!(services::list_services))
        .routes(routes!(services::search_services))
        .routes(routes!(services::get_service))
        .routes(routes!(applications::begin_application))
        .routes(routes!(applications::get_application))
        .routes(routes!(applications::save_form))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(applications::add_file))
                .layer(DefaultBodyLimit::disable()),
        )
        .routes(routes!(applications::submit));
    OpenApiRouter::new()
        .routes(routes!(services::load_service))
        .routes(routes!(services::publish_service))
        .routes(routes!(services::withdraw_service))
        .merge(open_to_personal_tokens(applicants))
}

/// The hall's entry in the main navigation.
pub static NAV: &[NavEntry] = &[NavEntry {
    order: 10,
    href: "/services",
    label: "nav.services",
    shown: Shown::Everyone,
}];

/// The hall, applications, results and the administrators' item pages.
pub fn pages() -> Router<AppState> {
    use pages::{admin_search, admin_services, apply, certificates, department, results, services};
    Router::new()
        .route("/services", get(services::hall))
        .route("/services/statistics", get(services::statistics))
        .route("/departments/{code}", get(department::department))
        .route("/services/{code}", get(services::guide))
        .route("/services/{code}/apply", post(apply::begin))
        .route("/applications/{id}", get(apply::draft))
        .route("/applications/{id}/{step}", get(apply::later_step))
        .route(
            "/applications/{id}/files",
            post(apply::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/applications/{id}/form", post(apply::save))
        .route(
            "/applications/{id}/certificate",
            post(apply::give_certificate),
        )
        .route("/account/certificates", get(certificates::wallet))
        .route("/account/certificates/{code}", get(certificates::download))
        .route("/applications/{id}/submit", post(apply::submit))
        .route("/cases/{number}/result", get(results::download))
        .route("/verify", get(results::verify))
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
