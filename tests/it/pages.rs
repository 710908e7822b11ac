//! Pages: language negotiation and switch, sign-in with CSRF, the one-time
//! password flow, and the shells of the workbench and admin console.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;

#[tokio::test]
async fn home_is_chinese_by_default_and_english_on_request() {
    let app = TestApp::new().await;
    let zh = app.get("/").await;
    assert_eq!(zh.status, StatusCode::OK);
    assert!(zh.body.contains("<html lang=\"zh-CN\">"));
    assert!(zh.body.contains("北京市电子政务平台"));
    assert!(zh.body.contains("朝阳区"), "districts listed");
    // What is live, and a search of the hall; nothing "under construction".
    assert!(zh.body.contains("action=\"/services\"") && zh.body.contains("name=\"q\""));
    assert!(zh.body.contains("/cases/new?process=city_grid_case"));
    assert!(!zh.body.contains("建设中"));

    let en = app
        .get_with("/", &[("accept-language", "en-US,en;q=0.8")])
        .await;
    assert!(en.body.contains("<html lang=\"en\">"));
    assert!(en.body.contains("Beijing E-Government Platform"));

    // The cookie from the switch beats Accept-Language.
    let switch = app.get("/locale?lang=en&next=/departments").await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    assert_eq!(switch.header("location"), "/departments");
    let lang = switch.set_cookie("egov_lang").unwrap();
    assert_eq!(lang, "en");
    let page = app
        .get_with(
            "/",
            &[("cookie", "egov_lang=en"), ("accept-language", "zh-CN")],
        )
        .await;
    assert!(page.body.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn the_language_switch_only_returns_to_local_pages() {
    let app = TestApp::new().await;
    for next in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let res = app
            .get(&format!("/locale?lang=en&next={}", common::enc(next)))
            .await;
        assert_eq!(res.header("location"), "/", "next={next}");
    }
}

#[tokio::test]
async fn directory_lists_a_districts_departments_and_escapes_output() {
    let app = TestApp::new().await;
    let res = app.get("/departments?division=110105").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("北京市朝阳区市场监督管理局"));
    assert!(res.body.contains("110105-SCJGJ"));
    assert!(!res.body.contains("北京市海淀区市场监督管理局"));
    assert!(res.body.contains("href=\"/departments/110105-SCJGJ\""));

    // A department name with markup is shown as text.
    let key = app.api_key(&[egov_identity::Scope::OrgWrite]).await;
    let body = serde_json::json!({"code": "110105-XSS", "name": "<script>alert(1)</script>",
        "kind": "district", "division": "110105"});
    assert_eq!(
        app.post_json("/api/v1/departments", Some(&key), &body)
            .await
            .status,
        StatusCode::CREATED
    );
    let res = app.get("/departments?division=110105").await;
    assert!(!res.body.contains("<script>alert(1)</script>"));
    assert!(
        res.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            || res.body.contains("&#60;script&#62;")
    );
}

