//! The mayor's mailbox: a writer without an account confirms their phone
//! with the texted code, a signed-in one writes over the API; the mayor's
//! office hands the letter on, the department answers, the writer rates the
//! answer, and the department publishes it, refused while personal data
//! remains; the public list, search, figures and letter pages.

use crate::common::casework::{citizen, dept, staff, Caller};
use crate::common::{enc, TestApp, TestResponse};
use axum::http::StatusCode;
use egov_identity::Role;
use serde_json::{json, Value};

/// Posts `fields` to the form at `page` (fetched first for its
/// double-submit token), as nobody signed in.
async fn post_as_guest(
    app: &TestApp,
    page: &str,
    to: &str,
    fields: &[(&str, &str)],
) -> TestResponse {
    let shown = app.get(page).await;
    assert!(shown.status.is_success(), "{page}: {}", shown.body);
    let token = shown.set_cookie("egov_form").expect("a form token");
    let mut fields = fields.to_vec();
    fields.push(("csrf", &token));
    app.post_form(to, Some(&format!("egov_form={token}")), &fields)
        .await
}

fn location(res: &TestResponse) -> String {
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    res.header("location").to_owned()
}

const BODY: &str = "我叫王小明，住在回龙观东大街12号院3号楼2单元501室，电话13800138000。\
    回龙观到西二旗的公交早高峰非常拥挤，建议增开大站快车。";

