//! The catalogue's web part: the catalogue for civil servants with its
//! facets (`pages.rs`), the open data portal with downloads (`portal.rs`,
//! `download.rs`), the catalogue over the API (`api.rs`), and the two
//! standard interfaces of open data: CKAN's Action API (`ckan.rs`) and the
//! catalogue as DCAT-AP 3 (`dcat.rs`, in JSON-LD and Turtle); sharing by
//! grant (`sharing.rs`) and the exchange for machine clients
//! (`exchange.rs`). What a
//! dataset looks like to the outside is written once, in `views.rs`.

mod api;
mod ckan;
mod dcat;
mod download;
mod editing;
mod errors;
mod exchange;
mod keeping;
mod pages;
mod portal;
mod sharing;
mod views;

use axum::routing::{get, post};
use axum::Router;
use egov_catalogue::hosted::RowCache;
use egov_identity::Permission;
use egov_web_kit::i18n;
use egov_web_kit::nav::{NavEntry, Shown};
use egov_web_kit::slice::Slice;
use egov_web_kit::state::AppState;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The catalogue's UI strings.
pub static STRINGS: i18n::Strings = i18n::Strings {
    name: "catalogue",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// Open data is for everyone; the whole catalogue for civil servants.
static NAV: &[NavEntry] = &[
    NavEntry {
        order: 18,
        href: "/open-data",
        label: "catalogue.nav.open_data",
        shown: Shown::Everyone,
    },
    NavEntry {
        order: 48,
        href: "/catalogue",
        label: "catalogue.nav.catalogue",
        shown: Shown::With(Permission::ReadCatalogue),
    },
];

/// The catalogue's web part, as the platform composes it.
pub fn slice() -> Slice {
    Slice {
        name: "catalogue",
        strings: &STRINGS,
        nav: NAV,
        api,
        pages,
        parts: with_parts,
        processes: egov_catalogue::PROCESSES,
    }
}

/// Each node's copies of resources' current rows.
#[derive(Clone, Default)]
pub struct Rows(pub Arc<RowCache>);

pub fn with_parts(state: AppState) -> AppState {
    state.with_part(Rows::default())
}

/// The catalogue over the API, documented.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list, api::register))
        .routes(routes!(api::show))
        .routes(routes!(api::rows, api::load))
        .routes(routes!(sharing::request))
        .routes(routes!(sharing::answer))
        .routes(routes!(sharing::grants))
        .routes(routes!(exchange::rows))
        .routes(routes!(exchange::keys))
        .routes(routes!(exchange::bind))
        .routes(routes!(exchange::usage))
}

/// The pages, the downloads and the standard interfaces.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/catalogue", get(pages::list))
        .route(
            "/catalogue/new",
            get(editing::new_form).post(editing::register),
        )
        .route("/catalogue/{code}", get(pages::show))
        .route(
            "/catalogue/{code}/edit",
            get(editing::edit_form).post(editing::revise),
        )
        .route(
            "/catalogue/{code}/data",
            post(keeping::upload).layer(axum::extract::DefaultBodyLimit::max(
                keeping::MAX_DATA_FILE + 64 * 1024,
            )),
        )
        .route("/catalogue/{code}/request", post(keeping::request))
        .route("/catalogue/requests/{number}", get(keeping::show_request))
        .route("/catalogue/requests/{number}/answer", post(keeping::answer))
        .route("/open-data", get(portal::list))
        .route("/open-data/{file}", get(portal::dataset_or_file))
        .route("/catalog.jsonld", get(dcat::jsonld))
        .route("/catalog.ttl", get(dcat::turtle))
        .route("/api/3/action/{action}", get(ckan::get).post(ckan::post))
        .route("/api/action/{action}", get(ckan::get).post(ckan::post))
}

/// Whether `user` keeps department `department`'s catalogue.
pub(crate) fn keeps(user: &egov_identity::SessionUser, department: i64) -> bool {
    egov_identity::allows(
        &egov_identity::Principal::User(user.clone()),
        egov_identity::Permission::ManageCatalogue {
            department_id: Some(department),
        },
    )
}
