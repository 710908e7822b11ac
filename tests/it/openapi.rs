//! The generated OpenAPI document: served, 3.1, and unchanged unless the
//! snapshot is reviewed (`cargo insta review`).

use crate::common;

use axum::http::StatusCode;
use common::TestApp;

#[tokio::test]
async fn the_document_is_served_and_matches_the_snapshot() {
    let app = TestApp::empty().await;
    let res = app.get("/api/openapi.json").await;
    assert_eq!(res.status, StatusCode::OK);
    let doc = res.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/departments"]["post"].is_object());
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test]
async fn the_docs_page_uses_only_embedded_assets() {
    let app = TestApp::empty().await;
    let res = app.get("/api/docs").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res
        .body
        .contains("/assets/vendor/swagger-ui/swagger-ui-bundle.js"));
    assert!(!res.body.contains("http://") && !res.body.contains("https://"));
    for asset in [
        "/assets/vendor/swagger-ui/swagger-ui-bundle.js",
        "/assets/vendor/swagger-ui/swagger-ui.css",
        "/assets/js/api-docs.js",
    ] {
        assert_eq!(app.get(asset).await.status, StatusCode::OK, "{asset}");
    }
}
