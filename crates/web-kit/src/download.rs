//! A document made for one person (a result notice, a certificate, a
//! petition's notice) sent as a PDF: named, never cached by anyone between.

use crate::problem::ApiError;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// Whether the browser shows the file or saves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Inline,
    Attachment,
}

/// `bytes` as the PDF `filename` (ASCII, no quotes), kept private.
pub fn private_pdf(
    bytes: Vec<u8>,
    disposition: Disposition,
    filename: &str,
) -> Result<Response, ApiError> {
    let how = match disposition {
        Disposition::Inline => "inline",
        Disposition::Attachment => "attachment",
    };
    let named = HeaderValue::from_str(&format!("{how}; filename=\"{filename}\""))
        .map_err(ApiError::internal)?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(header::CONTENT_DISPOSITION, named);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}
