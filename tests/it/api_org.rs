//! The organisation API: reads without sign-in, writes with a scoped key,
//! and every bad input answered with problem+json and no change.

use crate::common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use egov_identity::Scope;
use serde_json::json;

fn new_department() -> serde_json::Value {
    json!({
        "code": "110105-KJXXHJ",
        "name": "北京市朝阳区科技和信息化局",
        "short_name": "朝阳区科信局",
        "kind": "district",
        "division": "110105",
        "parent": "110105-GOV"
    })
}

#[tokio::test]
async fn reads_divisions_and_departments_without_sign_in() {
    let app = TestApp::new().await;

    let districts = app.get("/api/v1/divisions?level=district").await;
    assert_eq!(districts.status, StatusCode::OK);
    let districts = districts.json();
    assert_eq!(districts.as_array().unwrap().len(), 16);
    assert_eq!(districts[0]["code"], "110101");
    assert_eq!(districts[0]["name"], "东城区");

    let streets = app.get("/api/v1/divisions?parent=110101").await.json();
    assert!(streets.as_array().unwrap().len() >= 15);
    assert!(streets
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["level"] == "street" && s["parent"] == "110101"));

    let chaoyang = app.get("/api/v1/divisions/110105").await.json();
    assert_eq!(chaoyang["name"], "朝阳区");
    assert_eq!(chaoyang["parent"], "110000");

    let municipal = app
        .get("/api/v1/departments?division=110000&kind=municipal")
        .await
        .json();
    let names: Vec<&str> = municipal
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"北京市发展和改革委员会"), "{names:?}");
    assert!(municipal
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["division"] == "110000" && d["kind"] == "municipal"));

    let dept = app.get("/api/v1/departments/110105-SCJGJ").await;
    assert_eq!(dept.status, StatusCode::OK);
    assert_eq!(dept.json()["parent"], "110105-GOV");

    let children = app
        .get("/api/v1/departments?parent=110105-GOV")
        .await
        .json();
    assert!(children.as_array().unwrap().len() >= 10);
}

#[tokio::test]
async fn unknown_codes_are_404_problems() {
    let app = TestApp::new().await;
    app.get("/api/v1/divisions/999999")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let res = app.get("/api/v1/departments/110105-NOPE").await;
    res.assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert!(res.json()["detail"]
        .as_str()
        .unwrap()
        .contains("110105-NOPE"));
    app.get("/api/v1/divisions?level=planet")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
}

#[tokio::test]
async fn creates_a_department_with_its_audit_record() {
    let app = TestApp::new().await;
    let key = app.api_key(&[Scope::OrgWrite]).await;
    let audit_before = app.count("audit_log").await;

    let res = app
        .post_json("/api/v1/departments", Some(&key), &new_department())
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.header("location"), "/api/v1/departments/110105-KJXXHJ");
    assert_eq!(res.json()["parent"], "110105-GOV");

    let fetched = app.get("/api/v1/departments/110105-KJXXHJ").await.json();
    assert_eq!(fetched["name"], "北京市朝阳区科技和信息化局");

    assert_eq!(app.count("audit_log").await, audit_before + 1);
    let records = egov_audit::for_object(app.db(), "department", "110105-KJXXHJ", 10)
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].action, "department.create");
    assert!(records[0].actor.starts_with("api_key:"));
}

#[tokio::test]
async fn a_duplicate_code_is_a_conflict_and_changes_nothing() {
    let app = TestApp::new().await;
    let key = app.api_key(&[Scope::OrgWrite]).await;
    let mut body = new_department();
    body["code"] = json!("110105-SCJGJ");
    let depts = app.count("departments").await;
    let audit = app.count("audit_log").await;

    let res = app
        .post_json("/api/v1/departments", Some(&key), &body)
        .await;
    res.assert_problem(StatusCode::CONFLICT, "department_exists");
    assert!(res.json()["detail"].as_str().unwrap().contains("已存在"));

    assert_eq!(app.count("departments").await, depts);
    assert_eq!(app.count("audit_log").await, audit);
}

