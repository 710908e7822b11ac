//! The case engine's web part: cases over the API (opening, queues, acting,
//! comments, attachments, ratings, process definitions), electronic
//! supervision (the board, 督办 orders, metrics), and their pages (the
//! workbench, "my cases", the case page, the board). The use cases in
//! [`work`] are what both the API handlers and the pages call. The case page
//! knows no system: systems add to it through [`case_page`].

mod api;
pub mod case_page;
pub mod forms;
mod pages;
pub mod views;
pub mod work;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use egov_identity::Permission;
use egov_web_kit::auth::open_to_personal_tokens;
use egov_web_kit::i18n;
use egov_web_kit::nav::{NavEntry, Shown};
use egov_web_kit::slice::Slice;
use egov_web_kit::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use pages::{beijing, CaseLine, MetricsRow};

/// The case engine's UI strings.
pub static STRINGS: i18n::Strings = i18n::Strings {
    name: "cases",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// The case engine's web part, as the platform composes it.
pub fn slice() -> Slice {
    Slice {
        name: "cases",
        strings: &STRINGS,
        nav: NAV,
        api,
        pages,
        parts: case_page::with_extensions,
        processes: egov_cases::registry::ENGINE_PROCESSES,
    }
}

/// Cases and supervision over the API, documented.
pub fn api() -> OpenApiRouter<AppState> {
    use api::{cases, supervision};
    // An applicant's own cases, which their software may reach with a
    // personal access token.
    let applicants = OpenApiRouter::new()
        .routes(routes!(cases::list_cases, cases::open_case))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::act))
        .routes(routes!(cases::comment))
        // Uploads stream under their own limit (the configured attachment
        // size, enforced in the handler), not the JSON body limit.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(cases::upload))
                .layer(DefaultBodyLimit::disable()),
        )
        .routes(routes!(cases::download))
        .routes(routes!(cases::rate));
    OpenApiRouter::new()
        .routes(routes!(cases::list_processes, cases::load_process))
        .merge(open_to_personal_tokens(applicants))
        .routes(routes!(supervision::issue_order))
        .routes(routes!(supervision::answer_order))
        .routes(routes!(supervision::board))
        .routes(routes!(supervision::case_metrics))
}

/// The case engine's entries in the main navigation.
pub static NAV: &[NavEntry] = &[
    NavEntry {
        order: 30,
        href: "/cases",
        label: "nav.my_cases",
        shown: Shown::With(Permission::UseCitizenServices),
    },
    NavEntry {
        order: 40,
        href: "/workbench",
        label: "nav.workbench",
        shown: Shown::With(Permission::UseWorkbench),
    },
    NavEntry {
        order: 50,
        href: "/supervision",
        label: "nav.supervision",
        shown: Shown::With(Permission::OpenSupervision),
    },
];

/// The workbench, "my cases", the case page and the supervision pages.
pub fn pages() -> Router<AppState> {
    use pages::{cases, supervision, workbench};
    Router::new()
        .route("/workbench", get(workbench::workbench))
        .route("/cases", get(workbench::my_cases))
        .route("/cases/new", get(workbench::new_form).post(workbench::open))
        .route("/cases/{number}", get(cases::show))
        .route("/cases/{number}/actions", post(cases::act))
        .route("/cases/{number}/comments", post(cases::comment))
        .route(
            "/cases/{number}/attachments",
            post(cases::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/cases/{number}/rating", post(cases::rate))
        .route("/cases/{number}/applicant", post(cases::reveal_applicant))
        .route("/cases/{number}/orders", post(cases::order))
        .route("/orders/{id}/answer", post(cases::answer_order))
        .route("/supervision", get(supervision::board))
        .route("/workbench/statistics", get(supervision::metrics))
}
