//! Request-scoped facts: the language, the client address and request id
//! that go into audit records.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use egov_kernel::{Actor, Context, Locale};
use std::convert::Infallible;
use std::net::SocketAddr;

pub const LANG_COOKIE: &str = "egov_lang";

/// The cookie set by the language switch wins; then `Accept-Language`.
pub fn locale_of(headers: &HeaderMap) -> Locale {
    // The language is no secret: either name will do.
    let chosen = crate::cookies::cookie(headers, LANG_COOKIE, true)
        .or_else(|| crate::cookies::cookie(headers, LANG_COOKIE, false));
    if let Some(tag) = chosen {
        if let Some(l) = Locale::from_tag(&tag) {
            return l;
        }
    }
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Locale::negotiate)
        .unwrap_or_default()
}

/// Where this server is reached from outside: the configured public
/// address, else the host the client asked for (no trailing `/`).
pub fn public_base(settings: &crate::state::WebSettings, headers: &HeaderMap) -> String {
    let base = settings.public_url.clone().unwrap_or_else(|| {
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    });
    base.trim_end_matches('/').to_owned()
}

/// The request's language.
pub struct Lang(pub Locale);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Lang(locale_of(&parts.headers)))
    }
}

/// Where the request came from, for audit records.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub source: Option<String>,
    pub request_id: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Origin {
            source: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ci| ci.0.ip().to_string()),
            request_id: parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        })
    }
}

impl Origin {
    /// The audit context of a change `actor` makes through this request.
    pub fn context(self, actor: Actor) -> Context {
        Context {
            actor,
            source: self.source,
            request_id: self.request_id,
        }
    }
}
