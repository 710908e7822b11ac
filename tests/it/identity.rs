//! Identity through the pages: registration with validated identifiers,
//! lockout, the second factor, sessions, masked personal data, enterprise
//! operators and staff administration.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use egov_identity::Role;

const ID: &str = "11010519491231002X";

async fn register_citizen(app: &TestApp, fields: &[(&str, &str)]) -> common::TestResponse {
    let form = app.get("/register/citizen").await;
    let token = form.set_cookie("egov_form").unwrap();
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    app.post_form(
        "/register/citizen",
        Some(&format!("egov_form={token}")),
        &all,
    )
    .await
}

/// The code the newest text message to `phone` carries.
async fn code_sent_to(app: &TestApp, phone: &str) -> Option<String> {
    let newest = egov_identity::sms::outbox(app.db(), Some(phone), 1)
        .await
        .unwrap()
        .into_iter()
        .next()?;
    newest
        .body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_owned)
}

/// Confirms the registration `res` was sent on for, through the
/// confirmation page, with `code`.
async fn confirm_with(
    app: &TestApp,
    res: &common::TestResponse,
    code: &str,
) -> common::TestResponse {
    let location = res.header("location").to_owned();
    assert!(location.starts_with("/register/confirm?t="), "{location}");
    let page = app.get(&location).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let token = page.set_cookie("egov_form").unwrap();
    let ticket = location.trim_start_matches("/register/confirm?t=");
    app.post_form(
        "/register/confirm",
        Some(&format!("egov_form={token}")),
        &[("csrf", &token), ("ticket", ticket), ("code", code)],
    )
    .await
}

/// Confirms with the code the phone received.
async fn confirm(app: &TestApp, res: &common::TestResponse, phone: &str) -> common::TestResponse {
    let code = code_sent_to(app, phone).await.expect("a code was sent");
    let done = confirm_with(app, res, &code).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    done
}

fn citizen(username: &'static str, id: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("username", username),
        ("real_name", "张三"),
        ("resident_id", id),
        ("phone", "13800138000"),
        ("password", "Chang-Cheng-Wan-Li-9"),
        ("confirm", "Chang-Cheng-Wan-Li-9"),
    ]
}

#[tokio::test]
async fn a_citizen_registers_and_signs_in_with_the_id_number() {
    let app = TestApp::new().await;
    let res = register_citizen(&app, &citizen("zhang.san", ID)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app.get(res.header("location")).await;
    assert!(page.body.contains("138****8000"), "{}", page.body);
    // Not usable before the phone is confirmed: signing in sends a new code.
    let early = app.submit_login("zhang.san", "Chang-Cheng-Wan-Li-9").await;
    assert!(early.header("location").starts_with("/register/confirm?t="));
    assert!(early.set_cookie("egov_session").is_none());
    let wrong = confirm_with(&app, &early, "000000").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("验证码不正确"));
    let done = confirm(&app, &early, "13800138000").await;
    assert_eq!(done.header("location"), "/login?registered=1");
    assert_eq!(
        egov_identity::get_user(app.db(), 1)
            .await
            .unwrap()
            .assurance_level,
        1
    );
    // The ID number works as the login, in either case of X.
    let (cookie, _) = app
        .sign_in(&ID.to_lowercase(), "Chang-Cheng-Wan-Li-9")
        .await;
    let account = app.get_with("/account", &[("cookie", &cookie)]).await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.body.contains("张三"));
    // Citizens have no business in the workbench.
    let wb = app.get_with("/workbench", &[("cookie", &cookie)]).await;
    assert_eq!(wb.status, StatusCode::FORBIDDEN);
    // The audit record keeps only the masked ID number.
    let rows = egov_audit::for_object(app.db(), "user", "1", 10)
        .await
        .unwrap();
    let reg = rows.iter().find(|r| r.action == "user.register").unwrap();
    assert!(reg.detail.contains("110105********002X"), "{}", reg.detail);
    assert!(!reg.detail.contains(ID));
}

