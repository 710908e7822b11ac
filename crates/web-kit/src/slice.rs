//! A system's web part as the platform composes it: one value naming its
//! strings, navigation entries, API routes (documented), pages, what it
//! puts into the state and the processes it ships. The composing crate
//! holds a list of these; adding a system is one entry there.

use crate::i18n::{self, Strings};
use crate::nav::{self, NavEntry};
use crate::state::AppState;
use axum::Router;
use egov_cases::registry::Shipped;
use utoipa_axum::router::OpenApiRouter;

#[derive(Clone, Copy)]
pub struct Slice {
    /// The system's name, for messages.
    pub name: &'static str,
    pub strings: &'static Strings,
    pub nav: &'static [NavEntry],
    /// Its routes under `/api/v1`, each documented with `utoipa::path`.
    pub api: fn() -> OpenApiRouter<AppState>,
    /// Its pages (and any other routes outside the API).
    pub pages: fn() -> Router<AppState>,
    /// What it keeps in the state (an index, its additions to the pages of
    /// other engines); given the state, returns it with its parts in.
    pub parts: fn(AppState) -> AppState,
    /// The process definitions its work runs under, seeded on start.
    pub processes: &'static [Shipped],
}

impl Slice {
    /// Its strings and navigation entries, registered (again is a no-op).
    pub fn register(&self) {
        i18n::register(self.strings);
        nav::register(self.nav);
    }
}

/// A slice that keeps nothing in the state.
pub fn no_parts(state: AppState) -> AppState {
    state
}

/// A slice without API routes.
pub fn no_api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
