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
        // A kilobyte at first: most answers fit (axum's `Json` starts at
        // 128 bytes and grows a list by copying it several times).
        json_response(&self.0, 1024)
    }
}

/// `value` as an `application/json` answer, written into a buffer of
/// `capacity` bytes first (a long list sizes it from its length).
pub fn json_response<T: serde::Serialize>(value: &T, capacity: usize) -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::IntoResponse;
    let mut body = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut body, value) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        // A bug in a Serialize impl; the cause is logged, not shown.
        Err(e) => {
            tracing::error!(error = %e, "serialising an answer");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
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
pub const TAG_NOTIFICATIONS: &str = "notifications";
pub const TAG_INDICATORS: &str = "indicators";
