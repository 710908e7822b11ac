//! The benchmark ceiling: a bare axum server with the same runtime and the
//! same two kinds of answer egov gives (a plain `ok` and a JSON list),
//! without middleware, database or templates.
//!
//! `cargo run --release -p egov-web --example bare_axum -- 127.0.0.1:8090 [FILE.json]`
//!
//! With FILE.json, `/api/v1/departments` answers with that file's content:
//! parsed once at start into a `serde_json::Value` and serialised again on
//! every request through `axum::Json`, as egov serialises its rows. Without
//! it, a two-item list stands in. `bench/run.sh` passes egov's own answer to
//! `/api/v1/departments?division=110000`, so both servers send the same
//! content and length (a `Value` writes each object's keys in alphabetical
//! order).

use axum::{routing::get, Json, Router};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let departments: serde_json::Value = match args.next() {
        Some(path) => {
            let text =
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
        }
        None => serde_json::json!([
            {"code": "110000-GOV", "name": "北京市人民政府", "kind": "government"},
            {"code": "110000-FGW", "name": "北京市发展和改革委员会", "kind": "municipal"}
        ]),
    };
    // Borrowed for the life of the process: each request serialises the
    // same parsed value, with no per-request copy of the tree.
    let departments: &'static serde_json::Value = Box::leak(Box::new(departments));
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/api/v1/departments",
            get(move || async move { Json(departments) }),
        );
    let listener = tokio::net::TcpListener::bind(&bind).await.expect("bind");
    // The address actually bound, so that port 0 (any free port) is usable.
    let addr = listener.local_addr().expect("local address");
    eprintln!("bare axum listening on http://{addr}");
    axum::serve(listener, app).await.expect("serve");
}
