//! Government information disclosure: a request filed on the page, asked
//! to be clarified once within 7 working days, clarified, a third party
//! consulted with the clock stopped, the time extended once, answered with
//! what its kind must say, counted in the annual report's table; a
//! correction asked or answered after its time refused, and a request not
//! clarified in time given up; documents published, found, withdrawn with
//! the history kept.

use crate::common::casework::{citizen, dept, staff, Caller};
use crate::common::{enc, TestApp, TestResponse};
use axum::http::StatusCode;
use egov_identity::Role;
use egov_kernel::time::Timestamp;
use serde_json::{json, Value};

const ASKED: &str = "2025年本市城市更新项目的立项批复文件及其文号";

/// Files a request on the page as `who`, to the planning commission.
async fn file(app: &TestApp, who: &Caller, information: &str) -> TestResponse {
    app.post_form(
        "/disclosure/apply",
        Some(&who.0),
        &[
            ("csrf", &who.1),
            ("department", "110000-GHZRZYW"),
            ("information", information),
            ("applicant_kind", "person"),
            ("form", "electronic"),
            ("delivery", "online"),
        ],
    )
    .await
}

fn number_of(res: &TestResponse) -> String {
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let to = res.header("location");
    to.strip_prefix("/cases/")
        .and_then(|n| n.strip_suffix("?done=opened"))
        .unwrap_or_else(|| panic!("to the case: {to}"))
        .to_owned()
}

/// Moves the moment case `number` entered its state `days` calendar days
/// back, and (`opened`) its opening too.
async fn moved_back(app: &TestApp, number: &str, days: i64, opened: bool) {
    let past: Timestamp = egov_kernel::time::now() - chrono::Duration::days(days);
    let sql = match opened {
        true => "UPDATE cases SET state_entered_at = $1, created_at = $1 WHERE number = $2",
        false => "UPDATE cases SET state_entered_at = $1 WHERE number = $2",
    };
    app.db()
        .execute(egov_store::query(sql).bind(past).bind(number.to_owned()))
        .await
        .unwrap();
}

async fn state_of(app: &TestApp, who: &Caller, number: &str) -> Value {
    who.get(app, &format!("/api/v1/cases/{number}")).await
}

