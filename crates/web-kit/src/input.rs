//! Guards on raw input that every route shares, so that each system added
//! later inherits them: no NUL character reaches a handler (PostgreSQL text
//! cannot hold one, and no form or API of ours takes one), in the path, the
//! query, a JSON body or a form body. Refused as 400 problem+json.

use crate::problem::ApiError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

fn nul() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request").with_detail(
        "请求中含有不允许的空字符（NUL）",
        "the request holds a NUL character, which nothing here accepts",
    )
}

/// `%00` (either case) in percent-encoded text.
fn encodes_nul(raw: &[u8]) -> bool {
    raw.windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// A NUL in a JSON document's strings or keys (written `\u0000`). A body
/// that does not parse is left for the handler to refuse as malformed.
fn json_holds_nul(raw: &[u8]) -> bool {
    fn walk(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(a) => a.iter().any(walk),
            serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || walk(v)),
            _ => false,
        }
    }
    raw.contains(&0) || serde_json::from_slice::<serde_json::Value>(raw).is_ok_and(|v| walk(&v))
}

pub async fn reject_nul(State(max_body): State<usize>, req: Request, next: Next) -> Response {
    let uri = req.uri();
    if encodes_nul(uri.path().as_bytes()) || uri.query().is_some_and(|q| encodes_nul(q.as_bytes()))
    {
        return nul().into_response();
    }
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let json = kind == "application/json" || kind.ends_with("+json");
    let form = kind == "application/x-www-form-urlencoded";
    if !json && !form {
        return next.run(req).await;
    }
    // Small bodies only reach here (forms and JSON share the body limit).
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, max_body).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
                .into_response()
        }
    };
    if (json && json_holds_nul(&bytes)) || (form && (bytes.contains(&0) || encodes_nul(&bytes))) {
        return nul().into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn nul_is_seen_however_it_is_written() {
        assert!(super::encodes_nul(b"q=a%00b"));
        assert!(!super::encodes_nul(b"q=100%25"));
        assert!(super::json_holds_nul(br#"{"a":"x\u0000"}"#));
        assert!(super::json_holds_nul(br#"{"a\u0000":1}"#));
        assert!(super::json_holds_nul(b"{\"a\":\"x\0\"}"));
        // The text \u0000 (an escaped backslash) is no NUL.
        assert!(!super::json_holds_nul(br#"{"a":"\\u0000"}"#));
        assert!(!super::json_holds_nul(br#"{"a":"u0000"}"#));
    }
}
