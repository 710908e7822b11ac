//! Cookies as egov sets and reads them: HttpOnly, SameSite=Lax, and over
//! TLS Secure with the `__Host-` prefix.

use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

pub const SESSION_COOKIE: &str = "egov_session";
/// Double-submit token for forms shown before sign-in (the sign-in form).
pub const FORM_COOKIE: &str = "egov_form";

/// A cookie's name as sent: over TLS it carries the `__Host-` prefix, so
/// the browser keeps it for this host only (Secure, Path=/, no Domain) and
/// a neighbouring subdomain cannot plant one.
fn cookie_name(name: &str, secure: bool) -> std::borrow::Cow<'_, str> {
    if secure {
        format!("__Host-{name}").into()
    } else {
        name.into()
    }
}

/// The value of cookie `name` (under its `__Host-` name when `secure`).
pub fn cookie(headers: &HeaderMap, name: &str, secure: bool) -> Option<String> {
    let name = cookie_name(name, secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure (and the
/// `__Host-` prefix) when the site is served over TLS. `max_age` None makes
/// a session cookie; zero deletes.
pub fn set_cookie(
    name: &'static str,
    value: String,
    max_age: Option<cookie::time::Duration>,
    secure: bool,
) -> HeaderValue {
    let mut c = Cookie::build((cookie_name(name, secure).into_owned(), value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure);
    if let Some(age) = max_age {
        c = c.max_age(age);
    }
    HeaderValue::from_str(&c.build().to_string()).expect("cookie is a valid header")
}
