//! Grid city management's web part: the Open311 GeoReport v2 interface
//! (`open311.rs`, answering in JSON or XML through `format.rs`) and the
//! grid's layers over the API (`api.rs`), the report and follow pages
//! (`pages.rs`; both front doors read reports through `posted.rs`), the
//! command centre's list (`centre.rs`) and its page for deciding on a
//! report (`reports.rs`), and reports' photos (`photos.rs`).

mod admin;
mod api;
mod centre;
mod contact;
mod dispatch;
mod duplicates;
mod follow;
pub mod format;
mod open311;
mod pages;
mod photos;
mod posted;
mod reports;

use axum::routing::{get, post};
use axum::Router;
use egov_identity::Permission;
use egov_web_kit::i18n;
use egov_web_kit::nav::{NavEntry, Shown};
use egov_web_kit::slice::Slice;
use egov_web_kit::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Grid management's UI strings.
pub static STRINGS: i18n::Strings = i18n::Strings {
    name: "grid",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// Reporting a problem is for everyone (signing in on the way); the
/// command centre for its dispatchers and the supervisors.
static NAV: &[NavEntry] = &[
    NavEntry {
        order: 15,
        href: "/grid/report",
        label: "grid.nav.report",
        shown: Shown::Everyone,
    },
    NavEntry {
        order: 45,
        href: "/grid/centre",
        label: "grid.nav.centre",
        shown: Shown::With(Permission::OpenCommandCentre),
    },
];

/// Grid management's web part, as the platform composes it.
pub fn slice() -> Slice {
    Slice {
        name: "grid",
        strings: &STRINGS,
        nav: NAV,
        api,
        pages: open311,
        parts: with_parts,
        processes: egov_grid::PROCESSES,
    }
}

/// What grid management adds to the pages of its cases.
pub fn with_parts(state: AppState) -> AppState {
    egov_cases_web::case_page::extend(state, duplicates::GridCases)
}

/// The grid's layers over the API, documented.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api::areas))
}

/// Open311 GeoReport v2 at its usual path; each resource ends in `.json`
/// or `.xml`.
pub fn open311() -> Router<AppState> {
    use open311::{get_request, get_resource, get_token, post_request, service_definition};
    // A report may bring its photos along.
    let posted = egov_grid::photos::MAX_PHOTOS * egov_grid::photos::MAX_PHOTO_BYTES + 256 * 1024;
    Router::new()
        .route(
            "/open311/v2/{file}",
            get(get_resource)
                .post(post_request)
                .layer(axum::extract::DefaultBodyLimit::max(posted)),
        )
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(get_request))
        .route("/open311/v2/tokens/{file}", get(get_token))
        .route("/grid/photos/{file}", get(photos::photo))
        .route(
            "/grid/report",
            get(pages::report_form)
                .post(pages::report)
                .layer(axum::extract::DefaultBodyLimit::max(posted)),
        )
        .route("/grid/follow/{token}", get(follow::follow))
        .route("/grid/follow/{token}/reopen", post(follow::reopen_by_link))
        .route("/grid/follow/{token}/rate", post(follow::rate_by_link))
        .route(
            "/grid/follow/{token}/withdraw",
            post(follow::withdraw_by_link),
        )
        .route("/grid/centre", get(centre::page))
        .route("/grid/centre/cases.json", get(centre::cases))
        .route("/grid/centre/events", get(centre::events))
        .route("/grid/reports/{id}", get(reports::page))
        .route("/grid/reports/{id}/decide", post(reports::decide))
        .route("/grid/reports/{id}/follow", post(reports::follow))
        .route(
            "/grid/requests/{number}/duplicates",
            get(duplicates::duplicates_page),
        )
        .route("/grid/requests/{number}/merge", post(duplicates::merge))
        .route("/grid/requests/{number}/dispatch", get(dispatch::page))
        .route(
            "/grid/requests/{number}/reporter",
            get(contact::page).post(contact::reveal),
        )
        .route(
            "/grid/requests/{number}/callback",
            post(contact::record_callback),
        )
        .route("/admin/grid", get(admin::page))
        .route("/admin/grid/train", post(admin::train))
        .route("/admin/grid/{file}", post(admin::load_file))
}
