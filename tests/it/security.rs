//! The findings of the attack on egov, one test each: guessing the second
//! factor, racing the lockout, escalating roles, changing the factor with a
//! stolen cookie.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use egov_identity::{Role, RoleGrant};

const CITIZEN_PASSWORD: &str = "Chang-Cheng-Wan-Li-9";
const CITIZEN_ID: &str = "11010519491231002X";

/// Signs in with the password only; returns the half-signed-in cookie and
/// its form token.
async fn half_signed_in(app: &TestApp, username: &str, password: &str) -> (String, String) {
    let res = app.submit_login(username, password).await;
    assert!(
        res.header("location").starts_with("/login/mfa"),
        "{}",
        res.body
    );
    let token = res.set_cookie("egov_session").unwrap();
    let csrf = egov_identity::find_session(app.db(), &token)
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    (format!("egov_session={token}"), csrf)
}

#[tokio::test]
async fn second_factor_guesses_lock_the_account_across_sessions() {
    let app = TestApp::new().await;
    let password = app.staff("li.ming", false).await;
    let user_id = egov_identity::list_users(app.db(), &Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "li.ming")
        .unwrap()
        .id;
    // Five wrong codes, each from a fresh half-signed-in session, as the
    // attacker did: the count is the person's, not the session's.
    let mut last = None;
    for guess in ["000000", "111111", "222222", "333333", "aaaaa-bbbbb"] {
        let (cookie, csrf) = half_signed_in(&app, "li.ming", &password).await;
        let res = app
            .post_form(
                "/login/mfa",
                Some(&cookie),
                &[("code", guess), ("csrf", &csrf)],
            )
            .await;
        last = Some(res);
    }
    let last = last.unwrap();
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS, "{}", last.body);
    assert!(last.body.contains("临时锁定"));

    // The right code, in yet another session, is not even checked now.
    let (cookie, csrf) = half_signed_in(&app, "li.ming", &password).await;
    let code = app.next_code("li.ming").unwrap();
    let res = app
        .post_form(
            "/login/mfa",
            Some(&cookie),
            &[("code", &code), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.set_cookie("egov_session").is_none());

    // The holder is told, once, and the lockout is audited.
    assert_eq!(
        app.count_where(
            "account_notices",
            &format!("user_id = {user_id} AND kind = 'second_factor_lockout'")
        )
        .await,
        1
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'user.locked'").await,
        1
    );
    let notices = egov_identity::notice::unread(app.db(), user_id)
        .await
        .unwrap();
    assert!(notices[0].locked_until.is_some());
}

