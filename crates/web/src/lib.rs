//! The composing web crate: it merges the systems' web parts (their API
//! routers and OpenAPI paths, their pages), adds the platform's own
//! (health, organisation, audit, calendar, the home page, the console),
//! serves the embedded assets and applies the layers every request passes
//! through. What every web part shares is the web kit (`egov-web-kit`).

mod api;
mod assets;
mod metrics;

mod pages;
mod router;
mod systems;

// The kit's modules under their own names, as the platform's handlers name them.
use egov_web_kit::{auth, context, i18n, input, problem, state};

pub use egov_services_web::with_search_dir;
pub use egov_web_kit::i18n::{catalogue_keys, translate};
pub use egov_web_kit::problem::{ApiError, Localized, CODES as PROBLEM_CODES};
pub use egov_web_kit::slice::Slice;
pub use egov_web_kit::state::{AppState, MetricsAccess, WebSettings};
pub use metrics::router as metrics_router;
pub use router::{openapi, router, router_with};
pub use systems::{compose, compose_with, register_strings, shipped_processes, slices};
