//! The notifications' web part: each person's message centre (站内信) over
//! the API and as a page, with the unread count in every page's header (the
//! session reads it), and the console where an administrator words the
//! notices.

mod api;
mod pages;

use axum::routing::{get, post};
use axum::Router;
use egov_web_kit::auth::open_to_personal_tokens;
use egov_web_kit::i18n;
use egov_web_kit::slice::Slice;
use egov_web_kit::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The notifications' UI strings.
pub static STRINGS: i18n::Strings = i18n::Strings {
    name: "notify",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// The notifications' web part, as the platform composes it.
pub fn slice() -> Slice {
    Slice {
        name: "notify",
        strings: &STRINGS,
        nav: &[],
        api,
        pages,
        parts: egov_web_kit::slice::no_parts,
        processes: &[],
    }
}

/// The caller's messages over the API; an applicant's software reaches its
/// own with a personal access token.
pub fn api() -> OpenApiRouter<AppState> {
    open_to_personal_tokens(
        OpenApiRouter::new()
            .routes(routes!(api::list_messages))
            .routes(routes!(api::read_message))
            .routes(routes!(api::read_all)),
    )
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/messages", get(pages::messages))
        .route("/messages/read-all", post(pages::read_all))
        .route("/messages/{id}/open", post(pages::open))
        .route("/admin/notifications", get(pages::templates))
        .route(
            "/admin/notifications/{kind}/{locale}",
            get(pages::template).post(pages::save_template),
        )
        .route(
            "/admin/notifications/{kind}/{locale}/reset",
            post(pages::reset_template),
        )
}