#[tokio::test]
async fn the_holder_sees_a_lockout_notice_and_marks_it_read() {
    let app = TestApp::new().await;
    let pw = app.citizen("zhang.san").await;
    for _ in 0..5 {
        app.submit_login("zhang.san", "wrong-password-1").await;
    }
    // The lockout lapses (moved into the past here) and the holder signs in.
    app.db()
        .execute(egov_store::query(
            "UPDATE auth_throttle SET locked_until = NULL",
        ))
        .await
        .unwrap();
    let (cookie, csrf) = app.sign_in("zhang.san", &pw).await;
    let home = app.get_with("/services", &[("cookie", &cookie)]).await;
    assert!(home.body.contains("href=\"/account#notices\""), "banner");
    let account = app.get_with("/account", &[("cookie", &cookie)]).await;
    assert!(account
        .body
        .contains("有人多次用错误的密码尝试登录您的账户"));
    let id = egov_identity::notice::unread(app.db(), 1).await.unwrap()[0].id;
    let read = app
        .post_form(
            &format!("/account/notices/{id}/read"),
            Some(&cookie),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(read.status, StatusCode::SEE_OTHER);
    let home = app.get_with("/services", &[("cookie", &cookie)]).await;
    assert!(!home.body.contains("href=\"/account#notices\""));
}

/// How many password attempts were checked: failures audited plus sign-ins.
async fn checked_attempts(app: &TestApp) -> i64 {
    app.count_where(
        "audit_log",
        "action IN ('session.sign_in_failed', 'session.sign_in', 'session.password_ok')",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_passwords_checks_no_more_than_the_limit() {
    let app = std::sync::Arc::new(TestApp::new().await);
    app.citizen("zhang.san").await;
    // Forty at once, the right password among them, as the attacker sent.
    let mut set = tokio::task::JoinSet::new();
    for i in 0..40 {
        let app = app.clone();
        set.spawn(async move {
            let password = if i == 20 {
                CITIZEN_PASSWORD
            } else {
                "wrong-password-1"
            };
            app.submit_login("zhang.san", password).await.status
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = set.join_next().await {
        statuses.push(status.unwrap());
    }
    // The right password's success clears the failures counted before its
    // own claim (a holder who signs in starts afresh), so however the burst
    // interleaves, it checks at most the limit before it, itself and the
    // limit after it; everything else is refused unchecked.
    let checked = checked_attempts(&app).await;
    assert!(checked <= 2 * 5 + 1, "{checked} passwords were checked");
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(refused as i64 >= 40 - checked, "{statuses:?}");
}

#[tokio::test]
async fn one_person_is_counted_once_whatever_identifier_was_typed() {
    let app = TestApp::new().await;
    app.citizen("zhang.san").await;
    for login in ["zhang.san", CITIZEN_ID, "zhang.san", CITIZEN_ID] {
        let res = app.submit_login(login, "wrong-password-1").await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{login}");
    }
    // The fifth, by the lower-case ID number, locks the person.
    let res = app
        .submit_login(&CITIZEN_ID.to_lowercase(), "wrong-password-1")
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    let right = app.submit_login("zhang.san", CITIZEN_PASSWORD).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_stolen_cookie_cannot_change_the_second_factor() {
    let app = TestApp::new().await;
    let pw = app.citizen("zhang.san").await;
    app.enrol_totp("zhang.san", 1, &pw).await;
    let (cookie, csrf) = app.sign_in("zhang.san", &pw).await;
    let before: Vec<String> = app
        .texts("SELECT totp_secret FROM users WHERE id = 1")
        .await;

    // Turning it off, or moving it to the attacker's app, needs the password.
    let off = app
        .post_form(
            "/account/mfa/disable",
            Some(&cookie),
            &[("csrf", &csrf), ("password", "guess-1"), ("code", "123456")],
        )
        .await;
    assert_eq!(off.status, StatusCode::UNPROCESSABLE_ENTITY);
    let attacker = egov_identity::totp::TotpSecret::generate();
    let code = attacker.code_at(common::now_unix());
    let moved = app
        .post_form(
            "/account/mfa",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("secret", &attacker.to_base32()),
                ("code", &code),
                ("password", "guess-2"),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::UNPROCESSABLE_ENTITY);
    let after: Vec<String> = app
        .texts("SELECT totp_secret FROM users WHERE id = 1")
        .await;
    assert_eq!(before, after, "the factor is unchanged");

    // Wrong current passwords count like sign-in attempts: with the one
    // tried above, the fifth locks, and then the right one waits too.
    let change = |current: String| {
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        let app = &app;
        async move {
            app.post_form(
                "/account/password",
                Some(&cookie),
                &[
                    ("csrf", &csrf),
                    ("current", &current),
                    ("new_password", "Xin-Mi-Ma-Hen-Chang-7"),
                    ("confirm", "Xin-Mi-Ma-Hen-Chang-7"),
                    ("code", "123456"),
                ],
            )
            .await
        }
    };
    for i in 0..3 {
        let res = change(format!("guess-{}", i + 3)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    }
    let locked = change("guess-6".to_owned()).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    let right = change(pw.clone()).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_enrolment_secret_is_the_servers_not_the_forms() {
    let app = TestApp::new().await;
    let pw = app.citizen("zhang.san").await;
    let (cookie, csrf) = app.sign_in("zhang.san", &pw).await;
    let page = app.get_with("/account/mfa", &[("cookie", &cookie)]).await;
    assert!(!page.body.contains("name=\"secret\""));
    let shown = page
        .body
        .split("id=\"totp-secret\" translate=\"no\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    let again = app.get_with("/account/mfa", &[("cookie", &cookie)]).await;
    assert!(again.body.contains(&shown), "the pending secret is kept");
    let secret = egov_identity::totp::TotpSecret::from_base32(&shown).unwrap();
    let done = app
        .post_form(
            "/account/mfa",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("code", &secret.code_at(common::now_unix())),
                ("password", &pw),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("id=\"recovery-codes\""));
    assert!(
        egov_identity::get_user(app.db(), 1)
            .await
            .unwrap()
            .mfa_enabled
    );
}

/// A department, its administrator, and another department with an open
/// case under warning.
struct TwoDepartments {
    mine: i64,
    theirs_case: String,
    admin_cookie: String,
    admin_csrf: String,
    admin_id: i64,
}

async fn two_departments(app: &TestApp) -> TwoDepartments {
    let mine = egov_org::department(app.db(), "110105-SCJGJ")
        .await
        .unwrap()
        .id;
    let theirs = egov_org::department(app.db(), "110108-SCJGJ")
        .await
        .unwrap()
        .id;
    let pw = app
        .staff_with(
            "cy.admin",
            Some(mine),
            vec![RoleGrant {
                role: Role::DepartmentAdmin,
                department_id: Some(mine),
            }],
        )
        .await;
    let (admin_cookie, admin_csrf) = app.sign_in("cy.admin", &pw).await;
    let admin_id = egov_identity::list_users(app.db(), &Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "cy.admin")
        .unwrap()
        .id;
    let ctx = egov_kernel::Context::system();
    let cal = egov_calendar::load_calendar(app.db()).await.unwrap();
    let def = egov_cases::Processes::default()
        .latest(app.db(), "administrative_license")
        .await
        .unwrap();
    let case = egov_cases::start(
        app.db(),
        &ctx,
        &cal,
        egov_cases::Acting::Handler {
            department_id: theirs,
        },
        egov_cases::NewCase::new(&def, theirs, "海淀的案件"),
    )
    .await
    .unwrap();
    TwoDepartments {
        mine,
        theirs_case: case.number,
        admin_cookie,
        admin_csrf,
        admin_id,
    }
}

#[tokio::test]
async fn a_department_administrator_cannot_make_itself_a_supervisor() {
    let app = TestApp::new().await;
    let t = two_departments(&app).await;
    for (role, city_wide) in [
        ("supervisor", true),
        ("supervisor", false),
        ("auditor", false),
    ] {
        let mut fields = vec![
            ("csrf", t.admin_csrf.as_str()),
            ("role", role),
            ("action", "grant"),
        ];
        if city_wide {
            fields.push(("city_wide", "on"));
        }
        let res = app
            .post_form(
                &format!("/admin/users/{}/roles", t.admin_id),
                Some(&t.admin_cookie),
                &fields,
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{role} {city_wide}");
    }
    let roles = egov_identity::roles_of(app.db(), t.admin_id).await.unwrap();
    assert_eq!(
        roles,
        vec![RoleGrant {
            role: Role::DepartmentAdmin,
            department_id: Some(t.mine)
        }]
    );
    // Its own department's working roles it may hand out.
    let res = app
        .post_form(
            &format!("/admin/users/{}/roles", t.admin_id),
            Some(&t.admin_cookie),
            &[
                ("csrf", t.admin_csrf.as_str()),
                ("role", "handler"),
                ("action", "grant"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // The role page offers nothing it may not grant.
    let page = app
        .get_with(
            &format!("/admin/users/{}", t.admin_id),
            &[("cookie", &t.admin_cookie)],
        )
        .await;
    assert!(!page.body.contains("value=\"supervisor\""));
    assert!(!page.body.contains("name=\"city_wide\""));
}

#[tokio::test]
async fn a_supervisor_scoped_to_a_department_oversees_that_department_only() {
    let app = TestApp::new().await;
    let t = two_departments(&app).await;
    let pw = app
        .staff_with(
            "cy.supervisor",
            Some(t.mine),
            vec![RoleGrant {
                role: Role::Supervisor,
                department_id: Some(t.mine),
            }],
        )
        .await;
    let (cookie, csrf) = app.sign_in("cy.supervisor", &pw).await;
    let headers = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let case = app
        .get_with(&format!("/api/v1/cases/{}", t.theirs_case), &headers)
        .await;
    case.assert_problem(StatusCode::NOT_FOUND, "not_found");
    let order = app
        .send(
            axum::http::Method::POST,
            &format!("/api/v1/cases/{}/orders", t.theirs_case),
            &[
                ("cookie", cookie.as_str()),
                ("x-csrf-token", csrf.as_str()),
                ("content-type", "application/json"),
            ],
            serde_json::json!({"body": "请尽快办理"}).to_string(),
        )
        .await;
    order.assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.count("supervision_orders").await, 0);
    let board = app.get_with("/api/v1/supervision/board", &headers).await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.json()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["number"] != t.theirs_case.as_str()));

    // A city-wide supervisor, granted by the system administrator, does.
    let pw = app
        .staff_with(
            "city.supervisor",
            None,
            vec![RoleGrant {
                role: Role::Supervisor,
                department_id: None,
            }],
        )
        .await;
    let (cookie, csrf) = app.sign_in("city.supervisor", &pw).await;
    let case = app
        .get_with(
            &format!("/api/v1/cases/{}", t.theirs_case),
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(case.status, StatusCode::OK);
}

#[tokio::test]
async fn next_never_leads_off_the_site() {
    let app = TestApp::new().await;
    // What the attacker sent: a tab that the browser drops, leaving `//`.
    let switched = app.get("/locale?lang=en&next=/%09/other.host/").await;
    assert_eq!(switched.status, StatusCode::BAD_REQUEST);
    let switched = app.get("/locale?lang=en&next=/%5C/other.host/").await;
    assert_eq!(switched.header("location"), "/");
    let switched = app.get("/locale?lang=en&next=/%252F/other.host/").await;
    assert_eq!(switched.header("location"), "/");
    // CR/LF is refused as bad input, not a server error.
    let crlf = app.get("/login?next=/a%0D%0ASet-Cookie:%20x=1").await;
    assert_eq!(crlf.status, StatusCode::BAD_REQUEST);
    assert!(crlf.header("set-cookie").is_empty() || !crlf.header("set-cookie").contains("x=1"));
    // The sign-in form carries only a same-site path onwards.
    let form = app.get("/login?next=//other.host/").await;
    assert!(
        form.body.contains("name=\"next\" value=\"/account\""),
        "{}",
        form.body
    );
    let pw = app.citizen("zhang.san").await;
    let form = app.get("/login").await;
    let token = form.set_cookie("egov_form").unwrap();
    let res = app
        .post_form(
            "/login",
            Some(&format!("egov_form={token}")),
            &[
                ("username", "zhang.san"),
                ("password", &pw),
                ("csrf", &token),
                ("next", "/\\other.host/"),
            ],
        )
        .await;
    assert_eq!(res.header("location"), "/account");
    // A Chinese query survives, encoded for the header.
    let switched = app
        .get("/locale?lang=zh-CN&next=/services?q=%E9%A3%9F%E5%93%81")
        .await;
    assert_eq!(
        switched.header("location"),
        "/services?q=%E9%A3%9F%E5%93%81"
    );
}

#[tokio::test]
async fn second_factor_secrets_and_signing_keys_are_sealed_at_rest() {
    let app = TestApp::new().await;
    let pw = app.citizen("zhang.san").await;
    app.enrol_totp("zhang.san", 1, &pw).await;
    let stored = app
        .texts("SELECT totp_secret FROM users WHERE id = 1")
        .await
        .remove(0);
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    // A secret copied to another account's row does not open there.
    let ring = egov_keyring::current().unwrap();
    assert!(ring.open("totp:2", &stored).is_err());

    egov_oidc::keys::signing_key(app.db(), egov_oidc::keys::Alg::Es256)
        .await
        .unwrap();
    for pem in app.texts("SELECT private_pem FROM oidc_keys").await {
        assert!(pem.starts_with("sealed:v1:") && !pem.contains("PRIVATE KEY"));
    }

    // A secret an older release kept in the clear still works, and is
    // sealed at the next start.
    let plain = egov_identity::totp::TotpSecret::generate();
    app.db()
        .execute(
            egov_store::query("UPDATE users SET totp_secret = $1 WHERE id = 1")
                .bind(plain.to_base32()),
        )
        .await
        .unwrap();
    let res = app.submit_login("zhang.san", &pw).await;
    let half = res.set_cookie("egov_session").unwrap();
    let csrf = egov_identity::find_session(app.db(), &half)
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    let ok = app
        .post_form(
            "/login/mfa",
            Some(&format!("egov_session={half}")),
            &[
                ("code", &plain.code_at(common::now_unix())),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(
        egov_identity::mfa::reseal_secrets(app.db()).await.unwrap(),
        1
    );
    let stored = app
        .texts("SELECT totp_secret FROM users WHERE id = 1")
        .await
        .remove(0);
    assert!(stored.starts_with("sealed:v1:") && !stored.contains(&plain.to_base32()));
}

#[tokio::test]
async fn api_keys_expire_and_are_revoked_in_the_console() {
    let app = TestApp::new().await;
    let expired = egov_identity::create_api_key(
        app.db(),
        &egov_kernel::Context::system(),
        "old",
        &[egov_identity::Scope::AuditRead],
        Some(egov_kernel::time::now() - chrono::Duration::minutes(1)),
    )
    .await
    .unwrap();
    let res = app
        .get_with(
            "/api/v1/audit/verify",
            &[("authorization", &format!("Bearer {}", expired.key))],
        )
        .await;
    res.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");

    let pw = app.staff("sys.admin", true).await;
    let (cookie, csrf) = app.sign_in("sys.admin", &pw).await;
    let made = app
        .post_form(
            "/admin/api-keys",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("name", "审计导出"),
                ("scope", "audit:read"),
                ("expires_in_days", "30"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let key = made
        .body
        .split("id=\"api-key\" translate=\"no\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {key}");
    let ok = app
        .get_with("/api/v1/audit/verify", &[("authorization", &bearer)])
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let listed = app
        .get_with("/admin/api-keys", &[("cookie", &cookie)])
        .await;
    assert!(listed.body.contains("审计导出") && !listed.body.contains(&key));
    let id = egov_identity::list_api_keys(app.db())
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.name == "审计导出")
        .unwrap()
        .id;
    let revoked = app
        .post_form(
            &format!("/admin/api-keys/{id}/revoke"),
            Some(&cookie),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let refused = app
        .get_with("/api/v1/audit/verify", &[("authorization", &bearer)])
        .await;
    refused.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn an_administrator_offboards_a_civil_servant_who_leaves() {
    let app = TestApp::new().await;
    let handler_pw = app.staff("li.ming", false).await;
    let (handler, _) = app.sign_in("li.ming", &handler_pw).await;
    let pw = app.staff("sys.admin", true).await;
    let (cookie, csrf) = app.sign_in("sys.admin", &pw).await;
    let id = egov_identity::list_users(app.db(), &Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "li.ming")
        .unwrap()
        .id;
    let res = app
        .post_form(
            &format!("/admin/users/{id}/state"),
            Some(&cookie),
            &[("csrf", &csrf), ("action", "offboard")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(egov_identity::roles_of(app.db(), id)
        .await
        .unwrap()
        .is_empty());
    assert!(
        egov_identity::get_user(app.db(), id)
            .await
            .unwrap()
            .disabled
    );
    let page = app.get_with("/workbench", &[("cookie", &handler)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "signed out");
    assert_eq!(
        app.submit_login("li.ming", &handler_pw).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'user.offboard'")
            .await,
        1
    );
}

/// A registration form posted from `source`, as the server's listener
/// would see it.
async fn register_from(app: &TestApp, source: [u8; 4], n: usize) -> common::TestResponse {
    use tower::ServiceExt;
    let form = app.get("/register/citizen").await;
    let token = form.set_cookie("egov_form").unwrap();
    let body = format!(
        "csrf={token}&username=flood.{n}&real_name=%E5%BC%A0%E4%B8%89&resident_id=11010519491231002X\
         &phone=13800138000&password=Chang-Cheng-Wan-Li-9&confirm=Chang-Cheng-Wan-Li-9"
    );
    let req = axum::http::Request::post("/register/citizen")
        .header("cookie", format!("egov_form={token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            source, 40000,
        ))))
        .body(axum::body::Body::from(body))
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    common::TestResponse {
        status: res.status(),
        headers: res.headers().clone(),
        body: String::new(),
        bytes: Vec::new(),
    }
}

#[tokio::test]
async fn registration_is_limited_per_source_address() {
    let app = TestApp::empty_with(egov_web::WebSettings {
        registrations_per_hour: 3,
        ..Default::default()
    })
    .await;
    egov_org::load_demo(app.db(), &egov_kernel::Context::system())
        .await
        .unwrap();
    for n in 0..3 {
        let res = register_from(&app, [10, 0, 0, 1], n).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "registration {n}");
    }
    let limited = register_from(&app, [10, 0, 0, 1], 3).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!limited.header("retry-after").is_empty());
    // Another address is not held back by the first.
    let other = register_from(&app, [10, 0, 0, 2], 4).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn malformed_input_is_a_4xx_problem_never_a_server_error() {
    let app = TestApp::new().await;
    let pw = app.citizen("zhang.san").await;
    let (cookie, csrf) = app.sign_in("zhang.san", &pw).await;
    // A NUL in a search filter, a path, a JSON body, a form body.
    for path in [
        "/api/v1/services/search?q=x&department=%00",
        "/api/v1/departments?division=%00",
        "/api/v1/cases/A%00B",
    ] {
        let res = app.get(path).await;
        res.assert_problem(StatusCode::BAD_REQUEST, "bad_request");
    }
    let res = app
        .send(
            axum::http::Method::POST,
            "/api/v1/cases",
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
                ("content-type", "application/json"),
            ],
            r#"{"process":"administrative_license","department":"110000-ZWFWJ","title":"a\u0000b"}"#,
        )
        .await;
    res.assert_problem(StatusCode::BAD_REQUEST, "bad_request");
    let res = app
        .post_form(
            "/cases/new",
            Some(&cookie),
            &[("csrf", &csrf), ("title", "a\0b")],
        )
        .await;
    res.assert_problem(StatusCode::BAD_REQUEST, "bad_request");
    // An id beyond 64 bits.
    let res = app
        .get_with(
            "/api/v1/applications/99999999999999999999999",
            &[("cookie", &cookie)],
        )
        .await;
    res.assert_problem(StatusCode::BAD_REQUEST, "invalid_path");
    // A multipart body that does not read: problem+json, not text/plain.
    let res = app
        .send(
            axum::http::Method::POST,
            "/api/v1/applications/1/files",
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
                ("content-type", "multipart/form-data"),
            ],
            "--nothing--",
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert_eq!(res.header("content-type"), "application/problem+json");
    // The document says what the server answers to all of these.
    let doc = serde_json::to_value(egov_web::openapi()).unwrap();
    let upload = &doc["paths"]["/api/v1/applications/{id}/files"]["post"]["responses"];
    for status in ["400", "413", "415", "503"] {
        assert!(upload.get(status).is_some(), "{status} undocumented");
    }
}

#[tokio::test]
async fn housekeeping_drops_what_no_longer_counts_and_keeps_what_does() {
    let app = TestApp::new().await;
    let pw = app.citizen("zhang.san").await;
    let (fresh, _) = app.sign_in("zhang.san", &pw).await;
    app.sign_in("zhang.san", &pw).await;
    app.submit_login("zhang.san", "wrong-password-1").await;
    app.submit_login("nobody.here", "wrong-password-1").await;
    // One session and one count long over.
    let old = egov_kernel::time::now() - chrono::Duration::days(3);
    app.db()
        .write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    egov_store::query(
                        "UPDATE sessions SET expires_at = $1, last_seen_at = $1 \
                         WHERE id_hash = (SELECT MIN(id_hash) FROM sessions)",
                    )
                    .bind(old),
                )
                .await?;
                tx.execute(
                    egov_store::query(
                        "UPDATE auth_throttle SET last_failure_at = $1, locked_until = NULL \
                         WHERE key LIKE 'login:%'",
                    )
                    .bind(old),
                )
                .await
            })
        })
        .await
        .unwrap();
    let swept = egov_identity::throttle::sweep(app.db()).await.unwrap();
    assert_eq!((swept.sessions, swept.counts), (1, 1), "{swept:?}");
    assert_eq!(app.count("sessions").await, 1);
    assert_eq!(
        app.count_where("auth_throttle", "key LIKE 'person:%'")
            .await,
        1
    );
    let _ = fresh;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_first_sign_ins_makes_one_signing_key() {
    let app = TestApp::new().await;
    let burst: Vec<_> = (0..8)
        .map(|_| {
            let db = app.db().clone();
            tokio::spawn(async move {
                egov_oidc::keys::signing_key(&db, egov_oidc::keys::Alg::Es256)
                    .await
                    .unwrap()
                    .kid
                    .clone()
            })
        })
        .collect();
    let mut kids = Vec::new();
    for handle in burst {
        kids.push(handle.await.unwrap());
    }
    kids.dedup();
    assert_eq!(kids.len(), 1, "every caller signs with the same key");
    assert_eq!(
        app.texts("SELECT kid FROM oidc_keys WHERE alg = 'ES256'")
            .await
            .len(),
        1
    );
}
