//! The mailboxes' web part: the public page of published letters with the
//! departments' answer rates and a search (`pages.rs`), writing a letter
//! signed in or with a texted code, following it by link and rating the
//! answer (`writing.rs`), the answering department's publication of a letter
//! without personal data (`publishing.rs`), the same over the API
//! (`api.rs`), and what the mailbox adds to its letters' case pages
//! (`case_pages.rs`). What both the API and the pages do is in `work.rs`.

mod api;
mod case_pages;
mod errors;
mod pages;
mod publishing;
mod work;
mod writing;

use axum::routing::get;
use axum::Router;
use egov_mailbox::search::LetterSearch;
use egov_search::SearchIndex;
use egov_web_kit::i18n;
use egov_web_kit::nav::{NavEntry, Shown};
use egov_web_kit::slice::Slice;
use egov_web_kit::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The mailboxes' UI strings.
pub static STRINGS: i18n::Strings = i18n::Strings {
    name: "mailbox",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// The mailbox is for everyone.
static NAV: &[NavEntry] = &[NavEntry {
    order: 14,
    href: "/mailbox",
    label: "mailbox.nav",
    shown: Shown::Everyone,
}];

/// The mailboxes' web part, as the platform composes it.
pub fn slice() -> Slice {
    Slice {
        name: "mailbox",
        strings: &STRINGS,
        nav: NAV,
        api,
        pages,
        parts: with_parts,
        processes: egov_mailbox::PROCESSES,
    }
}

/// The node's index of published letters, and what the mailbox adds to
/// its letters' case pages.
pub fn with_parts(state: AppState) -> AppState {
    let state = egov_cases_web::case_page::extend(state, case_pages::Letters);
    if state.has_part::<LetterSearch>() {
        return state;
    }
    state.with_part(LetterSearch::new(
        SearchIndex::in_memory().expect("an empty index in memory"),
    ))
}

/// The mailboxes over the API, documented.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list, api::write))
        .routes(routes!(api::show))
        .routes(routes!(api::draft, api::publish))
        .routes(routes!(api::withdraw))
        .routes(routes!(api::figures))
}

/// The pages.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/mailbox", get(pages::list))
        .route("/mailbox/write", get(writing::form).post(writing::write))
        .route(
            "/mailbox/confirm/{ticket}",
            get(writing::confirm_form).post(writing::confirm),
        )
        .route("/mailbox/follow/{token}", get(writing::follow))
        .route(
            "/mailbox/follow/{token}/rate",
            axum::routing::post(writing::rate),
        )
        .route("/mailbox/letters/{number}", get(pages::letter))
        .route(
            "/mailbox/letters/{number}/publish",
            get(publishing::form).post(publishing::publish),
        )
        .route(
            "/mailbox/letters/{number}/withdraw",
            axum::routing::post(publishing::withdraw),
        )
}
