//! The API reference, served offline: Swagger UI from embedded assets,
//! reading the generated `/api/openapi.json`.

use crate::context::Lang;
use axum::http::header;
use axum::response::{Html, IntoResponse};

pub async fn page(Lang(locale): Lang) -> impl IntoResponse {
    let title = crate::i18n::translate(locale, "docs.title");
    let html = format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="/assets/img/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/vendor/swagger-ui/swagger-ui.css">
</head>
<body>
<main id="main"><div id="swagger-ui"></div></main>
<script src="/assets/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/assets/js/api-docs.js"></script>
</body>
</html>"#,
        lang = locale.tag(),
    );
    // Swagger UI sets inline styles; allow that here and nowhere else.
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            egov_web_kit::csp::with_inline_styles(),
        )],
        Html(html),
    )
}