/// A department's page: its items (led and co-handled), where to go and
/// whom to ask, its public figures; an unknown code is a 404 page.
#[tokio::test]
async fn a_department_page_shows_its_items_contacts_and_figures() {
    let app = TestApp::new().await;
    egov_services::registry::seed_builtin(app.db())
        .await
        .unwrap();
    let page = app.get("/departments/110105-SCJGJ").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>北京市朝阳区市场监督管理局</h1>"));
    assert!(page.body.contains("href=\"/services/110105SCJGJ0001\""));
    assert!(
        page.body.contains("朝阳区市场监管局登记注册科"),
        "its enquiries"
    );
    assert!(page.body.contains("id=\"figures-heading\""));
    assert!(
        page.body.contains("href=\"/departments/"),
        "its parent or the directory"
    );
    let en = app
        .get_with("/departments/110105-SCJGJ", &[("cookie", "egov_lang=en")])
        .await;
    assert!(en.body.contains("Where to go and whom to ask"));
    let missing = app
        .get_with("/departments/110105-NONE", &[("accept", "text/html")])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn staff_pages_send_visitors_to_sign_in() {
    let app = TestApp::new().await;
    for path in ["/workbench", "/admin", "/account/password"] {
        let res = app.get(path).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{path}");
        assert!(res.header("location").starts_with("/login?next="), "{path}");
    }
}

#[tokio::test]
async fn sign_in_requires_the_form_token() {
    let app = TestApp::new().await;
    let password = app.staff("li.ming", false).await;
    let sessions = app.count("sessions").await;

    // No token cookie: refused, form shown again with a message.
    let res = app
        .post_form(
            "/login",
            None,
            &[
                ("username", "li.ming"),
                ("password", &password),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body.contains("表单已过期"));
    assert!(res.body.contains("value=\"li.ming\""), "user name kept");

    // Token cookie that does not match the field: refused.
    let res = app
        .post_form(
            "/login",
            Some("egov_form=aaaa"),
            &[
                ("username", "li.ming"),
                ("password", &password),
                ("csrf", "bbbb"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("sessions").await, sessions);
}

#[tokio::test]
async fn wrong_password_is_refused_with_a_message() {
    let app = TestApp::new().await;
    app.staff("li.ming", false).await;
    let res = app.submit_login("li.ming", "not it at all").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("用户名或密码错误"));
    assert!(res.body.contains("role=\"alert\""));
    assert!(res.set_cookie("egov_session").is_none());
    let failures = egov_audit::for_object(app.db(), "login", "li.ming", 5)
        .await
        .unwrap();
    assert!(failures
        .iter()
        .any(|r| r.action == "session.sign_in_failed"));
}

#[tokio::test]
async fn signed_in_staff_reach_the_workbench_and_sign_out() {
    let app = TestApp::new().await;
    let password = app.staff("li.ming", false).await;
    let (cookie, csrf) = app.sign_in("li.ming", &password).await;

    let wb = app.get_with("/workbench", &[("cookie", &cookie)]).await;
    assert_eq!(wb.status, StatusCode::OK);
    assert!(wb.body.contains("我的待办"));

    // Not an administrator.
    let admin = app.get_with("/admin", &[("cookie", &cookie)]).await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);

    // Sign-out needs the session's token.
    let res = app
        .post_form("/logout", Some(&cookie), &[("csrf", "forged")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_with("/workbench", &[("cookie", &cookie)])
            .await
            .status,
        StatusCode::OK
    );
    let res = app
        .post_form("/logout", Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_with("/workbench", &[("cookie", &cookie)])
            .await
            .status,
        StatusCode::SEE_OTHER,
        "session ended"
    );
}

#[tokio::test]
async fn the_first_administrator_must_replace_the_one_time_password() {
    let app = TestApp::new().await;
    let first = egov_identity::ensure_first_admin(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(
        egov_identity::ensure_first_admin(app.db())
            .await
            .unwrap()
            .is_none(),
        "credentials are made and shown once"
    );
    use secrecy::ExposeSecret;
    let one_time = first.password.expose_secret().to_owned();

    let res = app.submit_login("admin", &one_time).await;
    assert_eq!(res.header("location"), "/account/password");
    let session = res.set_cookie("egov_session").unwrap();
    let cookie = format!("egov_session={session}");
    let csrf = egov_identity::find_session(app.db(), &session)
        .await
        .unwrap()
        .unwrap()
        .csrf_token;

    // Until it is changed, the console sends them back.
    let res = app.get_with("/admin", &[("cookie", &cookie)]).await;
    assert_eq!(res.header("location"), "/account/password");

    // Mismatch and short passwords are refused with messages.
    let res = app
        .post_form(
            "/account/password",
            Some(&cookie),
            &[
                ("current", &one_time),
                ("new_password", "a-long-new-password"),
                ("confirm", "something else"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert!(res.body.contains("两次输入的新密码不一致"));
    let res = app
        .post_form(
            "/account/password",
            Some(&cookie),
            &[
                ("current", &one_time),
                ("new_password", "short"),
                ("confirm", "short"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert!(
        res.body.contains("密码长度至少为 10 个字符"),
        "{}",
        res.body
    );

    // The policy refuses common passwords.
    let res = app
        .post_form(
            "/account/password",
            Some(&cookie),
            &[
                ("current", &one_time),
                ("new_password", "password123"),
                ("confirm", "password123"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("常见"), "{}", res.body);

    let res = app
        .post_form(
            "/account/password",
            Some(&cookie),
            &[
                ("current", &one_time),
                ("new_password", "Jing-Hua-Yan-Yun-88"),
                ("confirm", "Jing-Hua-Yan-Yun-88"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(res.header("location"), "/account");

    // A civil servant must enrol a second factor next.
    let res = app.get_with("/admin", &[("cookie", &cookie)]).await;
    assert_eq!(res.header("location"), "/account/mfa");
    let setup = app.get_with("/account/mfa", &[("cookie", &cookie)]).await;
    assert!(setup.body.contains("<svg"), "QR code shown");
    let secret = setup
        .body
        .split("id=\"totp-secret\" translate=\"no\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("secret shown")
        .to_owned();
    let totp = egov_identity::totp::TotpSecret::from_base32(&secret).unwrap();
    let wrong = app
        .post_form(
            "/account/mfa",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("code", "000000"),
                ("password", "Jing-Hua-Yan-Yun-88"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = app
        .post_form(
            "/account/mfa",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("code", &totp.code_at(common::now_unix())),
                ("password", "Jing-Hua-Yan-Yun-88"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(
        done.body.matches("<li><code translate=\"no\">").count(),
        10,
        "ten recovery codes"
    );

    let console = app.get_with("/admin", &[("cookie", &cookie)]).await;
    assert_eq!(console.status, StatusCode::OK);
    assert!(console.body.contains("管理后台"));
    assert!(console.body.contains("253"), "department count shown");
}

#[tokio::test]
async fn administrators_add_departments_in_the_console() {
    let app = TestApp::new().await;
    let pw = app.staff("sys.admin", true).await;
    let (cookie, csrf) = app.sign_in("sys.admin", &pw).await;
    let page = app
        .get_with("/admin/departments?division=110105", &[("cookie", &cookie)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("110105-SCJGJ"));
    let before = app.count("departments").await;
    let bad = app
        .post_form(
            "/admin/departments",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("name", "科技局"),
                ("code", "110105-kj"),
                ("kind", "district"),
                ("division", "110105"),
                ("parent", "110105-GOV"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("部门代码格式"));
    let dup = app
        .post_form(
            "/admin/departments",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("name", "重复"),
                ("code", "110105-SCJGJ"),
                ("kind", "district"),
                ("division", "110105"),
                ("parent", "110105-GOV"),
            ],
        )
        .await;
    assert!(dup.body.contains("已存在"), "{}", dup.body);
    assert_eq!(app.count("departments").await, before);
    let ok = app
        .post_form(
            "/admin/departments",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("name", "北京市朝阳区科技和信息化局"),
                ("code", "110105-KJXXHJ"),
                ("kind", "district"),
                ("division", "110105"),
                ("parent", "110105-GOV"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert!(ok.body.contains("110105-KJXXHJ"));
    assert_eq!(app.count("departments").await, before + 1);
}

#[tokio::test]
async fn cookies_are_secure_when_the_site_is_served_over_tls() {
    use tower::ServiceExt;
    let app = TestApp::new().await;
    let tls = egov_web::router(egov_web::AppState::new(
        app.db().clone(),
        egov_web::WebSettings {
            secure_cookies: true,
            ..Default::default()
        },
    ));
    let res = tls
        .oneshot(
            axum::http::Request::get("/login")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let plain = app.get("/login").await;
    let cookie = plain.header("set-cookie");
    assert!(
        !cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

/// The main navigation's links, in order, as the page draws them (less the
/// test system's of `new_system.rs`: the navigation is the process's, and
/// that test may have run first).
fn nav_links(body: &str) -> Vec<String> {
    let nav = body
        .split(r#"<nav class="wrap main-nav""#)
        .nth(1)
        .and_then(|rest| rest.split("</nav>").next())
        .expect("the page has the main navigation");
    nav.split(r#"<li><a href=""#)
        .skip(1)
        .map(|l| l.split('"').next().unwrap_or_default().to_owned())
        .filter(|href| href != "/bulletin")
        .collect()
}

#[tokio::test]
async fn the_navigation_is_composed_from_every_system_for_the_viewer() {
    let app = TestApp::new().await;
    let visitor = app.get("/").await;
    assert_eq!(
        nav_links(&visitor.body),
        [
            "/",
            "/services",
            "/mailbox",
            "/disclosure",
            "/grid/report",
            "/open-data",
            "/departments",
            "/statistics",
            "/api/docs"
        ]
    );

    let password = app.citizen("zhang.san").await;
    let (cookie, _) = app.sign_in("zhang.san", &password).await;
    let citizen = app.get_with("/services", &[("cookie", &cookie)]).await;
    assert_eq!(
        nav_links(&citizen.body),
        [
            "/",
            "/services",
            "/mailbox",
            "/disclosure",
            "/grid/report",
            "/open-data",
            "/departments",
            "/statistics",
            "/cases",
            "/petitions",
            "/account",
            "/api/docs"
        ]
    );
    assert!(
        citizen
            .body
            .contains(r#"<a href="/services" aria-current="page">"#),
        "the current page is marked"
    );

    let password = app.staff("li.ming", false).await;
    let (cookie, _) = app.sign_in("li.ming", &password).await;
    let handler = app.get_with("/workbench", &[("cookie", &cookie)]).await;
    assert_eq!(
        nav_links(&handler.body),
        [
            "/",
            "/services",
            "/mailbox",
            "/disclosure",
            "/grid/report",
            "/open-data",
            "/departments",
            "/statistics",
            "/petitions",
            "/workbench",
            "/workplans",
            "/catalogue",
            "/account",
            "/api/docs"
        ]
    );
}

#[tokio::test]
async fn error_pages_keep_the_signed_in_header() {
    let app = TestApp::new().await;
    let password = app.citizen("zhang.san").await;
    let (cookie, _) = app.sign_in("zhang.san", &password).await;
    let html = [("cookie", cookie.as_str()), ("accept", "text/html")];
    // A page nobody has (the router's fallback), a page the citizen may
    // not see (a handler's 403), an API-style refusal drawn as a page (the
    // problem renderer's): each says who is signed in and offers signing
    // out, as every other page does.
    for (path, status) in [
        ("/no-such-page", StatusCode::NOT_FOUND),
        ("/workbench", StatusCode::FORBIDDEN),
        ("/applications/999999", StatusCode::NOT_FOUND),
    ] {
        let res = app.get_with(path, &html).await;
        assert_eq!(res.status, status, "{path}");
        assert!(
            res.body.contains("<span class=\"who\">"),
            "{path}: {}",
            res.body
        );
        assert!(res.body.contains("action=\"/logout\""), "{path}");
    }
    // Signed out: the same pages for nobody.
    let res = app
        .get_with("/no-such-page", &[("accept", "text/html")])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(!res.body.contains("<span class=\"who\">"));
}
