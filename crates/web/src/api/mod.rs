//! JSON APIs under `/api/v1`, each handler documented with `utoipa::path`
//! so the OpenAPI document is generated from the code.

pub mod audit;
pub mod calendar;
pub mod docs;
pub mod health;
pub mod org;

pub use egov_web_kit::api::*;
