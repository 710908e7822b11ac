//! The web layer: one router for JSON APIs (under `/api/v1`, documented by a
//! generated OpenAPI 3.1 document), server-rendered pages and embedded assets.
//! It knows the domain crates' functions and errors, never SQL. What every
//! system's web part shares is the web kit (`egov-web-kit`).

mod api;
mod assets;
mod casework;
mod metrics;

mod pages;
mod router;

// The kit's modules under their names here, for the systems' web parts that
// still live in this crate.
use egov_web_kit::{auth, context, i18n, input, problem, state, upload};

pub use egov_web_kit::i18n::{catalogue_keys, translate};
pub use egov_web_kit::problem::{ApiError, Localized, CODES as PROBLEM_CODES};
pub use egov_web_kit::state::{AppState, MetricsAccess, WebSettings};
pub use metrics::router as metrics_router;
pub use router::{compose, openapi, register_strings, router, with_search_dir};