/// The counts of the row of this year's table whose label starts so.
fn row(table: &Value, label: &str) -> Vec<u64> {
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"].as_str().unwrap().starts_with(label))
        .and_then(|r| r["counts"].as_array().cloned())
        .unwrap_or_else(|| panic!("row {label}: {table}"))
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

fn this_year() -> i32 {
    chrono::Datelike::year(&egov_kernel::time::beijing_today())
}

#[tokio::test]
async fn a_request_is_clarified_once_consulted_on_extended_answered_and_counted() {
    let app = TestApp::new().await;
    let citizen = citizen(&app, "disclosure.applicant").await;
    let ghz = staff(
        &app,
        "ghz.disclosure",
        dept(&app, "110000-GHZRZYW").await,
        &[Role::Handler],
    )
    .await;
    let jtw = staff(
        &app,
        "jtw.disclosure",
        dept(&app, "110000-JTW").await,
        &[Role::Handler],
    )
    .await;

    // Nothing identifiable: the form again with the message, nothing stored.
    let res = file(&app, &citizen, "申请公开贵单位所有信息").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("没有指向具体的政府信息"), "{}", res.body);
    assert!(res.body.contains("贵单位所有信息"), "kept as typed");
    assert_eq!(app.count("cases").await, 0);
    // Without the form's token: refused.
    let res = app
        .post_form(
            "/disclosure/apply",
            Some(&citizen.0),
            &[("department", "110000-GHZRZYW"), ("information", ASKED)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Nobody signed in is sent to sign in.
    let res = app.get("/disclosure/apply").await;
    assert!(res.status.is_redirection(), "{}", res.status);

    let number = number_of(&file(&app, &citizen, ASKED).await);
    let case = state_of(&app, &citizen, &number).await;
    assert_eq!(case["state"], "received");
    assert_eq!(case["data"]["applicant_kind"], "自然人");
    let due_at_filing = case["due_at"].as_str().unwrap().to_owned();

    // Another department's handler may do nothing with it.
    let res = jtw
        .post(
            &app,
            &format!("/api/v1/cases/{number}/actions"),
            json!({ "action": "request_clarification", "version": case["version"], "fields": { "points": ["x"] } }),
        )
        .await;
    assert!(
        matches!(res.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "{}",
        res.status
    );

    // One correction notice, within 7 working days.
    let res = ghz
        .act(
            &app,
            &number,
            "request_clarification",
            json!({ "points": ["请写明项目名称或所在区"] }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        state_of(&app, &citizen, &number).await["state"],
        "correction"
    );
    let told = app
        .count_where("messages", "kind = 'clarification_requested'")
        .await;
    assert_eq!(told, 1, "the applicant is told");
    let said = app
        .texts("SELECT params FROM messages WHERE kind = 'clarification_requested'")
        .await
        .pop()
        .unwrap();
    let said: Value = serde_json::from_str(&said).unwrap();
    assert!(
        said["reply_by"].as_str().is_some_and(|d| d.len() == 10),
        "told the date to clarify by: {said}"
    );
    let page = app
        .get_with(&format!("/cases/{number}"), &[("cookie", &citizen.0)])
        .await;
    assert!(page.body.contains("id=\"until-clarify\""), "{}", page.body);
    // The clarification itself must say something.
    let res = citizen
        .act(&app, &number, "clarify", json!({ "clarification": "朝阳" }))
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = citizen
        .act(
            &app,
            &number,
            "clarify",
            json!({ "clarification": "朝阳区劲松街道危旧楼房改建项目的立项批复" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let case = state_of(&app, &citizen, &number).await;
    assert_eq!(case["state"], "received");
    // A second notice: refused, nothing changed.
    let res = ghz
        .act(
            &app,
            &number,
            "request_clarification",
            json!({ "points": ["再补充"] }),
        )
        .await;
    res.assert_problem(StatusCode::CONFLICT, "action_not_allowed");
    assert!(res.body.contains("只能执行一次"), "{}", res.body);
    assert_eq!(
        state_of(&app, &citizen, &number).await["version"],
        case["version"]
    );

    // A third party's view: the clock stands still meanwhile.
    let res = ghz
        .act(
            &app,
            &number,
            "consult",
            json!({ "third_party": "项目实施主体", "matter": "公开立项批复是否涉及商业秘密" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let paused = state_of(&app, &citizen, &number).await;
    assert_eq!(paused["state"], "consultation");
    assert!(paused["due_at"].is_null(), "{paused}");
    let res = ghz
        .act(&app, &number, "consulted", json!({ "opinion": "同意公开" }))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // Extended once, with the approval recorded and the applicant told.
    let extend = json!({ "reason": "涉及多个项目，需调取档案", "approved_by": "主任 张某" });
    let res = ghz.act(&app, &number, "extend", extend.clone()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let extended = state_of(&app, &citizen, &number).await;
    assert!(
        extended["due_at"].as_str().unwrap() > due_at_filing.as_str(),
        "{extended}"
    );
    let res = ghz.act(&app, &number, "extend", extend).await;
    res.assert_problem(StatusCode::CONFLICT, "action_not_allowed");
    assert_eq!(
        app.count_where("messages", "kind = 'deadline_extended'")
            .await,
        1
    );

    // "Does not exist" records the search made; without it, refused.
    let res = ghz
        .act(
            &app,
            &number,
            "answer_not_exist",
            json!({ "ground": "本机关不掌握相关政府信息" }),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = ghz
        .act(
            &app,
            &number,
            "answer_not_exist",
            json!({
                "ground": "本机关不掌握相关政府信息",
                "search": "检索了本委2024至2026年收文、发文登记和档案系统，以项目名称和所在街道为关键词，未找到该批复"
            }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let answered = state_of(&app, &citizen, &number).await;
    assert_eq!(answered["state"], "answered");
    // The applicant sees it on the case page, in words.
    let page = app
        .get_with(&format!("/cases/{number}"), &[("cookie", &citizen.0)])
        .await;
    assert!(page.body.contains("答复：信息不存在"), "{}", page.body);

    // Counted in this year's table: received, and 无法提供 · 本机关不掌握.
    let year = this_year();
    let table: Value = app
        .get(&format!("/api/v1/disclosure/report/{year}"))
        .await
        .json();
    assert_eq!(row(&table, "一、"), [1, 0, 0, 0, 0, 0]);
    assert_eq!(row(&table, "1. 本机关不掌握"), [1, 0, 0, 0, 0, 0]);
    assert_eq!(row(&table, "（七）"), [1, 0, 0, 0, 0, 0]);
    assert_eq!(row(&table, "四、"), [0, 0, 0, 0, 0, 0]);
    let other: Value = app
        .get(&format!(
            "/api/v1/disclosure/report/{year}?department=110000-JTW"
        ))
        .await
        .json();
    assert_eq!(row(&other, "一、"), [0, 0, 0, 0, 0, 0], "another agency's");
    let csv = app
        .get(&format!("/disclosure/report?year={year}&format=csv"))
        .await;
    assert!(
        csv.body
            .contains("\"1. 本机关不掌握相关政府信息\",1,0,0,0,0,0,1"),
        "{}",
        csv.body
    );
    let page = app.get(&format!("/disclosure/report?year={year}")).await;
    assert!(page.body.contains("法人或其他组织"), "{}", page.body);
    app.get("/api/v1/disclosure/report/1999")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
    app.get(&format!("/api/v1/disclosure/report/{year}?department=NOPE"))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_correction_out_of_time_is_refused_and_a_request_not_clarified_is_given_up() {
    let app = TestApp::new().await;
    let citizen = citizen(&app, "disclosure.late").await;
    let ghz = staff(
        &app,
        "ghz.late",
        dept(&app, "110000-GHZRZYW").await,
        &[Role::Handler],
    )
    .await;
    // Received a month ago: too late to ask for a clarification.
    let late = number_of(&file(&app, &citizen, ASKED).await);
    moved_back(&app, &late, 30, true).await;
    let res = ghz
        .act(
            &app,
            &late,
            "request_clarification",
            json!({ "points": ["请写明项目名称"] }),
        )
        .await;
    res.assert_problem(StatusCode::CONFLICT, "too_late");
    assert_eq!(state_of(&app, &citizen, &late).await["state"], "received");

    // Asked in time, but not clarified within the time given.
    let number = number_of(&file(&app, &citizen, "关于本市2025年老旧小区综合整治的计划文件").await);
    let res = ghz
        .act(
            &app,
            &number,
            "request_clarification",
            json!({ "points": ["请写明所在区"] }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let processes = egov_cases::Processes::default();
    let calendar = egov_calendar::CalendarCache::default();
    let ctx = egov_kernel::Context::system();
    let sweep =
        || egov_disclosure::sweep::give_up_unclarified(app.db(), &ctx, &processes, &calendar);
    assert_eq!(sweep().await.unwrap(), 0, "still in time");
    moved_back(&app, &number, 40, false).await;
    let res = citizen
        .act(
            &app,
            &number,
            "clarify",
            json!({ "clarification": "朝阳区劲松街道的老旧小区综合整治计划" }),
        )
        .await;
    res.assert_problem(StatusCode::CONFLICT, "too_late");
    assert_eq!(
        state_of(&app, &citizen, &number).await["state"],
        "correction"
    );
    assert_eq!(sweep().await.unwrap(), 1);
    assert_eq!(sweep().await.unwrap(), 0, "once");
    assert_eq!(
        state_of(&app, &citizen, &number).await["state"],
        "abandoned"
    );
    let table: Value = app
        .get(&format!("/api/v1/disclosure/report/{}", this_year()))
        .await
        .json();
    // The late one was received a month ago: this year, or last in January.
    let late_year = (egov_kernel::time::now() - chrono::Duration::days(30))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let both = chrono::Datelike::year(&late_year) == this_year();
    assert_eq!(row(&table, "一、")[0], if both { 2 } else { 1 });
    assert_eq!(row(&table, "二、")[0], if both { 0 } else { 1 });
    assert_eq!(
        row(&table, "1. 申请人无正当理由逾期不补正"),
        [1, 0, 0, 0, 0, 0]
    );
    assert_eq!(
        row(&table, "四、"),
        [1, 0, 0, 0, 0, 0],
        "the late one is open"
    );
}

#[tokio::test]
async fn documents_are_published_found_and_withdrawn_with_their_history_kept() {
    let app = TestApp::new().await;
    let jtw = staff(
        &app,
        "jtw.documents",
        dept(&app, "110000-JTW").await,
        &[Role::Handler],
    )
    .await;
    let ghz = staff(
        &app,
        "ghz.documents",
        dept(&app, "110000-GHZRZYW").await,
        &[Role::Handler],
    )
    .await;
    let citizen = citizen(&app, "documents.reader").await;
    let doc = json!({
        "department": "110000-JTW",
        "title": "关于优化早高峰公交大站快车线路的通知",
        "doc_number": "京交发〔2026〕31号",
        "issued_on": "2026-03-05",
        "category": "plans",
        "body": "自下月起，工作日早高峰在回龙观至西二旗方向增开大站快车，发车间隔约八分钟。"
    });
    let publish = |who: &Caller, body: Value| {
        let (app, who) = (&app, who.clone());
        async move { who.post(app, "/api/v1/disclosure/documents", body).await }
    };
    // Not theirs to publish for; a citizen neither.
    publish(&ghz, doc.clone())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    publish(&citizen, doc.clone())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let mut bad = doc.clone();
    bad["doc_number"] = json!("京交发〔2026〕31");
    let res = publish(&jtw, bad).await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.body.contains("文号"), "{}", res.body);
    assert_eq!(app.count("disclosure_documents").await, 0);
    let res = publish(&jtw, doc.clone()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.json()["id"].as_i64().unwrap();
    publish(&jtw, doc.clone())
        .await
        .assert_problem(StatusCode::CONFLICT, "already_exists");

    // Listed and found.
    let list: Value = app.get("/api/v1/disclosure/documents").await.json();
    assert_eq!(list["total"], 1);
    let found = app.get(&format!("/disclosure?q={}", enc("大站快车"))).await;
    assert!(
        found.body.contains(&format!("/disclosure/documents/{id}")),
        "{}",
        found.body
    );
    let none = app.get(&format!("/disclosure?q={}", enc("垃圾分类"))).await;
    assert!(!none.body.contains(&format!("/disclosure/documents/{id}")));

    // Withdrawn by its department only, with a reason.
    let withdrawal = format!("/api/v1/disclosure/documents/{id}/withdrawal");
    ghz.post(&app, &withdrawal, json!({ "reason": "内容有误" }))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    jtw.post(&app, &withdrawal, json!({ "reason": " " }))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // From its page, as a handler does it.
    let page = app
        .get_with(
            &format!("/disclosure/documents/{id}"),
            &[("cookie", &jtw.0)],
        )
        .await;
    assert!(page.body.contains("id=\"withdraw-form\""), "{}", page.body);
    let res = app
        .post_form(
            &format!("/disclosure/documents/{id}/withdraw"),
            Some(&jtw.0),
            &[("csrf", &jtw.1), ("reason", "线路调整方案已重新发布")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    jtw.post(&app, &withdrawal, json!({ "reason": "再撤一次" }))
        .await
        .assert_problem(StatusCode::CONFLICT, "withdrawn");
    // Off the list and the search; its record and history stay.
    let list: Value = app.get("/api/v1/disclosure/documents").await.json();
    assert_eq!(list["total"], 0);
    let found = app.get(&format!("/disclosure?q={}", enc("大站快车"))).await;
    assert!(!found.body.contains(&format!("/disclosure/documents/{id}")));
    let shown: Value = app
        .get(&format!("/api/v1/disclosure/documents/{id}"))
        .await
        .json();
    assert!(shown["body"].is_null(), "{shown}");
    assert_eq!(shown["withdrawn_reason"], "线路调整方案已重新发布");
    let page = app.get(&format!("/disclosure/documents/{id}")).await;
    assert!(
        page.body.contains("线路调整方案已重新发布"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("发车间隔约八分钟"),
        "the text is not shown"
    );
    app.audit_linked().await;
    assert_eq!(
        app.count_where("audit_log", "action LIKE 'disclosure.document_%'")
            .await,
        2
    );
}

#[tokio::test]
async fn the_publication_form_shows_a_fault_again_in_chinese() {
    let app = TestApp::new().await;
    let jtw = staff(
        &app,
        "jtw.form",
        dept(&app, "110000-JTW").await,
        &[Role::Handler],
    )
    .await;
    let citizen = citizen(&app, "form.citizen").await;
    let res = app
        .get_with("/disclosure/publish", &[("cookie", &citizen.0)])
        .await;
    assert!(
        matches!(res.status, StatusCode::FORBIDDEN | StatusCode::SEE_OTHER),
        "{}",
        res.status
    );
    let fields = [
        ("csrf", jtw.1.as_str()),
        ("department", "110000-JTW"),
        ("title", "2026年交通综合治理行动计划"),
        ("doc_number", ""),
        ("issued_on", "2999-01-01"),
        ("category", "plans"),
        ("body", "为缓解交通拥堵，制定本行动计划，主要任务如下。"),
    ];
    let res = app
        .post_form("/disclosure/publish", Some(&jtw.0), &fields)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("不晚于今天"), "{}", res.body);
    assert!(
        res.body.contains("2026年交通综合治理行动计划"),
        "kept as typed"
    );
    assert_eq!(app.count("disclosure_documents").await, 0);
    let mut fields = fields.to_vec();
    fields[4] = ("issued_on", "2026-02-20");
    let res = app
        .post_form("/disclosure/publish", Some(&jtw.0), &fields)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app.get(res.header("location")).await;
    assert!(page.body.contains("2026年交通综合治理行动计划"));
}

#[tokio::test]
async fn the_demonstration_documents_are_published_one_withdrawn() {
    let app = TestApp::new().await;
    let n = egov_disclosure::demo::load(app.db()).await.unwrap();
    assert!(n >= 10, "{n}");
    assert_eq!(
        egov_disclosure::demo::load(app.db()).await.unwrap(),
        0,
        "once"
    );
    let list: Value = app
        .get("/api/v1/disclosure/documents?limit=100")
        .await
        .json();
    assert_eq!(list["total"], (n - 1) as i64);
    assert_eq!(list["documents"].as_array().unwrap().len(), n - 1);
    let found = app.get(&format!("/disclosure?q={}", enc("防汛"))).await;
    assert!(found.body.contains("汛期防汛工作安排"), "{}", found.body);
}
