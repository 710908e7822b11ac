//! The API reference inside the portal's frame (its header, navigation and
//! a way back), served offline: Swagger UI from embedded assets, reading
//! the generated `/api/openapi.json`.

use crate::auth::MaybeUser;
use crate::context::Lang;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use egov_web_kit::page::{render, Chrome};

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    chrome: Chrome,
}

pub async fn page(Lang(locale): Lang, MaybeUser(user): MaybeUser) -> Response {
    let mut res = render(
        StatusCode::OK,
        &DocsPage {
            chrome: Chrome::new(locale, user, "/api/docs"),
        },
    );
    // Swagger UI sets inline styles; allow that here and nowhere else.
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        egov_web_kit::csp::with_inline_styles(),
    );
    res.into_response()
}
