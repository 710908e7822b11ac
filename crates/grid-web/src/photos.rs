//! Report photos as anyone may see them: upright JPEGs without metadata,
//! by digest. Only files that are a report's photo or thumbnail are served
//! here; a case's other attachments stay behind the case's own checks.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use egov_web_kit::state::AppState;

/// Where a photo (or thumbnail) with this digest is served.
pub fn path(sha256: &str) -> String {
    format!("/grid/photos/{sha256}.jpg")
}

/// `GET /grid/photos/{sha256}.jpg`
pub async fn photo(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(sha) = file.strip_suffix(".jpg") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match egov_grid::requests::is_report_photo(&state.db, sha).await {
        Ok(true) => {}
        Ok(false) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %egov_kernel::error::Chain(&e), "looking up a photo failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    match state.files.read_digest(sha).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                // Named by its content: it never changes.
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, sha, "a report photo is missing from the file store");
            StatusCode::NOT_FOUND.into_response()
        }
    }
}
