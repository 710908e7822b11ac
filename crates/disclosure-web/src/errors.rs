//! Disclosure's errors as problems, with their message in Chinese.

use axum::http::StatusCode;
use egov_disclosure::documents::DocumentError;
use egov_disclosure::filing::FilingError;
use egov_disclosure::report::ReportError;
use egov_web_kit::problem::ApiError;

/// Why a request was not filed.
pub fn filing(e: FilingError) -> ApiError {
    let en = e.to_string();
    match e {
        FilingError::Request(r) => ApiError::validation(r.message_zh(), en),
        FilingError::Case(c) => c.into(),
        FilingError::Store(s) => s.into(),
        FilingError::Org(o) => ApiError::internal(o),
        FilingError::Calendar(c) => ApiError::internal(c),
        FilingError::Process(p) => p.into(),
    }
}

/// Why a document was not published or withdrawn.
pub fn documents(e: DocumentError) -> ApiError {
    let en = e.to_string();
    let zh = e.message_zh();
    match e {
        DocumentError::NotFound => ApiError::not_found(zh, en),
        DocumentError::NumberTaken(_) => {
            ApiError::new(StatusCode::CONFLICT, "already_exists").with_detail(zh, en)
        }
        DocumentError::Withdrawn => {
            ApiError::new(StatusCode::CONFLICT, "withdrawn").with_detail(zh, en)
        }
        DocumentError::Store(s) => s.into(),
        _ => ApiError::validation(zh, en),
    }
}

/// Why there is no table.
pub fn report(e: ReportError) -> ApiError {
    match e {
        ReportError::Year => ApiError::new(StatusCode::BAD_REQUEST, "invalid_query")
            .with_detail("年份须在 2008 至 9999 之间", e.to_string()),
        ReportError::Store(s) => s.into(),
    }
}
