//! The benchmark ceiling: a bare axum server with the same runtime and the
//! same two kinds of answer egov gives (a plain `ok` and a small JSON list),
//! without middleware, database or templates.
//!
//! `cargo run --release -p egov-web --example bare_axum -- 127.0.0.1:8090`

use axum::{routing::get, Json, Router};

#[tokio::main]
async fn main() {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let departments: serde_json::Value = serde_json::json!([
        {"code": "110000-GOV", "name": "北京市人民政府", "kind": "government"},
        {"code": "110000-FGW", "name": "北京市发展和改革委员会", "kind": "municipal"}
    ]);
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/api/v1/departments",
            get(move || {
                let d = departments.clone();
                async move { Json(d) }
            }),
        );
    let listener = tokio::net::TcpListener::bind(&bind).await.expect("bind");
    eprintln!("bare axum listening on http://{bind}");
    axum::serve(listener, app).await.expect("serve");
}
