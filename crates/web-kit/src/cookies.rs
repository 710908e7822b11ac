//! Cookies as egov sets and reads them: HttpOnly, SameSite=Lax, and over
//! TLS Secure with the `__Host-` prefix.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
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

/// Whether a form posted without a session (or for a holder of a link,
/// whoever is signed in) echoes its double-submit cookie.
pub fn form_token_matches(headers: &HeaderMap, secure: bool, csrf: &str) -> bool {
    !csrf.is_empty() && cookie(headers, FORM_COOKIE, secure).as_deref() == Some(csrf)
}

/// `res`, setting the double-submit cookie to `csrf`, the token its form
/// carries.
pub fn with_form_cookie(secure: bool, csrf: &str, mut res: Response) -> Response {
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FORM_COOKIE, csrf.to_owned(), None, secure),
    );
    res
}
