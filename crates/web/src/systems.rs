//! The systems the platform is composed of, in one place: adding a system
//! is a line in each list here (its strings, its part of the state, its
//! case-page extension, its processes) and the merge of its routers in
//! `router.rs`.

use crate::state::AppState;
use egov_cases::registry::Shipped;
use egov_cases_web::case_page::CasePageExtensions;
use egov_web_kit::i18n::{register, Strings};
use std::sync::Arc;

/// The platform's own UI strings (home, directory, the console).
pub static STRINGS: Strings = Strings {
    name: "platform",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

/// Every system's UI strings in the catalogue (building the routers does
/// this too; tests of the catalogue call it first).
pub fn register_strings() {
    register(&STRINGS);
    register(&egov_identity_web::STRINGS);
    register(&egov_cases_web::STRINGS);
    register(&egov_services_web::STRINGS);
}

/// The state with every system's part in it: the service hall's search
/// index (in memory unless `with_search_dir` put one on disk) and what the
/// systems add to the pages of cases.
pub fn compose(state: AppState) -> AppState {
    register_strings();
    let mut state = egov_services_web::with_parts(state);
    if !state.has_part::<CasePageExtensions>() {
        state = state.with_part(CasePageExtensions(vec![Arc::new(
            egov_services_web::FiledOnline,
        )]));
    }
    state
}

/// The city grid case (网格化城市管理's steps as far as they go now);
/// grid management takes it along when it arrives as a system.
const GRID_PROCESSES: &[Shipped] = &[(
    "city-grid-case.toml",
    include_str!("../../../data/processes/city-grid-case.toml"),
)];

/// Every process definition the systems ship, the engine's own first.
pub fn shipped_processes() -> Vec<Shipped> {
    [
        egov_cases::registry::ENGINE_PROCESSES,
        egov_services::PROCESSES,
        GRID_PROCESSES,
    ]
    .concat()
}
