//! The indicators engine's web part: data elements and indicators defined
//! by the statistics office, values reported by each unit's 统计员 (or a
//! statistics system's key) as DHIS2 dataValueSets in JSON or CSV, and an
//! indicator worked out for an area and its sub-areas over periods, with
//! its growth; validation rules and outliers tell of the figures' quality,
//! data sets of who reports what by when, with reminders for what is
//! missing; composite indices rank the districts; subscribers are told
//! when a warning light changes.
//! Public indicators are read without signing in.

mod api;
mod areas;
pub mod demo;
mod errors;
mod forecasting;
mod pages;
mod quality;
mod ranking;
mod ranking_page;
pub mod reporting;
mod statistics;
pub mod views;
pub mod watch;
pub mod work;

use egov_identity::Permission;
use egov_web_kit::i18n;
use egov_web_kit::nav::{NavEntry, Shown};
use egov_web_kit::slice::Slice;
use egov_web_kit::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The indicators' UI strings.
pub static STRINGS: i18n::Strings = i18n::Strings {
    name: "indicators",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// The process the lights' follow-up cases run under.
pub const PROCESSES: &[egov_cases::registry::Shipped] = &[(
    "indicator-followup.toml",
    include_str!("../../../data/processes/indicator-followup.toml"),
)];

/// The indicators engine's web part, as the platform composes it.
pub fn slice() -> Slice {
    Slice {
        name: "indicators",
        strings: &STRINGS,
        nav: NAV,
        api,
        pages,
        parts: egov_web_kit::slice::no_parts,
        processes: PROCESSES,
    }
}

/// The statistics pages for everyone; the reporting pages for 统计员.
pub static NAV: &[NavEntry] = &[
    NavEntry {
        order: 20,
        href: "/statistics",
        label: "nav.statistics",
        shown: Shown::Everyone,
    },
    NavEntry {
        order: 46,
        href: "/indicators/report",
        label: "nav.indicators_report",
        shown: Shown::With(Permission::OpenReporting),
    },
];

/// The reporting pages.
pub fn pages() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/indicators/report",
            axum::routing::get(pages::report).post(pages::save),
        )
        .route("/statistics", axum::routing::get(statistics::list))
        .route("/rankings/{code}", axum::routing::get(ranking_page::page))
        .route(
            "/statistics/{code}",
            axum::routing::get(statistics::dashboard),
        )
        .route(
            "/statistics/{code}/{file}",
            axum::routing::get(statistics::export),
        )
        .route(
            "/statistics/{code}/watch",
            axum::routing::post(statistics::watch),
        )
        .route(
            "/indicators/report/upload",
            axum::routing::post(pages::upload).layer(axum::extract::DefaultBodyLimit::max(
                work::MAX_SHEET + 64 * 1024,
            )),
        )
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_elements, api::define_element))
        .routes(routes!(api::list_indicators))
        .routes(routes!(api::define_indicator))
        .routes(routes!(api::indicator_data))
        .routes(routes!(api::indicator_lights))
        .routes(routes!(api::indicator_forecast))
        .routes(routes!(api::import_values, api::export_values))
        .routes(routes!(api::list_rules))
        .routes(routes!(api::define_rule))
        .routes(routes!(api::violations))
        .routes(routes!(api::outliers))
        .routes(routes!(api::list_data_sets))
        .routes(routes!(api::define_data_set))
        .routes(routes!(api::data_set_reporting))
        .routes(routes!(api::list_composites))
        .routes(routes!(api::define_composite))
        .routes(routes!(api::composite_ranking))
        .routes(routes!(api::composite_lights))
        .routes(routes!(api::subscribe, api::unsubscribe))
}
