//! Work-plan supervision's web part (督查督办): plans, their boards with
//! every node's status light, drafting, confirming and publishing
//! versions with their diffs, reports with evidence and the office's
//! decisions, over the API (`api.rs`) and the pages: the list, the board
//! with its timeline and the office's and departments' forms, the diff and
//! a department's own tasks (`pages.rs`), a task with its reports, orders
//! and the report form (`task.rs`), the year-end ranking and its summary
//! as a PDF and a workbook (`summary.rs`). Who may do what is in `work.rs`; what a row
//! shows, in `views.rs`.

mod api;
mod diffs;
mod errors;
mod office;
mod pages;
mod summary;
mod task;
mod views;
mod work;

use axum::routing::{get, post};
use axum::Router;
use egov_identity::Permission;
use egov_web_kit::i18n;
use egov_web_kit::nav::{NavEntry, Shown};
use egov_web_kit::slice::Slice;
use egov_web_kit::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Work plans' UI strings.
pub static STRINGS: i18n::Strings = i18n::Strings {
    name: "workplans",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// The plans are staff's work (a public plan's board is linked from the
/// portal's open pages).
static NAV: &[NavEntry] = &[NavEntry {
    order: 47,
    href: "/workplans",
    label: "workplans.nav",
    shown: Shown::With(Permission::UseWorkbench),
}];

/// Work-plan supervision's web part, as the platform composes it.
pub fn slice() -> Slice {
    Slice {
        name: "workplans",
        strings: &STRINGS,
        nav: NAV,
        api,
        pages,
        parts: egov_web_kit::slice::no_parts,
        processes: egov_workplan::PROCESSES,
    }
}

/// Work plans over the API, documented.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list, api::create))
        .routes(routes!(api::get))
        .routes(routes!(api::add_node))
        .routes(routes!(api::edit_node, api::remove_node))
        .routes(routes!(api::confirm))
        .routes(routes!(api::publish))
        .routes(routes!(api::diff))
        .routes(routes!(api::report, api::reports))
        .routes(routes!(api::decide))
        .routes(routes!(api::evidence))
        .routes(routes!(api::order, api::orders))
        .routes(routes!(api::order_step))
        .routes(routes!(summary::scores))
}

/// The pages.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/workplans", get(pages::list).post(pages::create))
        .route("/workplans/mine", get(pages::mine))
        .route("/workplans/office", get(office::board_page))
        .route("/workplans/{id}", get(pages::show))
        .route("/workplans/{id}/nodes", post(pages::add_node))
        .route("/workplans/{id}/confirm", post(pages::confirm))
        .route("/workplans/{id}/publish", post(pages::publish))
        .route("/workplans/{id}/diff", get(pages::diff))
        .route("/workplans/{id}/summary", get(summary::page))
        .route("/workplans/{id}/summary.pdf", get(summary::pdf))
        .route("/workplans/{id}/summary.xlsx", get(summary::xlsx))
        .route("/workplans/tasks/{id}", get(task::show))
        .route("/workplans/tasks/{id}/report", post(task::report))
        .route("/workplans/tasks/{id}/decide", post(task::decide))
        .route("/workplans/tasks/{id}/edit", post(task::edit))
        .route("/workplans/reports/{id}/evidence", post(task::evidence))
        .route("/workplans/evidence/{id}", get(task::evidence_file))
        .route("/workplans/tasks/{id}/orders", post(task::order))
        .route("/workplans/orders/{number}/step", post(task::order_step))
}
