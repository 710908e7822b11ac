//! Health, readiness, metrics, request ids, assets and the UI catalogue.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use egov_kernel::Locale;

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::empty().await;
    let h = app.get("/healthz").await;
    assert_eq!((h.status, h.body.as_str()), (StatusCode::OK, "ok"));
    let r = app.get("/readyz").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ready"));

    app.db().close().await;
    app.get("/readyz")
        .await
        .assert_problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

const METRICS_TOKEN: &str = "metrics-token-for-tests";

async fn app_with_metrics_token() -> TestApp {
    TestApp::empty_with(egov_web::WebSettings {
        metrics: egov_web::MetricsAccess {
            token: Some(METRICS_TOKEN.to_owned().into()),
            ..Default::default()
        },
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn metrics_count_requests_per_route_template() {
    let app = app_with_metrics_token().await;
    egov_org::load_demo(app.db(), &egov_kernel::Context::system())
        .await
        .unwrap();
    for _ in 0..3 {
        app.get("/api/v1/departments/110105-GOV").await;
    }
    app.get("/api/v1/no/such/route").await;
    let bearer = format!("Bearer {METRICS_TOKEN}");
    let m = app
        .get_with("/metrics", &[("authorization", &bearer)])
        .await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.header("content-type").starts_with("text/plain"));
    let line = m
        .body
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total{")
                && l.contains("route=\"/api/v1/departments/{code}\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no counter line in\n{}", m.body));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 3.0, "{line}");
    assert!(m.body.contains("http_request_duration_seconds_bucket"));
    assert!(
        m.body.contains("route=\"unmatched\""),
        "unknown paths share one series"
    );
    assert!(!m.body.contains("/api/v1/no/such/route"));
}

#[tokio::test]
async fn metrics_are_closed_to_strangers_and_made_up_methods_mint_no_series() {
    let app = app_with_metrics_token().await;
    // No token, a wrong one: refused (this caller is not on the server's host).
    let none = app.get("/metrics").await;
    none.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(none.header("www-authenticate").starts_with("Bearer"));
    let wrong = app
        .get_with("/metrics", &[("authorization", "Bearer guess")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

    for i in 0..50 {
        let method = axum::http::Method::from_bytes(format!("BREW{i}").as_bytes()).unwrap();
        app.send(method, "/healthz", &[], "").await;
    }
    let bearer = format!("Bearer {METRICS_TOKEN}");
    let m = app
        .get_with("/metrics", &[("authorization", &bearer)])
        .await;
    assert!(!m.body.contains("BREW"), "made-up methods became labels");
    assert!(m.body.contains("method=\"OTHER\""));
}

#[tokio::test]
async fn over_tls_cookies_are_host_only_pages_are_not_stored_and_hsts_is_sent() {
    let app = TestApp::empty_with(egov_web::WebSettings {
        secure_cookies: true,
        public_url: Some("https://zwfw.example.gov.cn".to_owned()),
        ..Default::default()
    })
    .await;
    let login = app.get("/login").await;
    assert_eq!(
        login.header("strict-transport-security"),
        "max-age=31536000"
    );
    assert_eq!(login.header("cache-control"), "no-store");
    let set = login.header("set-cookie");
    assert!(set.starts_with("__Host-egov_form="), "{set}");
    assert!(set.contains("Secure") && set.contains("Path=/") && !set.contains("Domain"));
    // Assets, the same for everyone, may be kept.
    let css = app.get("/assets/css/egov.css").await;
    assert!(css.header("cache-control").starts_with("public"));

    // Without TLS: no HSTS, plain names; personal data still not stored.
    let plain = TestApp::empty().await;
    let login = plain.get("/login").await;
    assert_eq!(login.header("strict-transport-security"), "");
    assert!(login.header("set-cookie").starts_with("egov_form="));
    let api = plain.get("/api/v1/me").await;
    assert_eq!(api.header("cache-control"), "no-store");
}

#[tokio::test]
async fn over_tls_a_cookie_without_the_host_prefix_is_not_a_session() {
    let app = TestApp::new().await;
    let pw = app.citizen("zhang.san").await;
    let (cookie, _) = app.sign_in("zhang.san", &pw).await;
    let secure = egov_web::router(egov_web::AppState::new(
        app.db().clone(),
        egov_web::WebSettings {
            secure_cookies: true,
            ..Default::default()
        },
    ));
    use tower::ServiceExt;
    let res = secure
        .clone()
        .oneshot(
            axum::http::Request::get("/account")
                .header("cookie", &cookie)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sent to sign in");
    let prefixed = cookie.replacen("egov_session", "__Host-egov_session", 1);
    let res = secure
        .oneshot(
            axum::http::Request::get("/account")
                .header("cookie", &prefixed)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn request_ids_are_made_or_kept() {
    let app = TestApp::empty().await;
    let made = app.get("/healthz").await;
    assert_eq!(made.header("x-request-id").len(), 36);
    let kept = app
        .get_with("/healthz", &[("x-request-id", "abc-123")])
        .await;
    assert_eq!(kept.header("x-request-id"), "abc-123");
    let problem = app
        .get_with("/api/v1/x", &[("x-request-id", "abc-124")])
        .await;
    assert_eq!(problem.json()["request_id"], "abc-124");
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let app = TestApp::new().await;
    let res = app.get("/").await;
    let csp = res.header("content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(res.header("x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn assets_are_embedded_with_etags() {
    let app = TestApp::empty().await;
    let css = app.get("/assets/css/egov.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").starts_with("text/css"));
    let etag = css.header("etag").to_owned();
    assert!(!etag.is_empty());
    let again = app
        .get_with("/assets/css/egov.css", &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    for asset in [
        "/assets/vendor/htmx/htmx.min.js",
        "/assets/vendor/leaflet/leaflet.js",
        "/assets/vendor/leaflet/leaflet.css",
        "/assets/img/favicon.svg",
    ] {
        assert_eq!(app.get(asset).await.status, StatusCode::OK, "{asset}");
    }
    assert_eq!(
        app.get("/assets/nope.js").await.status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn both_languages_have_every_string() {
    egov_web::register_strings();
    let zh = egov_web::catalogue_keys(Locale::Zh);
    let en = egov_web::catalogue_keys(Locale::En);
    assert_eq!(zh, en, "zh-CN.toml and en.toml must hold the same keys");
    for code in egov_web::PROBLEM_CODES {
        assert!(
            zh.contains(&format!("problem.{code}").as_str()),
            "problem.{code} missing"
        );
    }
}

/// Every string a template asks for (`t("...")`) is in the catalogue the
/// platform composes, whichever slice's files hold it.
#[test]
fn every_string_a_template_asks_for_is_there() {
    egov_web::register_strings();
    let keys = egov_web::catalogue_keys(Locale::Zh);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut asked = 0;
    for crate_dir in std::fs::read_dir(&root).unwrap() {
        let templates = crate_dir.unwrap().path().join("templates");
        let Ok(files) = std::fs::read_dir(&templates) else {
            continue;
        };
        for file in files {
            let path = file.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, _) in text.match_indices("t(\"") {
                // `chrome.t("..")`, not `format("..")`.
                let before = text[..i].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = &text[i + 3..];
                let key = &rest[..rest.find('"').unwrap()];
                asked += 1;
                assert!(
                    keys.contains(&key),
                    "{} asks for {key}, which no locale file holds",
                    path.display()
                );
            }
        }
    }
    assert!(
        asked > 100,
        "only {asked} strings found: is the scan broken?"
    );
}
