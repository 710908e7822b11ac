//! Petitions (信访): brought online by a resident or registered by staff for
//! a letter, a visit or a call; sent on to the agency it belongs to as the
//! same record; accepted, extended once, answered, reviewed and re-reviewed
//! on the calendar-day clocks, each notice a PDF; a matter closed by 复核
//! not accepted again; repeats and joint petitions linked; the petitioner
//! seen only by those handling it, supervisors and themselves, every view
//! audited.

use crate::common::casework::{citizen, dept, nth_citizen, staff, Caller};
use crate::common::{TestApp, TestResponse};
use axum::http::StatusCode;
use egov_identity::Role;
use egov_kernel::time::Timestamp;
use serde_json::{json, Value};

const MATTER: &str =
    "朝阳区幸福小区3号楼地下室自今年五月起长期积水，多次向物业反映均未处理，墙体已经发霉。";
const RETOLD: &str = "幸福小区3号楼地下室从五月开始长期积水，物业多次反映未处理，墙体发霉。";
const REQUEST: &str = "请求督促物业尽快排水并修复防水层";

/// Brings a petition online as `who` to the transport commission.
async fn petition_online(app: &TestApp, who: &Caller, matter: &str) -> TestResponse {
    app.post_form(
        "/petitions/new",
        Some(&who.0),
        &[
            ("csrf", &who.1),
            ("department", "110000-JTW"),
            ("category", "住房保障"),
            ("matter", matter),
            ("request", REQUEST),
            ("petitioners", "1"),
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

/// Moves the moment case `number` entered its state `days` days back.
async fn moved_back(app: &TestApp, number: &str, days: i64) {
    let past: Timestamp = egov_kernel::time::now() - chrono::Duration::days(days);
    app.db()
        .execute(
            egov_store::query("UPDATE cases SET state_entered_at = $1 WHERE number = $2")
                .bind(past)
                .bind(number.to_owned()),
        )
        .await
        .unwrap();
}

async fn case_of(app: &TestApp, who: &Caller, number: &str) -> Value {
    who.get(app, &format!("/api/v1/cases/{number}")).await
}

/// Asserts that the case is due `days` calendar days from now: the end of
/// that day, or a few days later where it falls on a rest day or a holiday
/// (the period then ends on the next working day).
fn assert_due_in(case: &Value, days: i64) {
    let due: Timestamp = case["due_at"].as_str().unwrap().parse().unwrap();
    let left = (due - egov_kernel::time::now()).num_days();
    assert!(
        (days..=days + 9).contains(&left),
        "due in {days} days, not {left}: {case}"
    );
}

async fn views(app: &TestApp, action: &str) -> i64 {
    app.count_where("audit_log", &format!("action = '{action}'"))
        .await
}

/// Fetches a notice as `who`: the PDF, or the refusal's status.
async fn notice(app: &TestApp, who: &Caller, number: &str, kind: &str) -> TestResponse {
    app.get_with(
        &format!("/petitions/{number}/notices/{kind}"),
        &[("cookie", &who.0)],
    )
    .await
}

fn assert_pdf(res: &TestResponse) {
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.header("content-type"), "application/pdf");
    assert!(res.body.starts_with("%PDF"), "a PDF");
}

#[tokio::test]
async fn an_online_petition_is_sent_on_accepted_answered_reviewed_and_closed_by_recheck() {
    let app = TestApp::new().await;
    let resident = citizen(&app, "petition.resident").await;
    let neighbour = nth_citizen(&app, "petition.neighbour", 1).await;
    let jtw = staff(
        &app,
        "jtw.petitions",
        dept(&app, "110000-JTW").await,
        &[Role::Handler],
    )
    .await;
    let zjw = staff(
        &app,
        "zjw.petitions",
        dept(&app, "110000-ZJW").await,
        &[Role::Handler],
    )
    .await;
    let supervisor = staff(
        &app,
        "city.supervisor",
        dept(&app, "110000-GOV").await,
        &[Role::Supervisor],
    )
    .await;

    // Too short a matter: the form again in Chinese, as typed; nothing stored.
    let res = petition_online(&app, &resident, "积水").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("信访事项应为"), "{}", res.body);
    assert_eq!(app.count("petitions").await, 0);
    assert_eq!(app.count("cases").await, 0);
    // Without the form's token: refused.
    let res = app
        .post_form(
            "/petitions/new",
            Some(&resident.0),
            &[("department", "110000-JTW"), ("matter", MATTER)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let number = number_of(&petition_online(&app, &resident, MATTER).await);
    let case = case_of(&app, &resident, &number).await;
    assert_eq!(case["state"], "registered");
    assert_eq!(case["data"]["channel"], "网上信访");
    assert!(case["data"].get("petitioner").is_none(), "kept apart");
    assert_due_in(&case, 15);

    // The petitioner and the handling agency see who brought it; another
    // resident and another agency do not; every view is audited.
    let record = format!("/api/v1/petitions/{number}");
    let seen = resident.get(&app, &record).await;
    assert_eq!(seen["petitioner"]["id_number"], "11010519491231002X");
    let seen = jtw.get(&app, &record).await;
    assert_eq!(seen["petitioner"]["phone"], "13800138000");
    assert_eq!(seen["channel"], "online");
    for outsider in [&neighbour, &zjw] {
        let res = app.get_with(&record, &[("cookie", &outsider.0)]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    }
    assert_eq!(views(&app, "petitions.petitioner_viewed").await, 2);

    // Sent on to the housing commission: the same record, its 15 days
    // afresh there; the sender no longer sees the petitioner.
    let res = jtw
        .act(
            &app,
            &number,
            "transfer",
            json!({ "department": "110000-ZJW", "reason": "住房保障事项由市住房城乡建设委办理" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let seen = zjw.get(&app, &record).await;
    assert_eq!(seen["number"], number.as_str());
    let res = app.get_with(&record, &[("cookie", &jtw.0)]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("petitions").await, 1, "one record");
    // The case page offers the record to those who may open it.
    let link = format!("href=\"/petitions/{number}\"");
    let page = app
        .get_with(&format!("/cases/{number}"), &[("cookie", &jtw.0)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(&link), "offered to the sender");
    let page = app
        .get_with(&format!("/cases/{number}"), &[("cookie", &zjw.0)])
        .await;
    assert!(page.body.contains(&link), "not offered to the handler");

    // Accepted, with its notice.
    let res = zjw
        .act(
            &app,
            &number,
            "accept",
            json!({ "reason": "属于本机关职责范围" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let case = case_of(&app, &resident, &number).await;
    assert_due_in(&case, 60);
    let printed = views(&app, "petitions.notice_printed").await;
    assert_pdf(&notice(&app, &resident, &number, "petition_accepted").await);
    assert_pdf(&notice(&app, &zjw, &number, "petition_accepted").await);
    assert_eq!(views(&app, "petitions.notice_printed").await, printed + 2);
    let res = notice(&app, &resident, &number, "petition_answered").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "not issued yet");
    let res = notice(&app, &neighbour, &number, "petition_accepted").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // Extended once, by 30 days, the reason told; not twice.
    let res = zjw
        .act(
            &app,
            &number,
            "extend",
            json!({ "reason": "需要现场勘查并委托检测" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let case = case_of(&app, &resident, &number).await;
    assert_due_in(&case, 90);
    let told = app
        .texts("SELECT CAST(params AS TEXT) FROM messages WHERE kind = 'deadline_extended'")
        .await;
    assert!(told.iter().any(|b| b.contains("现场勘查")), "{told:?}");
    let res = zjw
        .act(&app, &number, "extend", json!({ "reason": "再延一次" }))
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);

    // Answered; the petitioner asks for a review within 30 days, which a
    // handler may not decide and a supervisor does.
    let res = zjw
        .act(
            &app,
            &number,
            "answer",
            json!({ "opinion": "已责成物业于十日内完成排水并修复防水层，街道办事处负责督促。" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_pdf(&notice(&app, &resident, &number, "petition_answered").await);
    let res = resident
        .act(
            &app,
            &number,
            "request_review",
            json!({ "reason": "物业至今仍未排水" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let case = case_of(&app, &resident, &number).await;
    assert_due_in(&case, 30);
    let res = zjw
        .act(
            &app,
            &number,
            "decide_review",
            json!({ "opinion": "维持原处理意见。" }),
        )
        .await;
    assert!(res.status.is_client_error(), "{}", res.status);
    let res = supervisor
        .act(
            &app,
            &number,
            "decide_review",
            json!({ "opinion": "原处理意见正确，责成住房城乡建设委督促落实。" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // A re-review asked after its 30 days (and any rest days after them):
    // too late, nothing changed.
    moved_back(&app, &number, 40).await;
    let res = resident
        .act(
            &app,
            &number,
            "request_recheck",
            json!({ "reason": "仍不满意" }),
        )
        .await;
    res.assert_problem(StatusCode::CONFLICT, "too_late");
    assert_eq!(case_of(&app, &resident, &number).await["state"], "reviewed");
    moved_back(&app, &number, 3).await;
    let res = resident
        .act(
            &app,
            &number,
            "request_recheck",
            json!({ "reason": "仍不满意" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = supervisor
        .act(
            &app,
            &number,
            "decide_recheck",
            json!({ "opinion": "复查意见正确，予以维持。本复核意见为终结意见。" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        case_of(&app, &resident, &number).await["state"],
        "rechecked"
    );
    for kind in ["petition_reviewed", "petition_rechecked"] {
        assert_pdf(&notice(&app, &resident, &number, kind).await);
    }

    // The same matter, retold, is not accepted again: nothing stored.
    let cases = app.count("cases").await;
    let res = resident
        .post(
            &app,
            "/api/v1/petitions",
            json!({ "department": "110000-ZJW", "category": "住房保障", "matter": RETOLD, "request": REQUEST }),
        )
        .await;
    res.assert_problem(StatusCode::CONFLICT, "matter_closed");
    assert_eq!(app.count("cases").await, cases);
    // On the page: the form again with the message.
    let res = petition_online(&app, &resident, RETOLD).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("复核终结"), "{}", res.body);
    // Another matter is another petition.
    let res = resident
        .post(
            &app,
            "/api/v1/petitions",
            json!({ "department": "110000-JTW", "category": "交通运输", "matter": "小区门口公交站台被私家车长期占用，乘客只能在机动车道上候车。", "request": "请求清理占用并设置隔离设施" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.json()["links"], json!([]));
    let records = app.count("audit_log").await;
    assert_eq!(
        crate::common::verify_audit(&app).await,
        crate::common::intact(records)
    );
}

/// Registers a letter (or a visit, a call) as `who` at `department`.
async fn register(
    app: &TestApp,
    who: &Caller,
    department: &str,
    channel: &str,
    petitioner: Value,
    matter: &str,
) -> TestResponse {
    who.post(
        app,
        "/api/v1/petitions",
        json!({
            "department": department,
            "channel": channel,
            "category": "住房保障",
            "matter": matter,
            "request": REQUEST,
            "petitioner": petitioner,
        }),
    )
    .await
}

#[tokio::test]
async fn letters_visits_and_calls_are_registered_by_staff_and_repeats_linked() {
    let app = TestApp::new().await;
    let zjw = staff(
        &app,
        "zjw.registry",
        dept(&app, "110000-ZJW").await,
        &[Role::Handler],
    )
    .await;
    let jtw = staff(
        &app,
        "jtw.registry",
        dept(&app, "110000-JTW").await,
        &[Role::Handler],
    )
    .await;
    let supervisor = staff(
        &app,
        "city.watch",
        dept(&app, "110000-GOV").await,
        &[Role::Supervisor],
    )
    .await;
    let resident = citizen(&app, "petition.reader").await;
    let zhang = json!({ "name": "张三", "id_number": "110105194912310021", "address": "朝阳区幸福小区3号楼" });

    // A wrong ID number, no way to reach them, another agency's: refused,
    // nothing stored.
    let res = register(&app, &zjw, "110000-ZJW", "letter", zhang.clone(), MATTER).await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.body.contains("公民身份号码"), "{}", res.body);
    let res = register(
        &app,
        &zjw,
        "110000-ZJW",
        "letter",
        json!({ "name": "张三" }),
        MATTER,
    )
    .await;
    assert!(res.body.contains("电话或通讯地址"), "{}", res.body);
    let zhang = json!({ "name": "张三", "id_number": "11010519491231002X", "address": "朝阳区幸福小区3号楼" });
    let res = register(&app, &zjw, "110000-JTW", "letter", zhang.clone(), MATTER).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = register(&app, &zjw, "110000-ZJW", "online", zhang.clone(), MATTER).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(app.count("petitions").await, 0);

    // A letter, then the same person calls about the same matter (a
    // repeat), then a neighbour visits about it (joint).
    let res = register(&app, &zjw, "110000-ZJW", "letter", zhang.clone(), MATTER).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let first = res.json()["number"].as_str().unwrap().to_owned();
    let again =
        json!({ "name": "张三", "id_number": "11010519491231002X", "phone": "010-6512 3456" });
    let res = register(&app, &zjw, "110000-ZJW", "phone", again, RETOLD).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let second = res.json();
    assert_eq!(
        second["links"],
        json!([{ "number": first, "kind": "repeat" }])
    );
    let second = second["number"].as_str().unwrap().to_owned();
    let res = app
        .post_form(
            "/petitions/register",
            Some(&zjw.0),
            &[
                ("csrf", &zjw.1),
                ("department", "110000-ZJW"),
                ("channel", "visit"),
                ("category", "住房保障"),
                ("matter", RETOLD),
                ("request", REQUEST),
                ("petitioners", "6"),
                ("name", "李四"),
                ("phone", "13911112222"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let third = res
        .header("location")
        .strip_prefix("/petitions/")
        .and_then(|n| n.strip_suffix("?done=registered"))
        .unwrap()
        .to_owned();
    let page = app
        .get_with(
            &format!("/petitions/{third}?done=registered"),
            &[("cookie", &zjw.0)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&first) && page.body.contains(&second),
        "{}",
        page.body
    );
    assert!(page.body.contains("同一事项（其他信访人）"), "joint");
    assert!(
        page.body.contains("13911112222"),
        "the handler sees the petitioner whole"
    );
    let view = zjw.get(&app, &format!("/api/v1/petitions/{first}")).await;
    let linked: Vec<&str> = view["linked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["number"].as_str().unwrap())
        .collect();
    assert_eq!(linked.len(), 2, "{view}");
    assert!(linked.contains(&second.as_str()) && linked.contains(&third.as_str()));

    // The page's form shown again in Chinese when the contact is missing.
    let res = app
        .post_form(
            "/petitions/register",
            Some(&zjw.0),
            &[
                ("csrf", &zjw.1),
                ("department", "110000-ZJW"),
                ("channel", "visit"),
                ("category", "住房保障"),
                ("matter", MATTER),
                ("request", REQUEST),
                ("name", "王五"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("请留下信访人的电话或通讯地址"),
        "{}",
        res.body
    );
    assert!(res.body.contains("王五"), "kept as typed");
    assert_eq!(app.count("petitions").await, 3);

    // Lists: the agency's handler and the city's supervisor see them; the
    // other agency sees none of them; a resident gets the way to petition.
    let list = zjw.get(&app, "/api/v1/petitions").await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert!(list[0].get("petitioner").is_none());
    assert_eq!(
        supervisor
            .get(&app, "/api/v1/petitions")
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(jtw.get(&app, "/api/v1/petitions").await, json!([]));
    let res = app
        .get_with("/api/v1/petitions", &[("cookie", &resident.0)])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let page = app.get_with("/petitions", &[("cookie", &resident.0)]).await;
    assert!(page.body.contains("/petitions/new"), "{}", page.body);
    assert!(!page.body.contains(&first));
    let page = app.get_with("/petitions", &[("cookie", &zjw.0)]).await;
    assert!(page.body.contains(&first) && page.body.contains("/petitions/register"));
    let res = app
        .get_with(&format!("/petitions/{first}"), &[("cookie", &jtw.0)])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // Refused, with where the matter belongs: the notice is addressed to
    // the petitioner; there is no notice of acceptance.
    let res = zjw
        .act(
            &app,
            &first,
            "refuse",
            json!({ "reason": "该事项已进入诉讼程序", "route": "请通过人民法院依法解决" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_pdf(&notice(&app, &zjw, &first, "petition_refused").await);
    assert_eq!(
        notice(&app, &zjw, &first, "petition_accepted").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        notice(&app, &zjw, &first, "no_such_notice").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(case_of(&app, &zjw, &first).await["state"], "refused");

    // Answered, and no review asked within 30 days: the platform concludes
    // it, once.
    for (action, fields) in [
        ("accept", json!({ "reason": "属于本机关职责范围" })),
        (
            "answer",
            json!({ "opinion": "已责成物业于十日内完成排水并修复防水层。" }),
        ),
    ] {
        let res = zjw.act(&app, &second, action, fields).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    let processes = egov_cases::Processes::default();
    let calendar = egov_calendar::CalendarCache::default();
    let ctx = egov_kernel::Context::system();
    let sweep =
        || egov_petitions::sweep::conclude_undisputed(app.db(), &ctx, &processes, &calendar);
    assert_eq!(sweep().await.unwrap(), 0, "still in time");
    moved_back(&app, &second, 40).await;
    assert_eq!(sweep().await.unwrap(), 1);
    assert_eq!(sweep().await.unwrap(), 0, "once");
    assert_eq!(case_of(&app, &zjw, &second).await["state"], "concluded");
}
