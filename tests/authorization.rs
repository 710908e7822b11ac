//! The principal x route matrix: every route, every kind of caller, the
//! expected answer. A route added without a row here fails the last test.

mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use egov_identity::Scope;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    Citizen,
    Staff,
    Admin,
    KeyOrgWrite,
    KeyAuditRead,
}

const ALL: [Who; 6] = [
    Who::Anonymous,
    Who::Citizen,
    Who::Staff,
    Who::Admin,
    Who::KeyOrgWrite,
    Who::KeyAuditRead,
];

/// What a caller gets: allowed (2xx), sent to sign in, or refused.
#[derive(Debug, PartialEq, Clone, Copy)]
enum Outcome {
    Allowed,
    SignIn,
    Unauthorized,
    Forbidden,
}

struct Route {
    method: Method,
    path: &'static str,
    expect: fn(Who) -> Outcome,
}

fn public(_: Who) -> Outcome {
    Outcome::Allowed
}

fn routes() -> Vec<Route> {
    use Outcome::*;
    vec![
        Route {
            method: Method::GET,
            path: "/",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/departments",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/login",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/healthz",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/readyz",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/metrics",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/api/openapi.json",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/api/docs",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/api/v1/divisions",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/api/v1/divisions/110105",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/api/v1/departments",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/api/v1/departments/110105-GOV",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/register",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/register/citizen",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/register/enterprise",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/.well-known/openid-configuration",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/oidc/jwks",
            expect: public,
        },
        Route {
            method: Method::GET,
            path: "/workbench",
            expect: |w| match w {
                Who::Staff | Who::Admin => Allowed,
                Who::Citizen => Forbidden,
                _ => SignIn,
            },
        },
        Route {
            method: Method::GET,
            path: "/admin",
            expect: |w| match w {
                Who::Admin => Allowed,
                Who::Staff | Who::Citizen => Forbidden,
                _ => SignIn,
            },
        },
        Route {
            method: Method::GET,
            path: "/admin/users",
            expect: |w| match w {
                Who::Admin => Allowed,
                Who::Staff | Who::Citizen => Forbidden,
                _ => SignIn,
            },
        },
        Route {
            method: Method::GET,
            path: "/admin/departments",
            expect: |w| match w {
                Who::Admin => Allowed,
                Who::Staff | Who::Citizen => Forbidden,
                _ => SignIn,
            },
        },
        Route {
            method: Method::GET,
            path: "/admin/clients",
            expect: |w| match w {
                Who::Admin => Allowed,
                Who::Staff | Who::Citizen => Forbidden,
                _ => SignIn,
            },
        },
        Route {
            method: Method::GET,
            path: "/enterprise/operators",
            // Only an enterprise's legal representative; a citizen is not one.
            expect: |w| match w {
                Who::Staff | Who::Admin | Who::Citizen => Forbidden,
                _ => SignIn,
            },
        },
        Route {
            method: Method::GET,
            path: "/account",
            expect: |w| match w {
                Who::Citizen | Who::Staff | Who::Admin => Allowed,
                _ => SignIn,
            },
        },
        Route {
            method: Method::GET,
            path: "/account/password",
            expect: |w| match w {
                Who::Citizen | Who::Staff | Who::Admin => Allowed,
                _ => SignIn,
            },
        },
        Route {
            method: Method::GET,
            path: "/account/mfa",
            expect: |w| match w {
                Who::Citizen | Who::Staff | Who::Admin => Allowed,
                _ => SignIn,
            },
        },
        Route {
            method: Method::POST,
            path: "/api/v1/departments",
            expect: |w| match w {
                Who::Admin | Who::KeyOrgWrite => Allowed,
                Who::Anonymous => Unauthorized,
                Who::Citizen | Who::Staff | Who::KeyAuditRead => Forbidden,
            },
        },
        Route {
            method: Method::GET,
            path: "/api/v1/me",
            expect: |w| match w {
                Who::Citizen | Who::Staff | Who::Admin => Allowed,
                _ => Unauthorized,
            },
        },
        Route {
            method: Method::GET,
            path: "/api/v1/users/1",
            // Account 1 is the citizen: no department, so only the system
            // administrator (any department) may look.
            expect: |w| match w {
                Who::Admin => Allowed,
                Who::Anonymous => Unauthorized,
                _ => Forbidden,
            },
        },
        Route {
            method: Method::GET,
            path: "/api/v1/audit/verify",
            expect: |w| match w {
                Who::Admin | Who::KeyAuditRead => Allowed,
                Who::Anonymous => Unauthorized,
                Who::Citizen | Who::Staff | Who::KeyOrgWrite => Forbidden,
            },
        },
    ]
}

