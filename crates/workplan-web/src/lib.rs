//! Work-plan supervision's web part (督查督办): plans, their boards with
//! every node's status light, drafting, confirming and publishing
//! versions with their diffs, reports with evidence and the office's
//! decisions, over the API (`api.rs`). Who may do what is in `work.rs`.

mod api;
mod diffs;
mod errors;
mod work;

use axum::Router;
use egov_web_kit::i18n;
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

/// Work-plan supervision's web part, as the platform composes it.
pub fn slice() -> Slice {
    Slice {
        name: "workplans",
        strings: &STRINGS,
        nav: &[],
        api,
        pages,
        parts: egov_web_kit::slice::no_parts,
        processes: &[],
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
}

/// The pages (none yet: the board and the forms come next).
pub fn pages() -> Router<AppState> {
    Router::new()
}
