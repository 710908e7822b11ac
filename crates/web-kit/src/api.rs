//! The JSON API's extractors, whose rejections become problem+json, and the
//! OpenAPI tags every system's operations are filed under.

use crate::problem::ApiError;
use axum::extract::{FromRequest, FromRequestParts};

/// `axum::Json` whose rejections become problem+json.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query` whose rejections become problem+json.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `axum::extract::Path` whose rejections become problem+json.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

pub const TAG_HEALTH: &str = "health";
pub const TAG_ORG: &str = "organisation";
pub const TAG_AUDIT: &str = "audit";
pub const TAG_IDENTITY: &str = "identity";
pub const TAG_CALENDAR: &str = "calendar";
pub const TAG_CASES: &str = "cases";
pub const TAG_SERVICES: &str = "services";
