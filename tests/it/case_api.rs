//! Cases through /api/v1, the way the workbench and the citizen's pages
//! drive them: a city-management report dispatched, returned for rework,
//! transferred and closed; comments and files with what the applicant may
//! see; a stale version; a bad rating and its follow-up; electronic
//! supervision raising each warning and card once; a supervision order and
//! its answer; metrics; provisional deadlines recomputed when a year loads.

use crate::common;

use axum::http::{Method, StatusCode};
use common::casework::{backdate, citizen, dept, multipart, staff, Caller};
use common::{TestApp, TestResponse};
use egov_identity::Role;
use serde_json::json;

async fn upload(
    app: &TestApp,
    who: &Caller,
    number: &str,
    name: &str,
    bytes: &[u8],
    internal: bool,
) -> TestResponse {
    let (ct, body) = multipart(name, bytes, internal);
    app.send(
        Method::POST,
        &format!("/api/v1/cases/{number}/attachments"),
        &[
            ("cookie", &who.0),
            ("x-csrf-token", &who.1),
            ("content-type", &ct),
        ],
        body,
    )
    .await
}

#[tokio::test]
async fn a_city_report_is_dispatched_reworked_transferred_closed_and_rated() {
    let app = TestApp::new().await;
    let centre = dept(&app, "110000-CGW").await;
    let scj = dept(&app, "110105-SCJGJ").await;
    let gaj = dept(&app, "110105-GAJ").await;
    let dispatcher = staff(&app, "dispatch.li", centre, &[Role::Dispatcher]).await;
    let handler = staff(&app, "handler.wang", scj, &[Role::Handler]).await;
    let police = staff(&app, "handler.zhao", gaj, &[Role::Handler]).await;
    let resident = citizen(&app, "zhang.san").await;

    // Bad input first: a form missing its description changes nothing.
    let res = resident
        .post(
            &app,
            "/api/v1/cases",
            json!({"process": "city_grid_case",
            "department": "110000-CGW", "title": "井盖缺失", "data": {"category": "部件/井盖"}}),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(
        res.json()["detail"]
            .as_str()
            .unwrap()
            .contains("/description"),
        "{}",
        res.body
    );
    assert_eq!(app.count("cases").await, 0);

    let res = resident
        .post(
            &app,
            "/api/v1/cases",
            json!({"process": "city_grid_case",
            "department": "110000-CGW", "title": "井盖缺失",
            "data": {"category": "部件/井盖", "description": "东直门内大街 10 号门前井盖缺失"},
            "location": {"lat": 39.9405, "lon": 116.4272, "address": "东直门内大街10号"}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let case = res.json();
    let number = case["number"].as_str().unwrap().to_owned();
    assert_eq!(case["state"], "reported");
    assert_eq!(case["location"]["address"], "东直门内大街10号");
    assert!(case["due_at"].is_string(), "2 working hours to register");
    assert_eq!(case["actions"][0]["id"], "withdraw", "{}", case["actions"]);

    // The dispatcher's task list has it; the handler's does not yet.
    let tasks = dispatcher.get(&app, "/api/v1/cases?queue=tasks").await;
    assert_eq!(tasks["cases"][0]["number"], number.as_str());
    let tasks = handler.get(&app, "/api/v1/cases").await;
    assert_eq!(tasks["cases"].as_array().unwrap().len(), 0);
    // Not theirs to register.
    handler
        .post(
            &app,
            &format!("/api/v1/cases/{number}/actions"),
            json!({"action": "register", "version": 1}),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    assert_eq!(
        dispatcher
            .act(&app, &number, "register", json!({}))
            .await
            .status,
        StatusCode::OK
    );
    // 派遣 names an existing department.
    dispatcher
        .act(
            &app,
            &number,
            "dispatch",
            json!({"department": "110105-NONE"}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = dispatcher
        .act(
            &app,
            &number,
            "dispatch",
            json!({"department": "110105-SCJGJ"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["handling_department"], "110105-SCJGJ");
    assert_eq!(res.json()["state"], "handling");

    // The handler sees it now, with its actions.
    let tasks = handler.get(&app, "/api/v1/cases").await;
    assert_eq!(tasks["cases"][0]["number"], number.as_str());

    // Two people with the same version: one wins, the other gets a conflict.
    let seen = handler.get(&app, &format!("/api/v1/cases/{number}")).await["version"].clone();
    let first = handler
        .post(
            &app,
            &format!("/api/v1/cases/{number}/actions"),
            json!({"action": "report_done", "version": seen, "fields": {"result": "已补装井盖"}}),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let events = app.count("case_events").await;
    let second = handler
        .post(
            &app,
            &format!("/api/v1/cases/{number}/actions"),
            json!({"action": "report_done", "version": seen, "fields": {"result": "重复提交"}}),
        )
        .await;
    second.assert_problem(StatusCode::CONFLICT, "version_conflict");
    assert_eq!(app.count("case_events").await, events, "nothing changed");

    // The on-site check fails: 返工, with a fresh deadline.
    let res = dispatcher
        .act(&app, &number, "rework", json!({"reason": "井盖型号不符"}))
        .await;
    assert_eq!(res.json()["state"], "handling");
    // 转办 to the police, who now handle it; the market regulator no longer may.
    let res = dispatcher
        .act(
            &app,
            &number,
            "transfer",
            json!({"department": "110105-GAJ", "reason": "涉及占道"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["handling_department"], "110105-GAJ");
    let version = police.get(&app, &format!("/api/v1/cases/{number}")).await["version"].clone();
    handler
        .post(
            &app,
            &format!("/api/v1/cases/{number}/actions"),
            json!({"action": "report_done", "version": version, "fields": {"result": "x"}}),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        police
            .act(&app, &number, "report_done", json!({"result": "已处置"}))
            .await
            .status,
        StatusCode::OK
    );

    // Comments and files: internal ones stay with staff.
    police
        .post(
            &app,
            &format!("/api/v1/cases/{number}/comments"),
            json!({"body": "内部：已通知养护单位", "internal": true}),
        )
        .await;
    police
        .post(
            &app,
            &format!("/api/v1/cases/{number}/comments"),
            json!({"body": "已安排人员处理"}),
        )
        .await;
    let res = upload(
        &app,
        &police,
        &number,
        "现场照片.png",
        &egov_cases::attachments::samples::png(),
        true,
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = upload(
        &app,
        &resident,
        &number,
        "补充说明.pdf",
        &egov_cases::attachments::samples::pdf("补充说明", b""),
        false,
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let href = res.json()["href"].as_str().unwrap().to_owned();
    upload(&app, &resident, &number, "病毒.pdf", b"MZ\x90\x00", false)
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    upload(
        &app,
        &resident,
        &number,
        "照片.png",
        &egov_cases::attachments::samples::pdf("照片", b""),
        false,
    )
    .await
    .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    // A file that only starts like a PDF is refused too.
    upload(
        &app,
        &resident,
        &number,
        "伪装.pdf",
        b"%PDF-1.7 test",
        false,
    )
    .await
    .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let big = [b"%PDF-".as_slice(), &vec![b'x'; 11 * 1024 * 1024]].concat();
    upload(&app, &resident, &number, "大文件.pdf", &big, false)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(
        app.count("case_attachments").await,
        2,
        "refused files are not recorded"
    );

    let seen_by_resident = resident.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(seen_by_resident["comments"].as_array().unwrap().len(), 1);
    assert_eq!(seen_by_resident["attachments"].as_array().unwrap().len(), 1);
    let seen_by_staff = police.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(seen_by_staff["comments"].as_array().unwrap().len(), 2);
    assert_eq!(seen_by_staff["attachments"].as_array().unwrap().len(), 2);
    let file = app.get_with(&href, &[("cookie", &resident.0)]).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.header("content-type"), "application/pdf");
    assert_eq!(
        file.body.as_bytes(),
        &egov_cases::attachments::samples::pdf("补充说明", b"")[..]
    );
    // Anyone else (here an enterprise) cannot even learn that the case exists.
    let pw = app.enterprise("ent.rep").await;
    let (cookie, csrf) = app.sign_in("ent.rep", &pw).await;
    let stranger = Caller(cookie, csrf);
    let res = app
        .get_with(
            &format!("/api/v1/cases/{number}"),
            &[("cookie", &stranger.0)],
        )
        .await;
    res.assert_problem(StatusCode::NOT_FOUND, "not_found");
    let res = app.get_with(&href, &[("cookie", &stranger.0)]).await;
    res.assert_problem(StatusCode::NOT_FOUND, "not_found");

    // Rating waits for the end.
    resident
        .post(
            &app,
            &format!("/api/v1/cases/{number}/rating"),
            json!({"grade": 5}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = dispatcher.act(&app, &number, "close", json!({})).await;
    assert_eq!(res.json()["state"], "closed");
    assert!(res.json()["closed_at"].is_string());
    assert!(res.json()["actions"].as_array().unwrap().is_empty());

    // A bad rating needs a reason, and opens a tracked follow-up.
    resident
        .post(
            &app,
            &format!("/api/v1/cases/{number}/rating"),
            json!({"grade": 1}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = resident
        .post(
            &app,
            &format!("/api/v1/cases/{number}/rating"),
            json!({"grade": 2, "comment": "处理太慢"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    resident
        .post(
            &app,
            &format!("/api/v1/cases/{number}/rating"),
            json!({"grade": 5}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let rated = police.get(&app, &format!("/api/v1/cases/{number}")).await;
    let followup = rated["rating"]["followup_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let tasks = police.get(&app, "/api/v1/cases").await;
    let f = tasks["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == followup.as_str())
        .expect("follow-up in the police's tasks");
    assert_eq!(f["process_id"], "rating_followup");
    assert_eq!(f["state"], "callback");
    assert!(f["due_at"].is_string());

    // Metrics: one received and closed grid case for the police, rated 2.
    let m = police
        .get(&app, "/api/v1/metrics/cases?process=city_grid_case")
        .await;
    let line = &m["lines"][0];
    assert_eq!(line["department"], "110105-GAJ");
    assert_eq!(line["received"], 1);
    assert_eq!(line["closed"], 1);
    assert_eq!(line["ratings"], 1);
    assert_eq!(line["satisfaction"], 0.0);
    assert_eq!(line["mean_grade"], 2.0);
    resident_cannot_read_metrics(&app, &resident).await;

    // The same figures in the indicators engine, with no hand entry; the
    // satisfaction rate is a public indicator.
    let cal = egov_calendar::load_calendar(app.db()).await.unwrap();
    let month = egov_indicators::Period::month_of(egov_kernel::time::beijing_today());
    let first = egov_cases::figures::publish(app.db(), &cal, month)
        .await
        .unwrap();
    assert!(first.imported >= 6, "{first:?}");
    let again = egov_cases::figures::publish(app.db(), &cal, month)
        .await
        .unwrap();
    assert_eq!((again.imported, again.updated), (0, 0), "{again:?}");
    let rated = police
        .get(
            &app,
            &format!(
                "/api/v1/indicators/dataValueSets?dataElement=egov.cases_rated\
                 &orgUnit=110105-GAJ&period={month}"
            ),
        )
        .await;
    assert_eq!(rated["dataValues"][0]["value"], "1", "{rated}");
    let rate = app
        .get(&format!(
            "/api/v1/indicators/egov.satisfaction_rate/data?area=110105-GAJ&from={month}&to={month}"
        ))
        .await;
    assert_eq!(rate.status, StatusCode::OK, "{}", rate.body);
    assert_eq!(rate.json()["data"][0]["value"], 0.0);
}

async fn resident_cannot_read_metrics(app: &TestApp, resident: &Caller) {
    let res = app
        .get_with("/api/v1/metrics/cases", &[("cookie", &resident.0)])
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn supervision_raises_each_alert_once_and_orders_are_answered() {
    let app = TestApp::new().await;
    let scj = dept(&app, "110105-SCJGJ").await;
    let gaj = dept(&app, "110105-GAJ").await;
    let handler = staff(&app, "handler.wang", scj, &[Role::Handler]).await;
    let other = staff(&app, "handler.zhao", gaj, &[Role::Handler]).await;
    let supervisor = staff(&app, "jiancha.chen", scj, &[Role::Supervisor]).await;
    let resident = citizen(&app, "zhang.san").await;
    let res = resident
        .post(
            &app,
            "/api/v1/cases",
            json!({"process": "administrative_license",
            "department": "110105-SCJGJ", "title": "食品经营许可"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let number = res.json()["number"].as_str().unwrap().to_owned();

    // Nothing is due yet.
    let now = egov_kernel::time::now();
    let r = egov_cases::supervision::scan(app.db(), "node-a", now, 10)
        .await
        .unwrap();
    assert_eq!(r.raised(), 0);

    backdate(&app, &number).await;
    let audit_before = app.count("audit_log").await;
    let r = egov_cases::supervision::scan(app.db(), "node-a", egov_kernel::time::now(), 10)
        .await
        .unwrap();
    assert_eq!((r.warnings, r.yellow_cards, r.red_cards), (1, 1, 1));
    assert_eq!(
        app.count("audit_log").await,
        audit_before + 3,
        "each alert audited"
    );
    let r = egov_cases::supervision::scan(app.db(), "node-b", egov_kernel::time::now(), 10)
        .await
        .unwrap();
    assert_eq!(r.raised(), 0, "raised once");
    assert_eq!(app.count("supervision_alerts").await, 3);

    let case = handler.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["alert"], "red");
    assert_eq!(case["overdue"], true);

    // The board: only supervisors; the department shows its red card.
    let res = app
        .get_with("/api/v1/supervision/board", &[("cookie", &handler.0)])
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let board = supervisor.get(&app, "/api/v1/supervision/board").await;
    let line = &board["lines"][0];
    assert_eq!(line["department"], "110105-SCJGJ");
    assert_eq!(line["red_cards"], 1);
    assert_eq!(board["cases"][0]["number"], number.as_str());

    // 督办: the supervisor orders; another department may not answer; the
    // handling department answers once.
    handler
        .post(
            &app,
            &format!("/api/v1/cases/{number}/orders"),
            json!({"body": "请立即办理"}),
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = supervisor
        .post(
            &app,
            &format!("/api/v1/cases/{number}/orders"),
            json!({"body": "请于三个工作日内办结并说明超期原因"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let order = res.json();
    assert_eq!(order["department"], "110105-SCJGJ");
    assert_eq!(order["status"], "open");
    let answer_path = format!("/api/v1/orders/{}/answer", order["id"]);
    other
        .post(&app, &answer_path, json!({"answer": "不是我们"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = handler
        .post(&app, &answer_path, json!({"answer": "已受理，材料审查中"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["status"], "answered");
    handler
        .post(&app, &answer_path, json!({"answer": "再答一次"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let case = handler.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["orders"][0]["answer"], "已受理，材料审查中");
    // The applicant sees neither the order nor internal notes.
    let case = resident.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert!(case["orders"].as_array().unwrap().is_empty());

    // Acting starts a new step with a fresh clock and no alert.
    let res = handler.act(&app, &number, "accept", json!({})).await;
    assert_eq!(res.json()["alert"], "none");
    assert_eq!(
        res.json()["overdue"],
        true,
        "the case stays on record as late"
    );
}

#[tokio::test]
async fn provisional_deadlines_are_recomputed_when_the_year_is_loaded() {
    let app = TestApp::new().await;
    let scj = dept(&app, "110105-SCJGJ").await;
    let handler = staff(&app, "handler.wang", scj, &[Role::Handler]).await;
    let admin_pw = app.staff("admin.user", true).await;
    let (admin_cookie, admin_csrf) = app.sign_in("admin.user", &admin_pw).await;
    let admin = Caller(admin_cookie, admin_csrf);
    let res = handler
        .post(
            &app,
            "/api/v1/cases",
            json!({"process": "joint_approval",
            "department": "110105-SCJGJ", "title": "企业开办", "co_departments": ["110105-SCJGJ"]}),
        )
        .await;
    let number = res.json()["number"].as_str().unwrap().to_owned();
    // 45 working days from late 2026 run into 2027, whose notice is not out.
    let res = handler.act(&app, &number, "accept", json!({})).await;
    let before = res.json();
    if before["due_provisional"] != true {
        // Run early in a year: the deadline stays within published years.
        return;
    }
    let due_before = before["due_at"].as_str().unwrap().to_owned();
    // A 2027 notice with a week of holidays in January (a test fixture).
    let file = r#"
version = "test-2027"
[[year]]
year = 2027
notice = "测试"
published = "2026-11-01"
holidays = [ { name = "测试假期", days = ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08"] } ]
makeup_workdays = []
"#;
    let res = app
        .send(
            Method::POST,
            "/api/v1/calendar",
            &[
                ("cookie", &admin.0),
                ("x-csrf-token", &admin.1),
                ("content-type", "application/toml"),
            ],
            file.to_owned(),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(
        res.json()["recomputed"].as_u64().unwrap() >= 1,
        "{}",
        res.body
    );
    let after = handler.get(&app, &format!("/api/v1/cases/{number}")).await;
    let due_after = after["due_at"].as_str().unwrap();
    assert_eq!(after["due_provisional"], false);
    assert!(
        due_after > due_before.as_str(),
        "five holidays push it on: {due_before} -> {due_after}"
    );
}

/// A case opened under a definition from before version 3, whose transfer
/// names the department by row id, is still dispatched that way.
#[tokio::test]
async fn a_definition_naming_departments_by_row_id_still_transfers() {
    let app = TestApp::new().await;
    let centre = dept(&app, "110000-CGW").await;
    let scj = dept(&app, "110105-SCJGJ").await;
    let legacy = include_str!("../../data/processes/city-grid-case.toml")
        .replacen("version = 6", "version = 7", 1)
        .replace(
            "required = [\"department\"",
            "required = [\"department_id\"",
        )
        .replace(
            "[action.fields.properties.department]\ntype = \"string\"",
            "[action.fields.properties.department_id]\ntype = \"integer\"",
        )
        .replace("\"minLength\" = 1\n\"maxLength\" = 40\n", "");
    egov_cases::registry::load(app.db(), &egov_kernel::Context::system(), &legacy)
        .await
        .expect("the older form of the definition loads");
    let dispatcher = staff(&app, "dispatch.li", centre, &[Role::Dispatcher]).await;
    let resident = citizen(&app, "zhang.san").await;
    let res = resident
        .post(
            &app,
            "/api/v1/cases",
            json!({"process": "city_grid_case", "department": "110000-CGW", "title": "井盖缺失",
            "data": {"category": "部件/井盖", "description": "井盖缺失"}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let number = res.json()["number"].as_str().unwrap().to_owned();
    dispatcher.act(&app, &number, "register", json!({})).await;
    dispatcher
        .act(&app, &number, "dispatch", json!({"department_id": 999_999}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = dispatcher
        .act(&app, &number, "dispatch", json!({"department_id": scj}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["handling_department"], "110105-SCJGJ");
}

#[tokio::test]
async fn a_caller_cannot_give_a_case_its_english_title() {
    let app = TestApp::new().await;
    let resident = citizen(&app, "zhang.san").await;
    let res = resident
        .post(
            &app,
            "/api/v1/cases",
            json!({"process": "administrative_license", "department": "110105-SCJGJ",
                   "title": "食品经营许可", "data": {"title_en": "Spoofed title"}}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    assert_eq!(
        res.json()["title_en"],
        serde_json::Value::Null,
        "{}",
        res.body
    );
    let data = app.texts("SELECT data FROM cases").await;
    assert!(!data[0].contains("Spoofed"), "{data:?}");
}
