//! The web layer: one router for JSON APIs (under `/api/v1`, documented by a
//! generated OpenAPI 3.1 document), server-rendered pages and embedded assets.
//! It knows the domain crates' functions and errors, never SQL.

mod api;
mod assets;
mod auth;
mod casework;
mod context;
mod i18n;
mod input;
mod metrics;
mod oidc;
mod pages;
mod problem;
mod router;
mod state;
mod upload;

pub use i18n::{catalogue_keys, translate};
pub use metrics::router as metrics_router;
pub use problem::{ApiError, Localized, CODES as PROBLEM_CODES};
pub use router::{openapi, router};
pub use state::{AppState, MetricsAccess, WebSettings};
