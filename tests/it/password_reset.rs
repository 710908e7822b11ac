//! A forgotten password reset with a code sent to the account's phone (the
//! same answer whether or not the account matches), and administrators
//! resetting a civil servant's password or second factor.

use crate::common::{self, TestApp, TestResponse};
use axum::http::StatusCode;

const PHONE: &str = "13800138000";
const NEW: &str = "Xin-Mi-Ma-Hen-Chang-7";

/// Posts the request form with a fresh form token; answers the redirect.
async fn ask(app: &TestApp, username: &str, phone: &str) -> TestResponse {
    let form = app.get("/login/forgot").await;
    assert_eq!(form.status, StatusCode::OK);
    let token = form.set_cookie("egov_form").expect("form cookie");
    app.post_form(
        "/login/forgot",
        Some(&format!("egov_form={token}")),
        &[("csrf", &token), ("username", username), ("phone", phone)],
    )
    .await
}

/// Posts the code form of the ticket `location` leads to.
async fn answer(app: &TestApp, location: &str, code: &str, password: &str) -> TestResponse {
    let page = app.get(location).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let token = page.set_cookie("egov_form").expect("form cookie");
    let ticket = location.split("t=").nth(1).unwrap();
    app.post_form(
        "/login/reset",
        Some(&format!("egov_form={token}")),
        &[
            ("csrf", &token),
            ("ticket", ticket),
            ("code", code),
            ("password", password),
            ("confirm", password),
        ],
    )
    .await
}

async fn texts_to(app: &TestApp, phone: &str) -> Vec<String> {
    egov_identity::sms::outbox(app.db(), Some(phone), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect()
}

fn code_in(text: &str) -> String {
    let at = text.find("验证码 ").expect("a code") + "验证码 ".len();
    text[at..at + 6].to_owned()
}

#[tokio::test]
async fn a_citizen_resets_a_forgotten_password_with_a_code_to_their_phone() {
    let app = TestApp::new().await;
    let old = app.citizen("zhang.san").await;
    let session = app.sign_in("zhang.san", &old).await;
    let before = texts_to(&app, PHONE).await.len();

    // A name and phone that do not match: the same answer, and no text.
    let stranger = ask(&app, "zhang.san", "13900139000").await;
    assert_eq!(stranger.status, StatusCode::SEE_OTHER);
    let page = app.get(stranger.header("location")).await;
    assert!(page.body.contains("139****9000"), "{}", page.body);
    assert!(texts_to(&app, "13900139000").await.is_empty());
    let nobody = ask(&app, "no.such.person", PHONE).await;
    assert_eq!(nobody.status, StatusCode::SEE_OTHER);
    assert_eq!(texts_to(&app, PHONE).await.len(), before);
    // A phone number that is not one: shown again with the reason.
    let bad = ask(&app, "zhang.san", "12345").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("手机号码"), "{}", bad.body);

    // The match: a code by text.
    let asked = ask(&app, "zhang.san", PHONE).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    let location = asked.header("location").to_owned();
    let texts = texts_to(&app, PHONE).await;
    assert_eq!(texts.len(), before + 1);
    // Asking again within the minute sends nothing more.
    ask(&app, "zhang.san", PHONE).await;
    assert_eq!(texts_to(&app, PHONE).await.len(), before + 1);
    // A minute later a new code replaces the first: its page is gone.
    app.db()
        .execute(
            egov_store::query("UPDATE password_resets SET created_at = $1")
                .bind(egov_kernel::time::now() - chrono::Duration::minutes(2)),
        )
        .await
        .unwrap();
    let replaced = location;
    let asked = ask(&app, "zhang.san", PHONE).await;
    let location = asked.header("location").to_owned();
    assert_eq!(app.get(&replaced).await.status, StatusCode::NOT_FOUND);
    let texts = texts_to(&app, PHONE).await;
    assert_eq!(texts.len(), before + 2);
    let code = code_in(&texts[0]);
    // A token the account's software holds: a reset revokes it too.
    let token_page = app
        .post_form(
            "/account/tokens",
            Some(&session.0),
            &[
                ("csrf", &session.1),
                ("name", "软件"),
                ("read", "on"),
                ("days", "30"),
                ("password", &old),
            ],
        )
        .await;
    assert_eq!(token_page.status, StatusCode::CREATED);
    let at = token_page.body.find("egovp_").unwrap();
    let token = format!("Bearer {}", &token_page.body[at..at + 70]);
    assert_eq!(
        app.get_with("/api/v1/me", &[("authorization", &token)])
            .await
            .status,
        StatusCode::OK
    );

    // A wrong code, then a weak password: refused, nothing changes.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = answer(&app, &location, wrong, NEW).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("验证码不正确"));
    let res = answer(&app, &location, &code, "zhang.san123").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.sign_in("zhang.san", &old).await;

    let done = answer(&app, &location, &code, NEW).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("密码已重置"));
    // Every session ended; the new password signs in; the phone was told.
    let me = app.get_with("/api/v1/me", &[("cookie", &session.0)]).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get_with("/api/v1/me", &[("authorization", &token)])
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "the token made before the reset"
    );
    app.sign_in("zhang.san", NEW).await;
    assert!(texts_to(&app, PHONE).await[0].contains("密码已重置"));
    // The ticket is spent.
    let again = app.get(&location).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.count_where("audit_log", "action = 'user.password_reset'")
            .await,
        1
    );
    let records = app.count("audit_log").await;
    assert_eq!(common::verify_audit(&app).await, common::intact(records));
}

