//! Shared test harness: a fresh database per test (SQLite, or PostgreSQL
//! when EGOV_TEST_DATABASE_URL is set) and the router driven in process.
#![allow(dead_code)]

pub mod casework;
pub mod grouping;
pub mod html;
pub mod process;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use egov_identity::totp::TotpSecret;
use egov_kernel::Context;
use egov_store::testing::TestDb;
use egov_store::Db;
use http_body_util::BodyExt;
use tower::ServiceExt;

pub struct TestApp {
    pub test_db: TestDb,
    pub router: Router,
    /// Each staff user's TOTP secret and how many codes were used, so
    /// sign-ins can answer the second factor without reusing a step.
    totp: std::sync::Mutex<std::collections::HashMap<String, (TotpSecret, u64)>>,
    /// Each enrolled user's unused recovery codes.
    recovery: std::sync::Mutex<std::collections::HashMap<String, Vec<String>>>,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent, for binary answers (PDF, images).
    pub bytes: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    /// Asserts a problem+json answer with this status and code.
    pub fn assert_problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.header("content-type"), "application/problem+json");
        let p = self.json();
        assert_eq!(p["code"], code, "problem: {p}");
        assert_eq!(p["status"], status.as_u16());
        assert_eq!(p["type"], format!("/problems/{code}"));
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()));
    }

    /// The value of a cookie set by this response.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                let first = v.split(';').next()?;
                let (k, val) = first.split_once('=')?;
                (k == name).then(|| val.to_owned())
            })
    }
}

impl TestApp {
    /// A fresh, migrated database with the demo organisation loaded.
    pub async fn new() -> TestApp {
        let app = TestApp::empty().await;
        egov_org::load_demo(app.db(), &Context::system())
            .await
            .expect("demo data loads");
        egov_calendar::seed_builtin(app.db())
            .await
            .expect("calendar loads");
        egov_cases::registry::seed(app.db(), &egov_web::shipped_processes())
            .await
            .expect("process definitions load");
        app
    }

    /// Like [`TestApp::new`], with the state changed before the router is
    /// built (a system's part put in, say).
    pub async fn new_with_state(
        change: impl FnOnce(egov_web::AppState) -> egov_web::AppState,
    ) -> TestApp {
        let mut app = TestApp::new().await;
        let state = egov_web::AppState::new(app.db().clone(), egov_web::WebSettings::default());
        app.router = egov_web::router(change(state));
        app
    }

    /// A fresh, migrated, empty database.
    pub async fn empty() -> TestApp {
        TestApp::empty_with(egov_web::WebSettings::default()).await
    }

