//! RFC 9457 problem details. Handlers return [`ApiError`]; it carries a
//! stable `code` and an optional specific message in both languages. The
//! `problem_render::render` middleware writes the body in the request's
//! language.

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use egov_kernel::Locale;
use serde::Serialize;
use std::error::Error as StdError;

/// A message in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Localized {
    pub zh: String,
    pub en: String,
}

impl Localized {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Localized {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::Zh => &self.zh,
            Locale::En => &self.en,
        }
    }
}

/// An error on its way to becoming problem+json.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable, machine-readable; documented under `/problems/{code}`.
    pub code: &'static str,
    pub detail: Option<Localized>,
    /// For 5xx: the cause, logged and never shown.
    pub cause: Option<Box<dyn StdError + Send + Sync>>,
    /// Seconds after which trying again makes sense (503, 429).
    pub retry_after: Option<u64>,
    /// Every refused row of a batch (an import), each with its column.
    /// (A boxed slice keeps the error small: most have none.)
    pub rows: Box<[RowError]>,
}

/// One refused row of a batch: where (from 1), which column, and why.
#[derive(Debug, Clone)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub(crate) message: Localized,
}

impl RowError {
    pub fn new(row: usize, column: impl Into<String>, message: Localized) -> RowError {
        RowError {
            row,
            column: column.into(),
            message,
        }
    }

    /// The message in `locale`, for a page that shows it beside the field.
    pub fn message(&self, locale: egov_kernel::Locale) -> &str {
        self.message.get(locale)
    }
}

/// A row as a problem document writes it, in the request's language.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemRow {
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        ApiError {
            status,
            code,
            detail: None,
            cause: None,
            retry_after: None,
            rows: Box::default(),
        }
    }

    /// The server cannot take this now (too many passwords being checked,
    /// the database out of reach): try again after `retry_after` seconds.
    pub fn unavailable(
        code: &'static str,
        retry_after: u64,
        cause: Option<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        ApiError {
            cause,
            retry_after: Some(retry_after),
            ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code)
        }
    }

    /// An identity error where no form shows it: refusals as 4xx, a busy
    /// server as 503, the store's failures as the store's.
    pub fn from_identity(e: egov_identity::IdentityError) -> Self {
        use egov_identity::IdentityError as E;
        match e {
            E::Store(s) => s.into(),
            E::Keyring(k) => ApiError::internal(k),
            E::Busy(_) => ApiError::unavailable("busy", 1, None),
            E::NotFound => ApiError::not_found("账户不存在", "no such account"),
            E::Forbidden => ApiError::forbidden(),
            E::Locked(_) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "locked").with_detail(
                "尝试次数过多，已临时锁定",
                "too many attempts; locked for a while",
            ),
            E::WrongPassword => {
                ApiError::validation("当前密码不正确", "the current password is wrong")
            }
            E::Invalid { zh, en, .. } => ApiError::validation(zh, en),
            other => ApiError::validation(other.to_string(), other.to_string()),
        }
    }

    pub fn with_detail(mut self, zh: impl Into<String>, en: impl Into<String>) -> Self {
        self.detail = Some(Localized::new(zh, en));
        self
    }

    /// A failure that is the server's. When its cause is the database out
    /// of reach or a full disk, it is a 503 with `Retry-After` instead: the
    /// same request will work again once the database is back.
    pub fn internal(cause: impl StdError + Send + Sync + 'static) -> Self {
        if egov_store::unavailable_in_chain(&cause) {
            return ApiError::unavailable("unavailable", 5, Some(Box::new(cause)));
        }
        ApiError {
            cause: Some(Box::new(cause)),
            ..ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }

    pub fn not_found(zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found").with_detail(zh, en)
    }

    pub fn unauthorized() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized")
    }

    pub fn forbidden() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden")
    }

    pub fn validation(zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").with_detail(zh, en)
    }

    /// A batch refused whole (422 `rows_refused`), naming every bad row.
    pub fn rows_refused(rows: Vec<RowError>) -> Self {
        let n = rows.len();
        ApiError {
            rows: rows.into_boxed_slice(),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "rows_refused").with_detail(
                format!("{n} 行有误，全部未导入"),
                format!("{n} rows are refused; nothing was stored"),
            )
        }
    }
}