struct Callers {
    citizen: (String, String),
    staff: (String, String),
    admin: (String, String),
    org_key: String,
    audit_key: String,
}

async fn call(app: &TestApp, callers: &Callers, who: Who, route: &Route, n: usize) -> Outcome {
    let mut headers: Vec<(String, String)> = Vec::new();
    match who {
        Who::Anonymous => {}
        Who::Citizen | Who::Staff | Who::Admin => {
            let (cookie, csrf) = match who {
                Who::Citizen => &callers.citizen,
                Who::Staff => &callers.staff,
                _ => &callers.admin,
            };
            headers.push(("cookie".into(), cookie.clone()));
            headers.push(("x-csrf-token".into(), csrf.clone()));
        }
        Who::KeyOrgWrite => headers.push((
            "authorization".into(),
            format!("Bearer {}", callers.org_key),
        )),
        Who::KeyAuditRead => headers.push((
            "authorization".into(),
            format!("Bearer {}", callers.audit_key),
        )),
    }
    let body = if route.method == Method::POST {
        headers.push(("content-type".into(), "application/json".into()));
        serde_json::json!({"code": format!("110105-M{n}"), "name": "矩阵测试部门",
            "kind": "district", "division": "110105", "parent": "110105-GOV"})
        .to_string()
    } else {
        String::new()
    };
    let h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = app.send(route.method.clone(), route.path, &h, body).await;
    match res.status {
        s if s.is_success() => Outcome::Allowed,
        StatusCode::SEE_OTHER if res.header("location").starts_with("/login") => Outcome::SignIn,
        // A signed-in user asking for the sign-in form is sent onwards.
        StatusCode::SEE_OTHER => Outcome::Allowed,
        StatusCode::UNAUTHORIZED => Outcome::Unauthorized,
        StatusCode::FORBIDDEN => Outcome::Forbidden,
        other => panic!(
            "{who:?} {} {}: unexpected {other}: {}",
            route.method, route.path, res.body
        ),
    }
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_policy_says() {
    let app = TestApp::new().await;
    let staff_pw = app.staff("staff.user", false).await;
    let admin_pw = app.staff("admin.user", true).await;
    let citizen_pw = app.citizen("zhang.san").await;
    let callers = Callers {
        citizen: app.sign_in("zhang.san", &citizen_pw).await,
        staff: app.sign_in("staff.user", &staff_pw).await,
        admin: app.sign_in("admin.user", &admin_pw).await,
        org_key: app.api_key(&[Scope::OrgWrite]).await,
        audit_key: app.api_key(&[Scope::AuditRead]).await,
    };
    let mut failures = Vec::new();
    let mut n = 0;
    for route in routes() {
        for who in ALL {
            n += 1;
            let got = call(&app, &callers, who, &route, n).await;
            let want = (route.expect)(who);
            if got != want {
                failures.push(format!(
                    "{who:?} {} {}: want {want:?}, got {got:?}",
                    route.method, route.path
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_session_write_without_the_csrf_header_is_refused() {
    let app = TestApp::new().await;
    let pw = app.staff("admin.user", true).await;
    let (cookie, _) = app.sign_in("admin.user", &pw).await;
    let body = serde_json::json!({"code": "110105-CSRF", "name": "跨站", "kind": "district",
        "division": "110105"});
    let res = app
        .send(
            Method::POST,
            "/api/v1/departments",
            &[("cookie", &cookie), ("content-type", "application/json")],
            body.to_string(),
        )
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        app.get("/api/v1/departments/110105-CSRF").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Every API path in the OpenAPI document has a row in the matrix.
#[test]
fn the_matrix_covers_every_documented_route() {
    let doc = serde_json::to_value(egov_web::openapi()).unwrap();
    let covered: Vec<String> = routes()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "1").replace(
                "{code}",
                if path.contains("divisions") {
                    "110105"
                } else {
                    "110105-GOV"
                },
            );
            let key = format!("{} {}", method.to_uppercase(), concrete);
            assert!(covered.contains(&key), "no matrix row for {key}");
        }
    }
}