    /// A fresh, migrated, empty database behind a router with `settings`.
    pub async fn empty_with(settings: egov_web::WebSettings) -> TestApp {
        // Every test in a process shares one in-memory server key.
        egov_keyring::install_ephemeral();
        let test_db = TestDb::new().await;
        let router = egov_web::router(egov_web::AppState::new(test_db.db.clone(), settings));
        TestApp {
            test_db,
            router,
            totp: Default::default(),
            recovery: Default::default(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.test_db.db
    }

    /// Another node serving the same database, with caches of its own.
    pub fn another_node(&self) -> TestNode {
        TestNode(egov_web::router(egov_web::AppState::new(
            self.db().clone(),
            egov_web::WebSettings::default(),
        )))
    }

    /// Another node with a connection to the same database of its own (so
    /// copies of reference data of its own), comparing revisions every
    /// `recheck`.
    pub async fn node_of_its_own(&self, recheck: std::time::Duration) -> (Db, TestNode) {
        let db = Db::connect(
            &self.test_db.location.url,
            &egov_store::PoolOptions {
                reference_recheck: recheck,
                ..egov_store::PoolOptions::patient()
            },
        )
        .await
        .expect("a second connection to the test database");
        let node = TestNode(egov_web::router(egov_web::AppState::new(
            db.clone(),
            egov_web::WebSettings::default(),
        )));
        (db, node)
    }

    pub async fn request(&self, req: Request<Body>) -> TestResponse {
        TestNode::answer(&self.router, req).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.request(req.body(Body::empty()).unwrap()).await
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> TestResponse {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.request(req.body(body.into()).unwrap()).await
    }

    pub async fn post_json(
        &self,
        path: &str,
        bearer: Option<&str>,
        body: &serde_json::Value,
    ) -> TestResponse {
        let auth = bearer.map(|k| format!("Bearer {k}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("authorization", a.as_str()));
        }
        self.send(Method::POST, path, &headers, body.to_string())
            .await
    }

    pub async fn post_form(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> TestResponse {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        if let Some(c) = cookie {
            headers.push(("cookie", c));
        }
        self.send(Method::POST, path, &headers, body).await
    }

    pub async fn api_key(&self, scopes: &[egov_identity::Scope]) -> String {
        egov_identity::create_api_key(self.db(), &Context::system(), "test", scopes, None)
            .await
            .unwrap()
            .key
    }

    /// Creates a staff user with a known password (already changed) and a
    /// TOTP second factor: a handler in the municipal government service
    /// bureau, or a system administrator. Returns the password.
    pub async fn staff(&self, username: &str, admin: bool) -> String {
        let dept = egov_org::department(self.db(), "110000-ZWFWJ")
            .await
            .unwrap();
        let role = if admin {
            egov_identity::RoleGrant {
                role: egov_identity::Role::SystemAdmin,
                department_id: None,
            }
        } else {
            egov_identity::RoleGrant {
                role: egov_identity::Role::Handler,
                department_id: Some(dept.id),
            }
        };
        self.staff_with(username, Some(dept.id), vec![role]).await
    }

    /// Registers a citizen (no second factor); returns the password.
    pub async fn citizen(&self, username: &str) -> String {
        self.citizen_numbered(username, 0).await
    }

    /// Registers the `n`th citizen of a test: each its own identity card
    /// and phone number (the 0th has 11010519491231002X and 13800138000).
    pub async fn citizen_numbered(&self, username: &str, n: u32) -> String {
        let first17 = format!("110105194912{:02}{:03}", 31 - n % 28, 2 + n);
        let check = egov_kernel::identifier::resident_id_check(first17.as_bytes()) as char;
        let resident_id = format!("{first17}{check}");
        let phone = format!("138{:08}", 138000 + n);
        let password = "Chang-Cheng-Wan-Li-9".to_owned();
        let registered = egov_identity::register_citizen(
            self.db(),
            &Context::system(),
            egov_identity::CitizenRegistration {
                username: username.to_owned(),
                real_name: "张三".to_owned(),
                resident_id: egov_kernel::identifier::ResidentId::parse(&resident_id).unwrap(),
                phone: egov_kernel::identifier::MobileNumber::parse(&phone).unwrap(),
                password: password.clone().into(),
            },
        )
        .await
        .unwrap();
        egov_identity::confirmation::confirm_from_outbox(self.db(), &registered.pending)
            .await
            .unwrap();
        password
    }

    /// Registers an enterprise; returns its legal representative's password.
    pub async fn enterprise(&self, username: &str) -> String {
        let password = "Qi-Ye-Fa-Ren-2026".to_owned();
        let (_, registered) = egov_identity::register_enterprise(
            self.db(),
            &Context::system(),
            egov_identity::EnterpriseRegistration {
                name: "北京示例科技有限公司".to_owned(),
                credit_code: Some(
                    egov_kernel::identifier::CreditCode::parse("91350100M000100Y43").unwrap(),
                ),
                org_code: None,
                legal_rep_name: "李四".to_owned(),
                legal_rep_id: egov_kernel::identifier::ResidentId::parse("440524188001010014")
                    .unwrap(),
                username: username.to_owned(),
                phone: egov_kernel::identifier::MobileNumber::parse("13900139000").unwrap(),
                password: password.clone().into(),
            },
        )
        .await
        .unwrap();
        egov_identity::confirmation::confirm_from_outbox(self.db(), &registered.pending)
            .await
            .unwrap();
        password
    }

    pub async fn staff_with(
        &self,
        username: &str,
        department_id: Option<i64>,
        roles: Vec<egov_identity::RoleGrant>,
    ) -> String {
        let password = "Zheng-Wu-Ce-Shi-2026".to_owned();
        let id = egov_identity::create_staff(
            self.db(),
            &Context::system(),
            egov_identity::Grantor::Operator,
            egov_identity::NewStaff {
                username: username.to_owned(),
                display_name: username.to_owned(),
                department_id,
                roles,
                password: password.clone().into(),
                must_change_password: false,
            },
        )
        .await
        .unwrap();
        self.enrol_totp(username, id, &password).await;
        password
    }

    /// Turns on TOTP for a user with the secret the server made, confirming
    /// with the previous step's code so the current step stays free for the
    /// first sign-in.
    pub async fn enrol_totp(&self, username: &str, user_id: i64, password: &str) {
        let secret = egov_identity::mfa::pending_secret(self.db(), user_id)
            .await
            .unwrap();
        let code = secret.code_at(now_unix() - 30);
        let proof = egov_identity::reauth::Proof {
            password: password.to_owned().into(),
            code: None,
        };
        let codes =
            egov_identity::mfa::enable_totp(self.db(), &Context::system(), user_id, proof, &code)
                .await
                .unwrap();
        self.recovery
            .lock()
            .unwrap()
            .insert(username.to_owned(), codes);
        self.totp
            .lock()
            .unwrap()
            .insert(username.to_owned(), (secret, 0));
    }

    /// The next unused TOTP code for a user enrolled through this harness.
    pub fn next_code(&self, username: &str) -> Option<String> {
        let mut map = self.totp.lock().unwrap();
        let (secret, used) = map.get_mut(username)?;
        // Steps now, now+30 s: both inside the accepted window, never reused.
        let code = secret.code_at(now_unix() + 30 * *used);
        *used += 1;
        Some(code)
    }

    /// An unused recovery code of a user enrolled through this harness, for
    /// when the app's next steps are used up.
    pub fn recovery_code(&self, username: &str) -> Option<String> {
        self.recovery.lock().unwrap().get_mut(username)?.pop()
    }

    /// Posts the sign-in form as a browser would: the form token from the
    /// page, echoed in the field. Returns the raw answer.
    pub async fn submit_login(&self, username: &str, password: &str) -> TestResponse {
        let form = self.get("/login").await;
        let token = form.set_cookie("egov_form").expect("form cookie");
        self.post_form(
            "/login",
            Some(&format!("egov_form={token}")),
            &[
                ("username", username),
                ("password", password),
                ("csrf", &token),
            ],
        )
        .await
    }

    /// Signs in through the login form (and the second-factor form when
    /// the user has one); returns the session cookie header value and the
    /// session's CSRF token.
    pub async fn sign_in(&self, username: &str, password: &str) -> (String, String) {
        let form = self.get("/login").await;
        let form_token = form.set_cookie("egov_form").expect("form cookie");
        let cookie = format!("egov_form={form_token}");
        let res = self
            .post_form(
                "/login",
                Some(&cookie),
                &[
                    ("username", username),
                    ("password", password),
                    ("csrf", &form_token),
                    ("next", "/workbench"),
                ],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "sign-in failed: {}",
            res.body
        );
        let mut session = res.set_cookie("egov_session").expect("session cookie");
        if res.header("location").starts_with("/login/mfa") {
            let half = egov_identity::find_session(self.db(), &session)
                .await
                .unwrap()
                .unwrap();
            let code = self
                .next_code(username)
                .expect("TOTP enrolled through the harness");
            let res = self
                .post_form(
                    "/login/mfa",
                    Some(&format!("egov_session={session}")),
                    &[("code", &code), ("csrf", &half.csrf_token)],
                )
                .await;
            assert_eq!(
                res.status,
                StatusCode::SEE_OTHER,
                "second factor failed: {}",
                res.body
            );
            session = res.set_cookie("egov_session").expect("new session cookie");
        }
        let cookie = format!("egov_session={session}");
        let user = egov_identity::find_session(self.db(), &session)
            .await
            .unwrap()
            .unwrap();
        assert!(user.complete);
        (cookie, user.csrf_token)
    }

    /// The row id of the account named `username`.
    pub async fn user_id(&self, username: &str) -> i64 {
        egov_identity::list_users(self.db(), &Default::default())
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.username == username)
            .unwrap_or_else(|| panic!("no account {username}"))
            .id
    }

    /// How many rows of a table match a condition (the test's, never input).
    pub async fn count_where(&self, table: &str, condition: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM {table} WHERE {condition}");
        self.audit_linked().await;
        let mut r = self.db().reader().await.unwrap();
        egov_store::run!(r, |c| sqlx::query_scalar(&sql).fetch_one(&mut *c).await).unwrap()
    }

    /// Links the audit records still waiting (PostgreSQL), so that what a
    /// test reads of `audit_log` is what was written before.
    pub async fn audit_linked(&self) {
        egov_audit::link_pending(self.db()).await.unwrap();
    }

    /// How many rows a table has.
    pub async fn count(&self, table: &str) -> i64 {
        self.count_where(table, "1 = 1").await
    }

    /// The one text column a query selects, row by row (the test's SQL,
    /// never input).
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        self.audit_linked().await;
        let mut r = self.db().reader().await.unwrap();
        egov_store::run!(r, |c| sqlx::query_scalar(sql).fetch_all(&mut *c).await).unwrap()
    }
}

/// A query string `k=v&k=v` with each value percent-encoded.
pub fn enc_query(q: &str) -> String {
    q.split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => format!("{k}={}", enc(v)),
            None => kv.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The audit chain's verdict, checked with the process's server key and no
/// anchor kept outside the database.
pub async fn verify_audit(app: &TestApp) -> egov_audit::Verdict {
    app.audit_linked().await;
    egov_audit::verify(app.db(), &egov_keyring::current().unwrap(), &[])
        .await
        .unwrap()
}

/// An intact chain of `records` records with no signed checkpoint.
pub fn intact(records: i64) -> egov_audit::Verdict {
    egov_audit::Verdict::Intact {
        records,
        checkpoints: 0,
        newest_signed: None,
        pending: 0,
    }
}

/// A second router on a test's database, as another node would serve it.
pub struct TestNode(pub Router);

impl TestNode {
    async fn answer(router: &Router, req: Request<Body>) -> TestResponse {
        let res = router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        TestNode::answer(&self.0, Request::get(path).body(Body::empty()).unwrap()).await
    }
}
