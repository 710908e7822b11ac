//! Password hashing is bounded: no more hashes run at once than the gate
//! allows, and a sign-in that cannot get a turn in time is answered 503
//! with `Retry-After` and nothing counted against the account. The gate is
//! the process's, so this file is a test executable of its own, with one test.

#[path = "it/common/mod.rs"]
mod common;

use axum::http::StatusCode;
use common::TestApp;
use egov_identity::password::{self, HashLimits};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_sign_ins_never_runs_more_hashes_than_the_gate_allows() {
    assert!(password::configure(HashLimits {
        concurrent: 2,
        wait: Duration::from_millis(200),
        queue: 64,
    }));
    let app = Arc::new(TestApp::new().await);
    app.citizen("zhang.san").await;

    // Thirty failed sign-ins at once, under thirty different names.
    let mut set = tokio::task::JoinSet::new();
    for i in 0..30 {
        let app = app.clone();
        set.spawn(async move {
            app.submit_login(&format!("nobody.{i}"), "wrong-password-1")
                .await
        });
    }
    let mut busy = 0;
    while let Some(res) = set.join_next().await {
        let res = res.unwrap();
        match res.status {
            StatusCode::UNPROCESSABLE_ENTITY => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(res.header("retry-after"), "1");
                assert!(res.body.contains("服务器正忙"), "{}", res.body);
            }
            other => panic!("unexpected {other}: {}", res.body),
        }
    }
    assert!(
        password::gate().peak() <= 2,
        "peak {}",
        password::gate().peak()
    );

    // With every slot taken, a sign-in waits its short while, is refused,
    // and the attempt is given back: nothing counts against the person.
    let _first = password::gate().hold().await;
    let _second = password::gate().hold().await;
    let res = app.submit_login("zhang.san", "wrong-password-1").await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert_eq!(res.header("retry-after"), "1");
    assert_eq!(
        app.count_where("auth_throttle", "key = 'person:1' AND failures > 0")
            .await,
        0
    );
    let _ = busy;
}