#[tokio::test]
async fn a_guest_writes_to_the_mayor_and_the_answer_is_published_without_personal_data() {
    let app = TestApp::new().await;
    let letter = [
        ("mailbox", "mayor"),
        ("category", "suggestion"),
        ("subject", "建议增开回龙观公交大站快车"),
        ("body", BODY),
        ("consent", "1"),
        ("name", "王小明"),
        ("phone", ""),
    ];
    // No phone: refused, shown again as typed, nothing stored.
    let res = post_as_guest(&app, "/mailbox/write", "/mailbox/write", &letter).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("须留下姓名和手机号码"), "{}", res.body);
    assert!(
        res.body.contains("建议增开回龙观公交大站快车"),
        "kept as typed"
    );
    assert_eq!(app.count("mailbox_letters").await, 0);
    // A forged form: refused.
    let res = app
        .post_form("/mailbox/write", Some("egov_form=a"), &[("csrf", "b")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let mut letter = letter.to_vec();
    letter.retain(|(k, _)| *k != "phone");
    letter.push(("phone", "138 0013 8000"));
    let confirm = location(&post_as_guest(&app, "/mailbox/write", "/mailbox/write", &letter).await);
    assert!(confirm.starts_with("/mailbox/confirm/"), "{confirm}");
    assert_eq!(app.count("cases").await, 0, "no case before the code");
    let page = app.get(&confirm).await;
    assert!(page.body.contains("138****8000"), "{}", page.body);
    let text = egov_identity::sms::outbox(app.db(), Some("13800138000"), 1)
        .await
        .unwrap()
        .pop()
        .expect("a code texted");
    let code: String = text
        .body
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = post_as_guest(&app, &confirm, &confirm, &[("code", wrong)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("还可以再试 4 次"), "{}", res.body);
    assert_eq!(app.count("cases").await, 0);
    let follow = location(&post_as_guest(&app, &confirm, &confirm, &[("code", &code)]).await);
    let follow = follow
        .strip_suffix("?written=1")
        .expect("told it was written")
        .to_owned();
    assert!(follow.starts_with("/mailbox/follow/"), "{follow}");
    // The follow link is texted too, lest a closed page lose the letter.
    let texted = egov_identity::sms::outbox(app.db(), Some("13800138000"), 1)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert!(texted.body.contains(&follow), "{}", texted.body);
    // The ticket is spent.
    let res = post_as_guest(&app, &follow, &confirm, &[("code", &code)]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let page = app.get(&follow).await;
    assert!(page.body.contains("待受理"), "{}", page.body);
    let number = app
        .texts("SELECT number FROM cases WHERE process_id = 'mailbox_letter'")
        .await
        .pop()
        .unwrap();

    // The mayor's office hands it to the transport commission, which answers.
    let bgt = staff(
        &app,
        "bgt.letters",
        dept(&app, "110000-BGT").await,
        &[Role::Handler],
    )
    .await;
    let jtw = staff(
        &app,
        "jtw.letters",
        dept(&app, "110000-JTW").await,
        &[Role::Handler],
    )
    .await;
    let case = bgt.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["data"]["mailbox"], "市长信箱");
    let res = bgt
        .act(
            &app,
            &number,
            "forward",
            json!({ "department": "110000-JTW", "reason": "公交线路由市交通委办理" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let answer = "感谢您的建议。公交集团已于下月起在早高峰增开回龙观至西二旗大站快车。";
    let res = jtw
        .act(&app, &number, "answer", json!({ "answer": answer }))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // The writer reads the answer and rates it, once.
    let page = app.get(&follow).await;
    assert!(page.body.contains("大站快车"), "{}", page.body);
    let rate = format!("{follow}/rate");
    let res = post_as_guest(&app, &follow, &rate, &[("grade", "2"), ("comment", "")]).await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a bad grade needs a reason"
    );
    let res = post_as_guest(
        &app,
        &follow,
        &rate,
        &[("grade", "5"), ("comment", "很及时")],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app.get(&follow).await;
    assert!(page.body.contains("非常满意"), "{}", page.body);
    assert!(!page.body.contains("id=\"rate-form\""), "rated once");

    // Publication: only the answering department's handlers.
    let publish = format!("/mailbox/letters/{number}/publish");
    let res = app.get_with(&publish, &[("cookie", &bgt.0)]).await;
    assert_eq!(
        res.status,
        StatusCode::NOT_FOUND,
        "not theirs: as if no letter"
    );
    let res = app.get_with(&publish, &[("cookie", &jtw.0)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    for personal in ["王小明", "13800138000", "3号楼2单元501室"] {
        assert!(
            !res.body.contains(personal),
            "{personal} proposed: {}",
            res.body
        );
    }
    let draft = jtw
        .get(
            &app,
            &format!("/api/v1/mailbox/letters/{number}/publication"),
        )
        .await;
    let body = draft["texts"]["body"].as_str().unwrap().to_owned();
    assert!(body.contains("[电话]"), "{body}");
    // Personal data typed back in: refused, nothing published.
    let sneaked = format!("{body} 联系人王小明");
    let fields = |body: &str| {
        vec![
            ("csrf".to_owned(), jtw.1.clone()),
            (
                "subject".to_owned(),
                draft["texts"]["subject"].as_str().unwrap().to_owned(),
            ),
            ("body".to_owned(), body.to_owned()),
            (
                "answer".to_owned(),
                draft["texts"]["answer"].as_str().unwrap().to_owned(),
            ),
        ]
    };
    let post = |fields: Vec<(String, String)>| {
        let (app, cookie, publish) = (&app, jtw.0.clone(), publish.clone());
        async move {
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            app.post_form(&publish, Some(&cookie), &fields).await
        }
    };
    let res = post(fields(&sneaked)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("仍有个人信息"), "{}", res.body);
    assert_eq!(
        app.count_where("mailbox_letters", "published_at IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        location(&post(fields(&body)).await),
        format!("/mailbox/letters/{number}")
    );

    // The public pages and the API.
    let page = app.get(&format!("/mailbox/letters/{number}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("大站快车"));
    for personal in ["王小明", "13800138000", "501室"] {
        assert!(!page.body.contains(personal), "{personal} published");
    }
    let list = app.get("/mailbox").await;
    assert!(
        list.body.contains(&format!("/mailbox/letters/{number}")),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("100.0%"),
        "answered in time: {}",
        list.body
    );
    let found = app.get(&format!("/mailbox?q={}", enc("大站快车"))).await;
    assert!(found.body.contains(&number), "{}", found.body);
    let none = app.get(&format!("/mailbox?q={}", enc("垃圾分类"))).await;
    assert!(!none.body.contains(&number));
    let api: Value = app.get("/api/v1/mailbox/letters").await.json();
    assert_eq!(api["total"], 1);
    let res = app
        .get("/api/v1/mailbox/letters?q=%E5%85%AC%E4%BA%A4&offset=2432902008176640000&limit=-271")
        .await;
    res.assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
    let figures: Value = app.get("/api/v1/mailbox/figures").await.json();
    let jtw_id = dept(&app, "110000-JTW").await;
    let row = figures
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["department_id"] == jtw_id)
        .expect("the commission's figures");
    assert_eq!(
        (row["received"].clone(), row["answered"].clone()),
        (json!(1), json!(1))
    );
    // Published once.
    let res = post(fields(&body)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("来信已经公开"), "{}", res.body);
    // Its page offers to withdraw it; withdrawn with a reason, it leaves the
    // public pages and the search, its texts kept with the reason.
    let res = app.get_with(&publish, &[("cookie", &jtw.0)]).await;
    assert!(res.body.contains("id=\"withdraw-form\""), "{}", res.body);
    let withdrawal = format!("/api/v1/mailbox/letters/{number}/withdrawal");
    let res = jtw.post(&app, &withdrawal, json!({ "reason": " " })).await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = bgt
        .post(&app, &withdrawal, json!({ "reason": "核实" }))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "not theirs");
    let res = jtw
        .post(
            &app,
            &withdrawal,
            json!({ "reason": "发现仍含可识别个人的信息" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(
        app.get(&format!("/mailbox/letters/{number}")).await.status,
        StatusCode::NOT_FOUND
    );
    let found = app.get(&format!("/mailbox?q={}", enc("大站快车"))).await;
    assert!(!found.body.contains(&number), "withdrawn from the search");
    assert_eq!(app.get("/api/v1/mailbox/letters").await.json()["total"], 0);
    let res = jtw
        .post(&app, &withdrawal, json!({ "reason": "再撤一次" }))
        .await;
    res.assert_problem(StatusCode::CONFLICT, "not_published");
    assert_eq!(
        app.texts(
            "SELECT withdrawn_reason FROM mailbox_letters WHERE published_subject IS NOT NULL"
        )
        .await,
        ["发现仍含可识别个人的信息"]
    );
    assert_eq!(
        app.texts("SELECT action FROM audit_log WHERE action LIKE 'mailbox.%' ORDER BY seq")
            .await,
        [
            "mailbox.awaiting_code",
            "mailbox.wrong_code",
            "mailbox.written",
            "mailbox.published",
            "mailbox.withdrawn"
        ]
    );
}

#[tokio::test]
async fn a_signed_in_writer_writes_over_the_api_and_a_letter_without_consent_stays_private() {
    let app = TestApp::new().await;
    let writer: Caller = citizen(&app, "letter.writer").await;
    let letter = |category: &str, mailbox: &str| {
        json!({
            "mailbox": mailbox,
            "category": category,
            "subject": "小区门口路灯不亮",
            "body": "东城区某小区门口的路灯已经坏了两周，晚上出行不便，请尽快修复。",
            "consent": false,
        })
    };
    let res = writer
        .post(&app, "/api/v1/mailbox/letters", letter("petition", "mayor"))
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = writer
        .post(
            &app,
            "/api/v1/mailbox/letters",
            letter("help", "110000-NOPE"),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(app.count("mailbox_letters").await, 0);
    let res = app
        .post_json(
            "/api/v1/mailbox/letters",
            None,
            &letter("help", "110000-CGW"),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    let res = writer
        .post(
            &app,
            "/api/v1/mailbox/letters",
            letter("help", "110000-CGW"),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let number = res.json()["number"].as_str().unwrap().to_owned();
    let case = writer.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["state"], "sorting");
    assert_eq!(case["data"]["category"], "求助");

    let cgw = staff(
        &app,
        "cgw.letters",
        dept(&app, "110000-CGW").await,
        &[Role::Handler],
    )
    .await;
    assert_eq!(
        cgw.act(&app, &number, "take", json!({})).await.status,
        StatusCode::OK
    );
    let res = cgw
        .act(
            &app,
            &number,
            "answer",
            json!({ "answer": "已安排维修，三日内修复。" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = cgw
        .send(
            &app,
            axum::http::Method::PUT,
            &format!("/api/v1/mailbox/letters/{number}/publication"),
            json!({ "subject": "路灯", "body": "路灯不亮", "answer": "已修复" }),
        )
        .await;
    res.assert_problem(StatusCode::CONFLICT, "no_consent");
    let res = writer
        .send(
            &app,
            axum::http::Method::PUT,
            &format!("/api/v1/mailbox/letters/{number}/publication"),
            json!({ "subject": "路灯", "body": "路灯不亮", "answer": "已修复" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/v1/mailbox/letters/{number}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// The demonstration letters go through the same steps as any other: the
/// answered ones whose writers agreed are published, checked clean, and the
/// figures count every department's letters; loading again adds nothing.
#[tokio::test]
async fn the_demonstration_letters_are_answered_rated_and_published_clean() {
    let app = TestApp::new().await;
    let processes = egov_cases::Processes::default();
    let n = egov_mailbox::demo::load(app.db(), &processes)
        .await
        .unwrap();
    assert!(n >= 10, "{n} letters");
    assert_eq!(
        egov_mailbox::demo::load(app.db(), &processes)
            .await
            .unwrap(),
        0
    );
    let list: Value = app.get("/api/v1/mailbox/letters?limit=100").await.json();
    let published = list["letters"].as_array().unwrap();
    assert!(published.len() >= 6, "{list}");
    let contacts = app.texts("SELECT contact FROM mailbox_letters").await;
    for letter in published {
        let text = format!(
            "{} {} {}",
            letter["subject"], letter["body"], letter["answer"]
        );
        for contact in &contacts {
            let c: Value = serde_json::from_str(contact).unwrap();
            for field in ["name", "phone"] {
                let personal = c[field].as_str().unwrap();
                assert!(!text.contains(personal), "{personal} published: {text}");
            }
        }
    }
    let rated = app.count("case_ratings").await;
    assert!(rated >= 6, "{rated} ratings");
    let figures: Value = app.get("/api/v1/mailbox/figures").await.json();
    let received: i64 = figures
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["received"].as_i64().unwrap())
        .sum();
    assert_eq!(received, n as i64);
    let page = app.get("/mailbox").await;
    assert!(page.body.contains("大站快车"), "{}", page.body);
}

/// A code's tries end the ticket; a phone is sent at most three codes an
/// hour; a declined letter has nothing to rate.
#[tokio::test]
async fn codes_are_limited_and_only_an_answer_is_rated() {
    let app = TestApp::new().await;
    let letter = [
        ("mailbox", "110000-CGW"),
        ("category", "complaint"),
        ("subject", "楼下餐馆油烟扰民"),
        ("body", "楼下餐馆的油烟直接排到居民楼，夏天无法开窗。"),
        ("name", "赵六"),
        ("phone", "13766667777"),
    ];
    let confirm = location(&post_as_guest(&app, "/mailbox/write", "/mailbox/write", &letter).await);
    let token = app
        .get("/mailbox/write")
        .await
        .set_cookie("egov_form")
        .unwrap();
    let try_code = |code: String| {
        let (app, confirm, token) = (&app, confirm.clone(), token.clone());
        async move {
            app.post_form(
                &confirm,
                Some(&format!("egov_form={token}")),
                &[("csrf", &token), ("code", &code)],
            )
            .await
        }
    };
    for left in (1..5).rev() {
        let res = try_code("abcdef".into()).await;
        assert!(
            res.body.contains(&format!("还可以再试 {left} 次")),
            "{}",
            res.body
        );
    }
    // The fifth wrong try spends the ticket.
    let res = try_code("abcdef".into()).await;
    assert_eq!(res.status, StatusCode::GONE, "{}", res.body);
    assert!(res.body.contains("请重新写信"), "{}", res.body);
    let text = egov_identity::sms::outbox(app.db(), Some("13766667777"), 1)
        .await
        .unwrap()
        .pop()
        .unwrap();
    let code: String = text
        .body
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    let res = try_code(code).await;
    assert_eq!(
        res.status,
        StatusCode::NOT_FOUND,
        "the right code, too late"
    );
    assert_eq!(app.count("cases").await, 0);

    // Two more codes this hour, then no more to this phone.
    for _ in 0..2 {
        location(&post_as_guest(&app, "/mailbox/write", "/mailbox/write", &letter).await);
    }
    let res = post_as_guest(&app, "/mailbox/write", "/mailbox/write", &letter).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    assert!(res.body.contains("请稍后再试"), "{}", res.body);
    assert_eq!(app.count("mailbox_letters").await, 3);
    // A day after their codes expired, unconfirmed letters are deleted.
    assert_eq!(egov_mailbox::writing::sweep(app.db()).await.unwrap(), 0);
    app.db()
        .execute(
            egov_store::query("UPDATE mailbox_letters SET expires_at = $1 WHERE case_id IS NULL")
                .bind(egov_kernel::time::now() - chrono::Duration::days(2)),
        )
        .await
        .unwrap();
    assert_eq!(egov_mailbox::writing::sweep(app.db()).await.unwrap(), 3);
    assert_eq!(app.count("mailbox_letters").await, 0);

    // A letter taken in and declined: nothing to rate.
    let processes = egov_cases::Processes::default();
    let mut other = egov_mailbox::NewLetter {
        mailbox: "110000-CGW".into(),
        category: "help".into(),
        subject: "想咨询落户政策".into(),
        body: "请问应届毕业生落户需要什么条件？".into(),
        ..Default::default()
    };
    other.contact.name = "钱七".into();
    other.contact.phone = Some("13700001111".into());
    let written = egov_mailbox::writing::write_received(
        app.db(),
        &egov_kernel::Context::system(),
        &processes,
        &egov_calendar::CalendarCache::default(),
        other,
    )
    .await
    .unwrap();
    let cgw = staff(
        &app,
        "cgw.decline",
        dept(&app, "110000-CGW").await,
        &[Role::Handler],
    )
    .await;
    let res = cgw
        .act(
            &app,
            &written.number,
            "decline",
            json!({ "reason": "请向市人力社保局咨询" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let follow = format!("/mailbox/follow/{}", written.follow.unwrap());
    let page = app.get(&follow).await;
    assert!(
        page.body.contains("请向市人力社保局咨询"),
        "the reason is told"
    );
    assert!(!page.body.contains("id=\"rate-form\""));
    let res = post_as_guest(&app, &follow, &format!("{follow}/rate"), &[("grade", "5")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("尚未答复"), "{}", res.body);
    assert_eq!(app.count("case_ratings").await, 0);
}

/// A signed-in writer's account name is theirs to keep private too, though
/// they left no contact with the letter.
#[tokio::test]
async fn a_signed_in_writers_own_name_is_kept_out_of_publication() {
    let app = TestApp::new().await;
    let writer = citizen(&app, "named.writer").await;
    let res = writer
        .post(
            &app,
            "/api/v1/mailbox/letters",
            json!({
                "mailbox": "110000-CGW",
                "category": "complaint",
                "subject": "共享单车堵塞人行道",
                "body": "张三反映：小区门口人行道被共享单车堵死，轮椅无法通过。",
                "consent": true,
            }),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let number = res.json()["number"].as_str().unwrap().to_owned();
    let cgw = staff(
        &app,
        "cgw.named",
        dept(&app, "110000-CGW").await,
        &[Role::Handler],
    )
    .await;
    cgw.act(&app, &number, "take", json!({})).await;
    let res = cgw
        .act(
            &app,
            &number,
            "answer",
            json!({ "answer": "已通知运营企业清理。" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let draft = cgw
        .get(
            &app,
            &format!("/api/v1/mailbox/letters/{number}/publication"),
        )
        .await;
    let body = draft["texts"]["body"].as_str().unwrap().to_owned();
    assert!(!body.contains("张三"), "{body}");
    let publication = format!("/api/v1/mailbox/letters/{number}/publication");
    let texts =
        |body: &str| json!({ "subject": "共享单车堵塞人行道", "body": body, "answer": "已清理。" });
    let res = cgw
        .send(
            &app,
            axum::http::Method::PUT,
            &publication,
            texts("张三反映：人行道被堵。"),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "personal_data");
    let res = cgw
        .send(&app, axum::http::Method::PUT, &publication, texts(&body))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
}