#[tokio::test]
async fn bad_registrations_are_refused_with_precise_messages_and_change_nothing() {
    let app = TestApp::new().await;
    let users = app.count("users").await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (citizen("a.b", "110105194912310021"), "校验位不正确"),
        (citizen("a.b", "110105194902300026"), "出生日期不是真实日期"),
        (citizen("a.b", "11010519491231"), "位数不正确"),
        (
            {
                let mut c = citizen("a.b", ID);
                c[3] = ("phone", "12345");
                c
            },
            "手机号码",
        ),
        (
            {
                let mut c = citizen("a.b", ID);
                c[4] = ("password", "woaini1314");
                c[5] = ("confirm", "woaini1314");
                c
            },
            "常见",
        ),
        (
            {
                let mut c = citizen("a.b", ID);
                c[4] = ("password", "ab19491231xy-long");
                c[5] = ("confirm", "ab19491231xy-long");
                c
            },
            "不能包含",
        ),
        (
            {
                let mut c = citizen("a.b", ID);
                c[5] = ("confirm", "something-else-99");
                c
            },
            "不一致",
        ),
        (citizen("x", ID), "用户名"),
    ];
    for (fields, message) in cases {
        let res = register_citizen(&app, &fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(res.body.contains(message), "want {message}: {}", res.body);
        assert!(
            res.body.contains("value=\"张三\""),
            "the form keeps what was typed"
        );
        assert!(
            !res.body.contains("Chang-Cheng-Wan-Li-9"),
            "never echo passwords"
        );
    }
    assert_eq!(app.count("users").await, users);

    // A duplicate ID number is not told to whoever registers it: the
    // answer looks the same, no code is made, and the phone's holder is
    // told by text instead.
    let first = register_citizen(&app, &citizen("first.one", ID)).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let mut again = citizen("second.one", ID);
    again[3] = ("phone", "13911112222");
    let second = register_citizen(&app, &again).await;
    assert_eq!(second.status, StatusCode::SEE_OTHER);
    assert!(second
        .header("location")
        .starts_with("/register/confirm?t="));
    let page = app.get(second.header("location")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("已注册"));
    assert_eq!(code_sent_to(&app, "13911112222").await, None);
    let told = egov_identity::sms::outbox(app.db(), Some("13911112222"), 1)
        .await
        .unwrap();
    assert!(told[0].body.contains("已经注册"));
    let guess = confirm_with(&app, &second, "123456").await;
    assert_eq!(guess.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("users").await, users + 1);
}

async fn register_enterprise(app: &TestApp, code: &str, username: &str) -> common::TestResponse {
    let form = app.get("/register/enterprise").await;
    let token = form.set_cookie("egov_form").unwrap();
    app.post_form(
        "/register/enterprise",
        Some(&format!("egov_form={token}")),
        &[
            ("csrf", &token),
            ("name", "北京示例科技有限公司"),
            ("code", code),
            ("legal_rep_name", "李四"),
            ("legal_rep_id", "440524188001010014"),
            ("username", username),
            ("phone", "13900139000"),
            ("password", "Qi-Ye-Fa-Ren-2026"),
            ("confirm", "Qi-Ye-Fa-Ren-2026"),
        ],
    )
    .await
}

