//! Personal access tokens: a citizen makes one on the account page (the
//! password again), their software opens and reads their cases with it,
//! within its scopes and only on the routes open to it; revoked or expired,
//! it stops at once.

use crate::common::{self, TestApp, TestResponse};
use axum::http::{Method, StatusCode};
use serde_json::json;

const PASSWORD: &str = "Chang-Cheng-Wan-Li-9";

/// Makes a token through the account page; answers the page.
async fn make(app: &TestApp, who: &(String, String), fields: &[(&str, &str)]) -> TestResponse {
    let mut all = vec![("csrf", who.1.as_str())];
    all.extend_from_slice(fields);
    app.post_form("/account/tokens", Some(&who.0), &all).await
}

fn token_in(page: &TestResponse) -> String {
    let start = page.body.find("egovp_").expect("the new token is shown");
    page.body[start..start + 6 + 64].to_owned()
}

async fn call(app: &TestApp, method: Method, path: &str, token: &str, body: &str) -> TestResponse {
    let auth = format!("Bearer {token}");
    app.send(
        method,
        path,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        body.to_owned(),
    )
    .await
}

#[tokio::test]
async fn a_citizens_software_acts_for_them_within_the_tokens_scopes() {
    let app = TestApp::new().await;
    app.citizen("zhang.san").await;
    let citizen = app.sign_in("zhang.san", PASSWORD).await;

    // The password is asked again; a wrong one makes nothing.
    let refused = make(
        &app,
        &citizen,
        &[
            ("name", "对接"),
            ("read", "on"),
            ("days", "90"),
            ("password", "wrong"),
        ],
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("egovp_"));
    assert_eq!(app.count("personal_tokens").await, 0);
    // No scope, or a lifetime not on offer: refused with the reason.
    for fields in [
        [("name", "对接"), ("days", "90"), ("password", PASSWORD)].as_slice(),
        &[
            ("name", "对接"),
            ("read", "on"),
            ("days", "7"),
            ("password", PASSWORD),
        ],
    ] {
        let res = make(&app, &citizen, fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    }
    assert_eq!(app.count("personal_tokens").await, 0);

    let made = make(
        &app,
        &citizen,
        &[
            ("name", "只读对接"),
            ("read", "on"),
            ("days", "30"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let reader = token_in(&made);
    assert_eq!(
        app.count_where("audit_log", "action = 'personal_token.create'")
            .await,
        1
    );
    // Shown once: the list shows its prefix only.
    let listed = app
        .get_with("/account/tokens", &[("cookie", &citizen.0)])
        .await;
    assert!(listed.body.contains("只读对接") && listed.body.contains(&reader[..14]));
    assert!(!listed.body.contains(&reader));

    // Who am I, my cases, the departments to apply to: reads it may make.
    let me = call(&app, Method::GET, "/api/v1/me", &reader, "").await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.json()["username"], "zhang.san");
    for path in ["/api/v1/cases", "/api/v1/departments", "/api/v1/services"] {
        let res = call(&app, Method::GET, path, &reader, "").await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
    }
    // Changing anything needs applications:write.
    let report = json!({"process": "city_grid_case", "department": "110000-CGW",
        "title": "井盖缺失", "data": {"category": "部件/井盖", "description": "井盖缺失"}})
    .to_string();
    call(&app, Method::POST, "/api/v1/cases", &reader, &report)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "insufficient_scope");
    assert_eq!(app.count("cases").await, 0);

    let made = make(
        &app,
        &citizen,
        &[
            ("name", "申报软件"),
            ("read", "on"),
            ("write", "on"),
            ("days", "90"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let writer = token_in(&made);
    let opened = call(&app, Method::POST, "/api/v1/cases", &writer, &report).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    assert_eq!(opened.json()["department"], "110000-CGW");
    let number = opened.json()["number"].as_str().unwrap().to_owned();
    // The case is the citizen's: their session sees it too.
    let mine = app
        .get_with(
            &format!("/api/v1/cases/{number}"),
            &[("cookie", &citizen.0)],
        )
        .await;
    assert_eq!(mine.status, StatusCode::OK);

    // Routes that are not an applicant's business refuse a token, even a
    // read of a public one, and so do the pages (they know only cookies).
    call(&app, Method::GET, "/api/v1/audit/checkpoints", &writer, "")
        .await
        .assert_problem(StatusCode::FORBIDDEN, "insufficient_scope");
    call(&app, Method::POST, "/api/v1/departments", &writer, "{}")
        .await
        .assert_problem(StatusCode::FORBIDDEN, "insufficient_scope");
    let page = call(&app, Method::GET, "/account/tokens", &writer, "").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "a page asks to sign in");

    // Revoked: refused at once. Someone else's token is not found.
    let id: i64 = app
        .texts("SELECT CAST(id AS TEXT) FROM personal_tokens WHERE name = '申报软件'")
        .await[0]
        .parse()
        .unwrap();
    let pw = app.enterprise("ent.rep").await;
    let other = app.sign_in("ent.rep", &pw).await;
    let res = app
        .post_form(
            &format!("/account/tokens/{id}/revoke"),
            Some(&other.0),
            &[("csrf", &other.1)],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(
        call(&app, Method::GET, "/api/v1/me", &writer, "")
            .await
            .status,
        StatusCode::OK
    );
    let res = app
        .post_form(
            &format!("/account/tokens/{id}/revoke"),
            Some(&citizen.0),
            &[("csrf", &citizen.1)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    call(&app, Method::GET, "/api/v1/me", &writer, "")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        app.count_where("audit_log", "action = 'personal_token.revoke'")
            .await,
        1
    );

    // Expired: refused too.
    app.db()
        .execute(
            egov_store::query("UPDATE personal_tokens SET expires_at = $1")
                .bind(egov_kernel::time::now() - chrono::Duration::seconds(1)),
        )
        .await
        .unwrap();
    call(&app, Method::GET, "/api/v1/me", &reader, "")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let records = app.count("audit_log").await;
    assert_eq!(common::verify_audit(&app).await, common::intact(records));
}

#[tokio::test]
async fn staff_hold_no_personal_tokens() {
    let app = TestApp::new().await;
    let pw = app.staff("clerk", false).await;
    let clerk = app.sign_in("clerk", &pw).await;
    let page = app
        .get_with("/account/tokens", &[("cookie", &clerk.0)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let res = make(
        &app,
        &clerk,
        &[
            ("name", "x"),
            ("read", "on"),
            ("days", "90"),
            ("password", &pw),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("personal_tokens").await, 0);
}
