//! Callers and fixtures of the case tests: staff in a department with
//! roles, citizens, uploads, and moving a case's clock into the past.

use super::{TestApp, TestResponse};
use axum::http::{Method, StatusCode};
use egov_identity::{Role, RoleGrant};
use serde_json::{json, Value};

/// A signed-in caller: cookie and CSRF token.
#[derive(Clone)]
pub struct Caller(pub String, pub String);

impl Caller {
    pub async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Value,
    ) -> TestResponse {
        app.send(
            method,
            path,
            &[
                ("cookie", &self.0),
                ("x-csrf-token", &self.1),
                ("content-type", "application/json"),
            ],
            body.to_string(),
        )
        .await
    }
    pub async fn post(&self, app: &TestApp, path: &str, body: Value) -> TestResponse {
        self.send(app, Method::POST, path, body).await
    }
    pub async fn get(&self, app: &TestApp, path: &str) -> Value {
        let res = app.get_with(path, &[("cookie", &self.0)]).await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
        res.json()
    }
    pub async fn act(
        &self,
        app: &TestApp,
        number: &str,
        action: &str,
        fields: Value,
    ) -> TestResponse {
        let case = self.get(app, &format!("/api/v1/cases/{number}")).await;
        self.post(
            app,
            &format!("/api/v1/cases/{number}/actions"),
            json!({ "action": action, "version": case["version"], "fields": fields }),
        )
        .await
    }
}

pub async fn dept(app: &TestApp, code: &str) -> i64 {
    egov_org::department(app.db(), code).await.unwrap().id
}

pub async fn staff(app: &TestApp, name: &str, department: i64, roles: &[Role]) -> Caller {
    let grants = roles
        .iter()
        .map(|r| RoleGrant {
            role: *r,
            department_id: (*r != Role::Supervisor).then_some(department),
        })
        .collect();
    let pw = app.staff_with(name, Some(department), grants).await;
    let (cookie, csrf) = app.sign_in(name, &pw).await;
    Caller(cookie, csrf)
}

pub async fn citizen(app: &TestApp, name: &str) -> Caller {
    nth_citizen(app, name, 0).await
}

/// The `n`th citizen of a test, signed in (each with their own numbers).
pub async fn nth_citizen(app: &TestApp, name: &str, n: u32) -> Caller {
    let pw = app.citizen_numbered(name, n).await;
    let (cookie, csrf) = app.sign_in(name, &pw).await;
    Caller(cookie, csrf)
}

/// A multipart form: its text fields, then its files (field, file name,
/// bytes), in order.
pub fn multipart_form(texts: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let b = "egovtestboundary";
    let mut body = Vec::new();
    for (name, value) in texts {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

/// A multipart upload of one file, with the `internal` flag and, for the
/// page's form, its CSRF field.
pub fn multipart_with(
    name: &str,
    bytes: &[u8],
    internal: bool,
    csrf: Option<&str>,
) -> (String, Vec<u8>) {
    let internal = internal.to_string();
    let mut texts = Vec::new();
    if let Some(t) = csrf {
        texts.push(("csrf", t));
    }
    texts.push(("internal", internal.as_str()));
    multipart_form(&texts, &[("file", name, bytes)])
}

pub fn multipart(name: &str, bytes: &[u8], internal: bool) -> (String, Vec<u8>) {
    multipart_with(name, bytes, internal, None)
}

/// Uploads a PDF to a case through the API for the point it answers (a
/// 补正 point, a 容缺 material): the multipart field `answers`.
pub async fn answer_point(app: &TestApp, who: &Caller, number: &str, item: &str) -> TestResponse {
    let b = "egovanswerboundary";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"answers\"\r\n\r\n{item}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{item}.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&egov_cases::attachments::samples::pdf(item, b""));
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    app.send(
        Method::POST,
        &format!("/api/v1/cases/{number}/attachments"),
        &[
            ("cookie", &who.0),
            ("x-csrf-token", &who.1),
            (
                "content-type",
                &format!("multipart/form-data; boundary={b}"),
            ),
        ],
        body,
    )
    .await
}

/// Moves a case's clock so that every alert fell due an hour ago.
pub async fn backdate(app: &TestApp, number: &str) {
    let past = egov_kernel::time::now() - chrono::Duration::hours(1);
    app.db()
        .execute(
            egov_store::query(
                "UPDATE cases SET warn_at = $1, due_at = $1, red_at = $1, next_alert_at = $1 \
                 WHERE number = $2",
            )
            .bind(past)
            .bind(number.to_owned()),
        )
        .await
        .unwrap();
}
