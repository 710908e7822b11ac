//! The systems the platform is composed of, in one list: adding a system
//! is one line in [`slices`]. Each slice brings its strings, navigation
//! entries, API routes, pages, parts of the state and processes; the
//! platform's own pages and routes are a slice too.

use crate::state::AppState;
use egov_cases::registry::Shipped;
use egov_web_kit::i18n::Strings;
use egov_web_kit::slice::Slice;

/// Every system's web part, the platform's own first.
pub fn slices() -> Vec<Slice> {
    vec![
        platform(),
        egov_identity_web::slice(),
        egov_cases_web::slice(),
        egov_services_web::slice(),
        egov_notify_web::slice(),
        egov_indicators_web::slice(),
        egov_grid_web::slice(),
        egov_catalogue_web::slice(),
        egov_mailbox_web::slice(),
        egov_disclosure_web::slice(),
        egov_petitions_web::slice(),
        egov_workplan_web::slice(),
    ]
}

/// The platform's own UI strings (home, directory, the console).
pub static STRINGS: Strings = Strings {
    name: "platform",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// The platform's own part: health, organisation, audit and calendar over
/// the API; the home page, the directory and the console's index.
fn platform() -> Slice {
    Slice {
        name: "platform",
        strings: &STRINGS,
        nav: crate::pages::NAV,
        api: crate::api::routes,
        pages: crate::pages::router,
        parts: egov_web_kit::slice::no_parts,
        processes: &[],
    }
}

/// Every system's UI strings and navigation entries registered (building
/// the router does this too; tests of the catalogue call it first).
pub fn register_strings() {
    for slice in slices() {
        slice.register();
    }
}

/// The state with every slice's parts in it (`more` after the platform's
/// own systems).
pub fn compose_with(mut state: AppState, more: &[Slice]) -> AppState {
    for slice in slices().iter().chain(more) {
        slice.register();
        state = (slice.parts)(state);
    }
    state
}

/// The state with every system's parts in it: the service hall's search
/// index (in memory unless `with_search_dir` put one on disk) and what the
/// systems add to the pages of cases.
pub fn compose(state: AppState) -> AppState {
    compose_with(state, &[])
}

/// Every process definition the systems ship.
pub fn shipped_processes() -> Vec<Shipped> {
    slices().iter().flat_map(|s| s.processes).copied().collect()
}
