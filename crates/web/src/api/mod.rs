//! JSON APIs under `/api/v1`, each handler documented with `utoipa::path`
//! so the OpenAPI document is generated from the code.

pub mod applications;
pub mod audit;
pub mod calendar;
pub mod cases;
pub mod docs;
pub mod health;
pub mod org;
pub mod services;
pub mod supervision;

pub use egov_web_kit::api::*;