#[tokio::test]
async fn bad_input_gets_a_precise_problem_and_changes_nothing() {
    let app = TestApp::new().await;
    let key = app.api_key(&[Scope::OrgWrite]).await;
    let depts = app.count("departments").await;
    let audit = app.count("audit_log").await;
    let auth = format!("Bearer {key}");

    let cases: Vec<(serde_json::Value, StatusCode, &str)> = vec![
        (
            {
                let mut b = new_department();
                b["code"] = json!("110105-lower");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            {
                let mut b = new_department();
                b["code"] = json!("110106-KJXXHJ");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            {
                let mut b = new_department();
                b["parent"] = json!("110105-NOSUCH");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            {
                let mut b = new_department();
                b["name"] = json!("  ");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            {
                let mut b = new_department();
                b["kind"] = json!("ministry");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            {
                let mut b = new_department();
                b["name"] = json!(42);
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            {
                let mut b = new_department();
                b["colour"] = json!("red");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
        ),
        (
            {
                let mut b = new_department();
                b.as_object_mut().unwrap().remove("division");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ];
    for (body, status, code) in cases {
        let res = app
            .post_json("/api/v1/departments", Some(&key), &body)
            .await;
        res.assert_problem(status, code);
    }

    app.send(
        Method::POST,
        "/api/v1/departments",
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        "{\"code\": ",
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "malformed_json");

    app.send(
        Method::POST,
        "/api/v1/departments",
        &[("content-type", "text/plain"), ("authorization", &auth)],
        new_department().to_string(),
    )
    .await
    .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");

    let huge = json!({ "code": "110105-BIG", "name": "x".repeat(2 * 1024 * 1024),
        "kind": "district", "division": "110105" });
    app.post_json("/api/v1/departments", Some(&key), &huge)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    assert_eq!(app.count("departments").await, depts);
    assert_eq!(app.count("audit_log").await, audit);
}

#[tokio::test]
async fn writes_need_a_key_with_the_right_scope() {
    let app = TestApp::new().await;
    let depts = app.count("departments").await;

    let res = app
        .post_json("/api/v1/departments", None, &new_department())
        .await;
    res.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");

    app.post_json(
        "/api/v1/departments",
        Some("egov_not-a-real-key"),
        &new_department(),
    )
    .await
    .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");

    let audit_only = app.api_key(&[Scope::AuditRead]).await;
    app.post_json("/api/v1/departments", Some(&audit_only), &new_department())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    assert_eq!(app.count("departments").await, depts);
}

#[tokio::test]
async fn problems_speak_the_requested_language() {
    let app = TestApp::new().await;
    let zh = app.get("/api/v1/departments/110105-NOPE").await;
    assert_eq!(zh.json()["title"], "资源不存在");
    assert_eq!(zh.header("content-language"), "zh-CN");
    let en = app
        .get_with(
            "/api/v1/departments/110105-NOPE",
            &[("accept-language", "en-GB,en;q=0.9")],
        )
        .await;
    assert_eq!(en.json()["title"], "Not found");
    assert_eq!(en.json()["detail"], "no department 110105-NOPE");
    assert_eq!(en.header("content-language"), "en");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = TestApp::new().await;
    app.get("/api/v1/nothing-here")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "route_not_found");
    app.send(Method::DELETE, "/api/v1/departments", &[], "")
        .await
        .assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    // Browsers get a page instead.
    let page = app
        .get_with("/no-such-page", &[("accept", "text/html")])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.body.contains("页面不存在"));
}

/// The codes of the departments of Chaoyang a node lists.
async fn chaoyang(node: &common::TestNode) -> Vec<String> {
    let list = node.get("/api/v1/departments?division=110105").await;
    assert_eq!(list.status, StatusCode::OK);
    list.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Each node serves the organisation from memory: a department created on
/// one node shows on another as soon as that node compares revisions (at
/// once here; every second by default), and not before. A row written
/// behind the platform's back bumps no revision, so no node serves it
/// until a change that does.
#[tokio::test]
async fn every_node_serves_the_organisation_from_memory_and_sees_each_change() {
    use std::time::Duration;
    let app = TestApp::new().await;
    let this = app.another_node();
    let (_db, eager) = app.node_of_its_own(Duration::ZERO).await;
    let (_db, lazy) = app.node_of_its_own(Duration::from_secs(3600)).await;
    for node in [&this, &eager, &lazy] {
        let codes = chaoyang(node).await;
        assert!(codes.contains(&"110105-GOV".to_owned()), "{codes:?}");
        assert!(!codes.contains(&"110105-KJXXHJ".to_owned()));
    }

    app.db()
        .write(|tx| {
            Box::pin(async move {
                tx.execute(
                    egov_store::query(
                        "INSERT INTO departments (code, name, kind, division_code, created_at, \
                         updated_at) VALUES ('110105-BEHIND', '未经平台写入', 'district', \
                         '110105', $1, $1)",
                    )
                    .bind(egov_kernel::time::now()),
                )
                .await
            })
        })
        .await
        .unwrap();
    assert!(!chaoyang(&eager).await.contains(&"110105-BEHIND".to_owned()));

    let key = app.api_key(&[Scope::OrgWrite]).await;
    let created = app
        .post_json("/api/v1/departments", Some(&key), &new_department())
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

    for node in [&this, &eager] {
        let codes = chaoyang(node).await;
        assert!(codes.contains(&"110105-KJXXHJ".to_owned()), "{codes:?}");
        assert!(codes.contains(&"110105-BEHIND".to_owned()), "{codes:?}");
    }
    let seen = app.get("/api/v1/departments/110105-KJXXHJ").await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!chaoyang(&lazy).await.contains(&"110105-KJXXHJ".to_owned()));
}
