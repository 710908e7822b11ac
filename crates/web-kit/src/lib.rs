//! What every system's web part needs, written once: problem+json errors and
//! their documented answers, the request's language and origin, the caller
//! (a session or an API key) and page guards, forms checked against CSRF,
//! reading uploads, the input guard, the page shell with its base template,
//! the UI strings, and the shared state. It knows no system.

pub mod api;
pub mod auth;

pub mod context;
pub mod cookies;
pub mod csp;
pub mod download;
pub mod engine_errors;
pub mod i18n;
pub mod input;
pub mod machine;
pub mod nav;
pub mod page;
pub mod problem;
pub mod problem_render;
pub mod slice;
pub mod state;
pub mod upload;

pub use problem::{ApiError, Localized};
pub use state::{AppState, MetricsAccess, SourceLimiter, WebSettings};