/// What the render middleware needs; travels in response extensions.
#[derive(Debug, Clone)]
pub(crate) struct ProblemSpec {
    pub(crate) code: &'static str,
    pub(crate) detail: Option<Localized>,
    pub(crate) rows: Vec<RowError>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            if let Some(cause) = &self.cause {
                tracing::warn!(code = self.code, error = %Chain(cause.as_ref()), "unavailable");
            }
        } else if self.status.is_server_error() {
            match &self.cause {
                Some(cause) => {
                    tracing::error!(code = self.code, error = %Chain(cause.as_ref()), "request failed")
                }
                None => tracing::error!(code = self.code, "request failed"),
            }
        }
        let mut res = self.status.into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res.extensions_mut().insert(ProblemSpec {
            code: self.code,
            detail: self.detail,
            rows: self.rows.into_vec(),
        });
        res
    }
}

pub use egov_kernel::error::Chain;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem kind: `/problems/{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path.
    pub instance: String,
    /// Stable error code.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For `rows_refused`: every refused row of the batch and its column.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<ProblemRow>,
}

/// The problem answers an operation documents, written once: name them in
/// `#[utoipa::path(responses(...))]` beside the operation's own answer, as
/// `responses((status = 200, body = X), answers::NotFound)`.
pub mod answers {
    use super::Problem;
    use utoipa::IntoResponses;

    macro_rules! problem_answers {
        ($($(#[$doc:meta])* $name:ident = $status:literal, $why:literal;)*) => {$(
            $(#[$doc])*
            #[derive(IntoResponses)]
            #[response(status = $status, description = $why, content_type = "application/problem+json")]
            #[allow(dead_code)] // documents an answer; never built
            pub struct $name(Problem);
        )*};
    }

    problem_answers! {
        BadRequest = 400, "The path, query or body does not read";
        Unauthorized = 401, "Not signed in, or the key is not valid";
        Forbidden = 403, "Signed in or keyed, but not allowed (or a session write without X-CSRF-Token)";
        NotFound = 404, "No such thing, or not one the caller may see";
        Conflict = 409, "The thing changed or exists already";
        PayloadTooLarge = 413, "The body is larger than the server takes";
        UnsupportedMediaType = 415, "The body is not of the type stated";
        Unprocessable = 422, "The input reads but breaks a rule";
        Unavailable = 503, "The database is out of reach; try again after Retry-After";
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let text = r.body_text();
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
                    .with_detail(
                        "请求须为 JSON（Content-Type: application/json）",
                        "the request body must be JSON (Content-Type: application/json)",
                    )
            }
            JsonRejection::JsonSyntaxError(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json")
                    .with_detail(format!("JSON 格式错误：{text}"), text)
            }
            JsonRejection::JsonDataError(_) if text.contains("unknown field") => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_field")
                    .with_detail(format!("请求包含未知字段：{text}"), text)
            }
            JsonRejection::JsonDataError(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                    .with_detail(format!("字段缺失或类型错误：{text}"), text)
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            other => ApiError::new(other.status(), "bad_request").with_detail(text.clone(), text),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let text = r.body_text();
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query")
            .with_detail(format!("查询参数错误：{text}"), text)
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        let text = r.body_text();
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_path")
            .with_detail(format!("路径参数错误：{text}"), text)
    }
}

impl From<FormRejection> for ApiError {
    fn from(r: FormRejection) -> Self {
        let text = r.body_text();
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
        }
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_form")
            .with_detail(format!("表单错误：{text}"), text)
    }
}

impl From<egov_store::StoreError> for ApiError {
    fn from(e: egov_store::StoreError) -> Self {
        ApiError::internal(e)
    }
}

/// Every stable code, for the catalogue test and the problems page.
pub const CODES: &[&str] = &[
    "action_not_allowed",
    "already_exists",
    "bad_request",
    "busy",
    "case_closed",
    "corrections_unanswered",
    "department_exists",
    "forbidden",
    "insufficient_scope",
    "internal",
    "invalid_body",
    "invalid_form",
    "invalid_path",
    "invalid_query",
    "locked",
    "malformed_json",
    "materials_outstanding",
    "matter_closed",
    "method_not_allowed",
    "not_found",
    "payload_too_large",
    "route_not_found",
    "rows_refused",
    "timeout",
    "too_late",
    "unauthorized",
    "unavailable",
    "unknown_field",
    "unsupported_media_type",
    "validation_failed",
    "version_conflict",
];
