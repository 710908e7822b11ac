//! The middleware that writes every error a client sees in one shape: a
//! problem+json body in the request's language, or an HTML error page for a
//! person at a browser. Bare error statuses from lower layers (body limit,
//! timeout, an extractor's plain-text rejection) become problems too.

use crate::context::locale_of;
use crate::i18n::translate;
use crate::problem::{Localized, Problem, ProblemSpec};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Middleware: renders problem bodies in the request's language.
pub async fn render(req: Request, next: Next) -> Response {
    let locale = locale_of(req.headers());
    let instance = req.uri().path().to_owned();
    // A person at a browser gets a page, not JSON.
    let wants_page = !instance.starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut res = next.run(req).await;
    let spec = match res.extensions_mut().remove::<ProblemSpec>() {
        Some(spec) => spec,
        // A lower layer answered with a bare error status and no body type.
        None if res.status().is_client_error() || res.status().is_server_error() => {
            let plain = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.starts_with("text/plain"));
            match plain {
                // A page or a body of its own (HTML, a token error): as it is.
                Some(false) => return res,
                // An extractor's rejection (a broken multipart body, say):
                // its text becomes the problem's detail.
                Some(true) => {
                    let status = res.status();
                    let text = match axum::body::to_bytes(res.into_body(), 4096).await {
                        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                        Err(_) => String::new(),
                    };
                    res = status.into_response();
                    ProblemSpec {
                        code: code_for_status(status),
                        detail: (!text.is_empty())
                            .then(|| Localized::new(format!("请求无法处理：{text}"), text)),
                        rows: Vec::new(),
                    }
                }
                None => ProblemSpec {
                    code: code_for_status(res.status()),
                    detail: None,
                    rows: Vec::new(),
                },
            }
        }
        None => return res,
    };
    let status = res.status();
    if wants_page {
        let kind = match status {
            StatusCode::NOT_FOUND => "error.not_found",
            StatusCode::FORBIDDEN => "error.forbidden",
            StatusCode::SERVICE_UNAVAILABLE if spec.code == "busy" => "error.busy",
            StatusCode::SERVICE_UNAVAILABLE => "error.unavailable",
            _ => "error.other",
        };
        let message = match &spec.detail {
            Some(d) if !status.is_server_error() => d.get(locale).to_owned(),
            _ => translate(locale, &format!("{kind}.message")).to_owned(),
        };
        let mut page = crate::page::message_page(
            locale,
            status,
            translate(locale, &format!("{kind}.heading")),
            &message,
        );
        for (name, value) in res.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                page.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return page;
    }
    let problem = Problem {
        kind: format!("/problems/{}", spec.code),
        title: translate(locale, &format!("problem.{}", spec.code)).to_owned(),
        status: status.as_u16(),
        detail: spec.detail.map(|d| d.get(locale).to_owned()),
        instance,
        code: spec.code.to_owned(),
        request_id,
        rows: spec
            .rows
            .iter()
            .map(|r| crate::problem::ProblemRow {
                row: r.row,
                column: r.column.clone(),
                message: r.message.get(locale).to_owned(),
            })
            .collect(),
    };
    let body = serde_json::to_vec(&problem).expect("problem serialises");
    let mut out = (status, body).into_response();
    let headers = out.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(locale.tag()),
    );
    // Keep headers such as WWW-Authenticate or Allow set by the handler.
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

fn code_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "route_not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}