#[tokio::test]
async fn an_enterprise_registers_and_manages_its_operators() {
    let app = TestApp::new().await;
    let bad = register_enterprise(&app, "91350100M000100Y44", "ent.one").await;
    assert!(
        bad.body.contains("统一社会信用代码：校验位不正确"),
        "{}",
        bad.body
    );
    let res = register_enterprise(&app, "91350100M000100Y43", "ent.one").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    confirm(&app, &res, "13900139000").await;
    let dup = register_enterprise(&app, "91350100m000100y43", "ent.two").await;
    assert!(dup.body.contains("该企业已注册"), "{}", dup.body);
    // An old organisation code is accepted.
    let old = register_enterprise(&app, "D2143569-X", "ent.old").await;
    assert_eq!(old.status, StatusCode::SEE_OTHER, "{}", old.body);

    let (cookie, csrf) = app.sign_in("ent.one", "Qi-Ye-Fa-Ren-2026").await;
    let res = app
        .post_form(
            "/enterprise/operators",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("username", "ent.op1"),
                ("display_name", "王五"),
                ("phone", "13700137000"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert!(res.body.contains("137****7000"), "operator phone masked");
    let password = res
        .body
        .split("<code translate=\"no\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();

    // The operator signs in, must change the one-time password, and may
    // not manage operators.
    let res = app.submit_login("ent.op1", &password).await;
    assert_eq!(res.header("location"), "/account/password");
    let op_cookie = format!("egov_session={}", res.set_cookie("egov_session").unwrap());
    let page = app
        .get_with("/enterprise/operators", &[("cookie", &op_cookie)])
        .await;
    assert_eq!(page.header("location"), "/account/password");

    // The legal representative's account page says for whom it acts.
    let account = app.get_with("/account", &[("cookie", &cookie)]).await;
    assert!(
        account
            .body
            .contains("<dd id=\"enterprise-name\">北京示例科技有限公司</dd>"),
        "{}",
        account.body
    );
    assert!(account
        .body
        .contains("id=\"enterprise-code\">91350100M000100Y43</code>"));
    assert!(account.body.contains("法定代表人"));

    // Stopping the operator ends their session at once, audited; the
    // operator may be let in again. Only the enterprise's own operators.
    let stop = |to: &'static str, who: &'static str| {
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        let app = &app;
        async move {
            app.post_form(
                &format!("/enterprise/operators/{who}/state"),
                Some(&cookie),
                &[("csrf", &csrf), ("to", to)],
            )
            .await
        }
    };
    assert_eq!(
        stop("disable", "ent.op1").await.status,
        StatusCode::SEE_OTHER
    );
    let gone = app
        .get_with("/account/password", &[("cookie", &op_cookie)])
        .await;
    assert!(
        gone.header("location").starts_with("/login"),
        "the operator's session ended: {}",
        gone.header("location")
    );
    let listed = app
        .get_with("/enterprise/operators", &[("cookie", &cookie)])
        .await;
    assert!(listed.body.contains("ent.op1 (已停用)"));
    assert_eq!(
        app.submit_login("ent.op1", &password).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a disabled operator cannot sign in"
    );
    assert_eq!(
        stop("enable", "ent.op1").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.submit_login("ent.op1", &password)
            .await
            .header("location"),
        "/account/password"
    );
    assert_eq!(
        app.count_where(
            "audit_log",
            "action IN ('enterprise.disable_operator', 'enterprise.enable_operator')"
        )
        .await,
        2
    );
    // The legal representative is not an operator; nor is anyone else's.
    for who in ["ent.one", "ent.old"] {
        assert_eq!(
            stop("disable", who).await.status,
            StatusCode::NOT_FOUND,
            "{who}"
        );
    }
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    let app = TestApp::new().await;
    let res = register_citizen(&app, &citizen("zhang.san", ID)).await;
    confirm(&app, &res, "13800138000").await;
    let app = &app;
    let attempt =
        |password: &'static str| async move { app.submit_login("zhang.san", password).await };
    for _ in 0..4 {
        assert_eq!(
            attempt("wrong-password-1").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    // The fifth wrong password is the last one checked: it locks.
    let locked = attempt("wrong-password-1").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.contains("临时锁定"), "{}", locked.body);
    // Even the right password waits until the lock expires.
    let right = attempt("Chang-Cheng-Wan-Li-9").await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(right.set_cookie("egov_session").is_none());
}

#[tokio::test]
async fn the_second_factor_is_checked_and_codes_are_not_replayed() {
    let app = TestApp::new().await;
    let password = app.staff("li.ming", false).await;
    let res = app.submit_login("li.ming", &password).await;
    assert!(res.header("location").starts_with("/login/mfa"));
    let half = res.set_cookie("egov_session").unwrap();
    let half_cookie = format!("egov_session={half}");
    // The half session reaches nothing but the code form.
    let wb = app
        .get_with("/workbench", &[("cookie", &half_cookie)])
        .await;
    assert_eq!(wb.header("location"), "/login/mfa");
    let csrf = egov_identity::find_session(app.db(), &half)
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    let wrong = app
        .post_form(
            "/login/mfa",
            Some(&half_cookie),
            &[("code", "123456"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = app.next_code("li.ming").unwrap();
    let ok = app
        .post_form(
            "/login/mfa",
            Some(&half_cookie),
            &[("code", &code), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let full = ok.set_cookie("egov_session").unwrap();
    assert_ne!(full, half, "a new session token after the second factor");
    assert!(egov_identity::find_session(app.db(), &half)
        .await
        .unwrap()
        .is_none());

    // The same code cannot open a second session.
    let res = app.submit_login("li.ming", &password).await;
    let half2 = res.set_cookie("egov_session").unwrap();
    let csrf2 = egov_identity::find_session(app.db(), &half2)
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    let replay = app
        .post_form(
            "/login/mfa",
            Some(&format!("egov_session={half2}")),
            &[("code", &code), ("csrf", &csrf2)],
        )
        .await;
    assert_eq!(replay.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn users_see_and_end_their_sessions() {
    let app = TestApp::new().await;
    let res = register_citizen(&app, &citizen("zhang.san", ID)).await;
    confirm(&app, &res, "13800138000").await;
    let (phone_cookie, _) = app.sign_in("zhang.san", "Chang-Cheng-Wan-Li-9").await;
    let (desk_cookie, desk_csrf) = app.sign_in("zhang.san", "Chang-Cheng-Wan-Li-9").await;
    let page = app.get_with("/account", &[("cookie", &desk_cookie)]).await;
    assert_eq!(
        page.body.matches("name=\"handle\"").count(),
        1,
        "the other session can be ended"
    );
    let handle = page
        .body
        .split("name=\"handle\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let res = app
        .post_form(
            "/account/sessions/revoke",
            Some(&desk_cookie),
            &[("csrf", &desk_csrf), ("handle", &handle)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_with("/account", &[("cookie", &phone_cookie)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get_with("/account", &[("cookie", &desk_cookie)])
            .await
            .status,
        StatusCode::OK
    );

    let res = app
        .post_form(
            "/account/sessions/end-all",
            Some(&desk_cookie),
            &[("csrf", &desk_csrf)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_with("/account", &[("cookie", &desk_cookie)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn personal_data_is_masked_and_each_unmasked_view_is_audited() {
    let app = TestApp::new().await;
    let res = register_citizen(&app, &citizen("zhang.san", ID)).await;
    confirm(&app, &res, "13800138000").await;
    let admin_pw = app.staff("sys.admin", true).await;
    let dept = egov_org::department(app.db(), "110000-ZWFWJ")
        .await
        .unwrap();
    let dept_admin_pw = app
        .staff_with(
            "dept.admin",
            Some(dept.id),
            vec![egov_identity::RoleGrant {
                role: Role::DepartmentAdmin,
                department_id: Some(dept.id),
            }],
        )
        .await;

    let (admin, admin_csrf) = app.sign_in("sys.admin", &admin_pw).await;
    let page = app.get_with("/admin/users/1", &[("cookie", &admin)]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("110105********002X"));
    assert!(page.body.contains("138****8000"));
    assert!(!page.body.contains(ID));

    let audit_before = app.count("audit_log").await;
    let shown = app
        .post_form(
            "/admin/users/1/reveal",
            Some(&admin),
            &[("csrf", &admin_csrf)],
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains(ID));
    assert!(shown.body.contains("13800138000"));
    assert_eq!(app.count("audit_log").await, audit_before + 1);
    let rec = egov_audit::for_object(app.db(), "user", "1", 1)
        .await
        .unwrap();
    assert_eq!(rec[0].action, "person.view_unmasked");

    // A department administrator manages staff but may not unmask, and
    // cannot open accounts outside their department.
    let (da, da_csrf) = app.sign_in("dept.admin", &dept_admin_pw).await;
    let refused = app
        .post_form("/admin/users/1/reveal", Some(&da), &[("csrf", &da_csrf)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let list = app.get_with("/admin/users", &[("cookie", &da)]).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("dept.admin"));
}

#[tokio::test]
async fn administrators_create_staff_within_their_reach() {
    let app = TestApp::new().await;
    let dept = egov_org::department(app.db(), "110105-SCJGJ")
        .await
        .unwrap();
    let da_pw = app
        .staff_with(
            "cy.admin",
            Some(dept.id),
            vec![egov_identity::RoleGrant {
                role: Role::DepartmentAdmin,
                department_id: Some(dept.id),
            }],
        )
        .await;
    let (da, csrf) = app.sign_in("cy.admin", &da_pw).await;

    let made = app
        .post_form(
            "/admin/users",
            Some(&da),
            &[
                ("csrf", &csrf),
                ("username", "cy.handler"),
                ("display_name", "赵六"),
                ("department", "110105-SCJGJ"),
                ("role", "handler"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert!(made.body.contains("id=\"one-time-password\""));

    // Another department, or a city-wide role: refused.
    let other = app
        .post_form(
            "/admin/users",
            Some(&da),
            &[
                ("csrf", &csrf),
                ("username", "hd.handler"),
                ("display_name", "钱七"),
                ("department", "110108-SCJGJ"),
                ("role", "handler"),
            ],
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let escalate = app
        .post_form(
            "/admin/users",
            Some(&da),
            &[
                ("csrf", &csrf),
                ("username", "cy.root"),
                ("display_name", "孙八"),
                ("department", "110105-SCJGJ"),
                ("role", "system_admin"),
            ],
        )
        .await;
    assert_eq!(escalate.status, StatusCode::FORBIDDEN);
    let users = egov_identity::list_users(app.db(), &Default::default())
        .await
        .unwrap();
    assert!(users.iter().any(|u| u.username == "cy.handler"));
    assert!(!users
        .iter()
        .any(|u| u.username == "hd.handler" || u.username == "cy.root"));
}

#[tokio::test]
async fn the_api_masks_personal_data_unless_an_allowed_role_reveals_it() {
    let app = TestApp::new().await;
    let citizen_pw = app.citizen("zhang.san").await;
    let (citizen, _) = app.sign_in("zhang.san", &citizen_pw).await;
    let me = app
        .get_with("/api/v1/me", &[("cookie", &citizen)])
        .await
        .json();
    assert_eq!(me["resident_id"], "110105********002X");
    assert_eq!(me["phone"], "138****8000");
    assert_eq!(me["masked"], true);

    let admin_pw = app.staff("sys.admin", true).await;
    let (admin, _) = app.sign_in("sys.admin", &admin_pw).await;
    let masked = app
        .get_with("/api/v1/users/1", &[("cookie", &admin)])
        .await
        .json();
    assert_eq!(masked["resident_id"], "110105********002X");
    let audit = app.count("audit_log").await;
    let full = app
        .get_with("/api/v1/users/1?reveal=true", &[("cookie", &admin)])
        .await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.json()["resident_id"], ID);
    assert_eq!(full.json()["masked"], false);
    assert_eq!(app.count("audit_log").await, audit + 1);

    // A department administrator may see their staff, never unmasked.
    let dept = egov_org::department(app.db(), "110000-ZWFWJ")
        .await
        .unwrap();
    let da_pw = app
        .staff_with(
            "dept.admin",
            Some(dept.id),
            vec![egov_identity::RoleGrant {
                role: Role::DepartmentAdmin,
                department_id: Some(dept.id),
            }],
        )
        .await;
    let (da, _) = app.sign_in("dept.admin", &da_pw).await;
    let own = egov_identity::list_users(app.db(), &Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "sys.admin")
        .unwrap();
    let seen = app
        .get_with(&format!("/api/v1/users/{}", own.id), &[("cookie", &da)])
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    let refused = app
        .get_with(
            &format!("/api/v1/users/{}?reveal=true", own.id),
            &[("cookie", &da)],
        )
        .await;
    refused.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let other = app.get_with("/api/v1/users/1", &[("cookie", &da)]).await;
    other.assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn citizens_may_turn_the_second_factor_off_staff_may_not() {
    let app = TestApp::new().await;
    let pw = app.citizen("zhang.san").await;
    app.enrol_totp("zhang.san", 1, &pw).await;
    let (cookie, csrf) = app.sign_in("zhang.san", &pw).await;
    let code = app.next_code("zhang.san").unwrap();
    let codes = app
        .post_form(
            "/account/mfa/recovery",
            Some(&cookie),
            &[("csrf", &csrf), ("password", &pw), ("code", &code)],
        )
        .await;
    assert_eq!(
        codes.body.matches("<li><code translate=\"no\">").count(),
        10,
        "{}",
        codes.body
    );
    // The app's next steps are used up: a recovery code confirms instead.
    let recovery = codes
        .body
        .split("<li><code translate=\"no\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    let off = app
        .post_form(
            "/account/mfa/disable",
            Some(&cookie),
            &[("csrf", &csrf), ("password", &pw), ("code", &recovery)],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.body);
    assert!(
        !egov_identity::get_user(app.db(), 1)
            .await
            .unwrap()
            .mfa_enabled
    );

    let staff_pw = app.staff("li.ming", false).await;
    let (staff, staff_csrf) = app.sign_in("li.ming", &staff_pw).await;
    let code = app.next_code("li.ming").unwrap();
    let refused = app
        .post_form(
            "/account/mfa/disable",
            Some(&staff),
            &[
                ("csrf", &staff_csrf),
                ("password", &staff_pw),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        egov_identity::get_user(app.db(), 2)
            .await
            .unwrap()
            .mfa_enabled
    );
}

#[tokio::test]
async fn a_failed_sign_in_with_an_id_number_is_audited_masked() {
    let app = TestApp::new().await;
    app.citizen("zhang.san").await;
    app.submit_login(ID, "wrong-password-1").await;
    let rows = egov_audit::for_object(app.db(), "login", "110105********002X", 5)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let mut r = app.db().reader().await.unwrap();
    let leaked: i64 = egov_store::run!(r, |c| sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE object_id LIKE '%' || $1 || '%' OR detail LIKE '%' || $1 || '%'"
    )
    .bind(ID)
    .fetch_one(&mut *c)
    .await)
    .unwrap();
    assert_eq!(leaked, 0);
    let throttle_keys: Vec<String> =
        egov_store::run!(r, |c| sqlx::query_scalar("SELECT key FROM auth_throttle")
            .fetch_all(&mut *c)
            .await)
        .unwrap();
    assert!(throttle_keys
        .iter()
        .all(|k| !k.to_lowercase().contains(&ID.to_lowercase())));
}