#[tokio::test]
async fn administrators_reset_a_civil_servants_password_and_second_factor() {
    let app = TestApp::new().await;
    let admin_pw = app.staff("admin.li", true).await;
    let admin = app.sign_in("admin.li", &admin_pw).await;
    let clerk_pw = app.staff("clerk.wang", false).await;
    let clerk = app.sign_in("clerk.wang", &clerk_pw).await;
    let clerk_id = app.user_id("clerk.wang").await;

    // A department administrator may not take over the system
    // administrator's account by resetting it; nobody resets a citizen's.
    let dept = egov_org::department(app.db(), "110000-ZWFWJ")
        .await
        .unwrap()
        .id;
    let da_pw = app
        .staff_with(
            "deptadmin.zhao",
            Some(dept),
            vec![egov_identity::RoleGrant {
                role: egov_identity::Role::DepartmentAdmin,
                department_id: Some(dept),
            }],
        )
        .await;
    let dept_admin = app.sign_in("deptadmin.zhao", &da_pw).await;
    let admin_id = app.user_id("admin.li").await;
    for path in ["password-reset", "second-factor-reset"] {
        let res = app
            .post_form(
                &format!("/admin/users/{admin_id}/{path}"),
                Some(&dept_admin.0),
                &[("csrf", &dept_admin.1)],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
    }
    app.citizen("zhang.san").await;
    let citizen_id = app.user_id("zhang.san").await;
    let res = app
        .post_form(
            &format!("/admin/users/{citizen_id}/password-reset"),
            Some(&admin.0),
            &[("csrf", &admin.1)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // The clerk may not reset anyone, not even from a forged form.
    let res = app
        .post_form(
            &format!("/admin/users/{clerk_id}/password-reset"),
            Some(&clerk.0),
            &[("csrf", &clerk.1)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let res = app
        .post_form(
            &format!("/admin/users/{clerk_id}/password-reset"),
            Some(&admin.0),
            &[("csrf", &admin.1)],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let marker = "id=\"one-time-password\" translate=\"no\">";
    let start = res.body.find(marker).unwrap() + marker.len();
    let one_time = res.body[start..].split('<').next().unwrap().to_owned();
    assert_eq!(one_time.len(), 20);
    // The clerk is signed out; the one-time password must be replaced.
    let me = app.get_with("/api/v1/me", &[("cookie", &clerk.0)]).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.count_where(
            "users",
            "username = 'clerk.wang' AND must_change_password = TRUE"
        )
        .await,
        1
    );
    let user = egov_identity::get_user(app.db(), clerk_id).await.unwrap();

    // The second factor: taken away, audited.
    assert!(user.mfa_enabled);
    let res = app
        .post_form(
            &format!("/admin/users/{clerk_id}/second-factor-reset"),
            Some(&admin.0),
            &[("csrf", &admin.1)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(
        !egov_identity::get_user(app.db(), clerk_id)
            .await
            .unwrap()
            .mfa_enabled
    );
    for action in [
        "user.password_reset_by_admin",
        "user.second_factor_reset_by_admin",
    ] {
        assert_eq!(
            app.count_where("audit_log", &format!("action = '{action}'"))
                .await,
            1,
            "{action}"
        );
    }
    // The list names departments, not codes alone.
    let list = app.get_with("/admin/users", &[("cookie", &admin.0)]).await;
    assert!(
        list.body.contains("<td>北京市政务服务和数据管理局</td>"),
        "{}",
        list.body
    );
}

#[tokio::test]
async fn a_citizen_resets_a_forgotten_password_with_a_code_to_their_confirmed_email() {
    let app = TestApp::new().await;
    app.citizen("zhang.san").await;
    let user = app.user_id("zhang.san").await;
    let ctx = egov_kernel::Context::system();
    let email = "zhang.san@example.cn";
    // An address not yet confirmed gets no code, and the same answer.
    egov_identity::contacts::start_email_confirmation(app.db(), &ctx, user, email)
        .await
        .unwrap();
    let confirm_text = egov_identity::contacts::newest_email_to(app.db(), email)
        .await
        .unwrap()
        .unwrap();
    let res = ask(&app, "zhang.san", email).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        egov_identity::contacts::newest_email_to(app.db(), email)
            .await
            .unwrap()
            .unwrap(),
        confirm_text,
        "a code went to an unconfirmed address"
    );
    let code = confirm_text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_owned();
    egov_identity::contacts::confirm_email(app.db(), &ctx, user, &code)
        .await
        .unwrap();

    // Neither a phone nor an email: shown again with the reason.
    let res = ask(&app, "zhang.san", "zhang.san@").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("请填写绑定的手机号码或电子邮箱"),
        "{}",
        res.body
    );

    let res = ask(&app, "zhang.san", "Zhang.San@Example.cn").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let location = res.header("location").to_owned();
    let page = app.get(&location).await;
    assert!(page.body.contains("z***@example.cn"), "{}", page.body);
    let mail = egov_identity::contacts::newest_email_to(app.db(), email)
        .await
        .unwrap()
        .unwrap();
    let done = answer(&app, &location, &code_in(&mail), NEW).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    app.sign_in("zhang.san", NEW).await;
    let told = egov_identity::contacts::newest_email_to(app.db(), email)
        .await
        .unwrap()
        .unwrap();
    assert!(told.contains("密码已重置"), "{told}");
}
