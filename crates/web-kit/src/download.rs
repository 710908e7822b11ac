//! A document made for one person (a result notice, a certificate, a
//! petition's notice) sent as a PDF, or another file kept behind a check
//! (evidence, a workbook): named, never cached by anyone between.

use crate::problem::ApiError;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// Whether the browser shows the file or saves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Inline,
    Attachment,
}

/// The media type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `bytes` as the PDF `filename` (ASCII, no quotes), kept private.
pub fn private_pdf(
    bytes: Vec<u8>,
    disposition: Disposition,
    filename: &str,
) -> Result<Response, ApiError> {
    private_file(bytes, "application/pdf", disposition, filename)
}

/// `bytes` of `media_type` as `filename` (in ASCII its characters other
/// than letters, digits, `.`, `-` and `_` replaced; whole in `filename*`),
/// kept private and not sniffed.
pub fn private_file(
    bytes: Vec<u8>,
    media_type: &str,
    disposition: Disposition,
    filename: &str,
) -> Result<Response, ApiError> {
    let how = match disposition {
        Disposition::Inline => "inline",
        Disposition::Attachment => "attachment",
    };
    let safe: String = filename
        .chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') => c,
            _ => '_',
        })
        .collect();
    // The name as given, for browsers that read RFC 6266's `filename*`.
    let full = crate::page::encode_component(filename);
    let named = HeaderValue::from_str(&format!(
        "{how}; filename=\"{safe}\"; filename*=UTF-8''{full}"
    ))
    .map_err(ApiError::internal)?;
    let media_type = HeaderValue::from_str(media_type).map_err(ApiError::internal)?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, media_type);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CONTENT_DISPOSITION, named);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}
