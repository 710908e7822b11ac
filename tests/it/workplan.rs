//! Work-plan supervision (督查督办) over the API: the office drafts a plan
//! as a tree, the departments with a share confirm it (or ask for a
//! change), it is published as versions with diffs; departments report on
//! the tasks they lead, with evidence, late when after the deadline; the
//! office accepts a closing. Bad input is refused with nothing changed.

use crate::common::casework::{citizen, dept, multipart_form, staff, Caller};
use crate::common::{intact, verify_audit, TestApp, TestResponse};
use axum::http::{Method, StatusCode};
use chrono::Datelike;
use egov_identity::Role;
use serde_json::{json, Value};

fn year() -> i32 {
    egov_kernel::time::beijing_today().year()
}

struct Office {
    office: Caller,
    fgw: Caller,
    czj: Caller,
}

async fn people(app: &TestApp) -> Office {
    let jxj = dept(app, "110000-JXJ").await;
    let fgw = dept(app, "110000-FGW").await;
    let czj = dept(app, "110000-CZJ").await;
    Office {
        office: staff(app, "office", jxj, &[Role::Supervisor]).await,
        fgw: staff(app, "fgw", fgw, &[Role::Handler]).await,
        czj: staff(app, "czj", czj, &[Role::Handler]).await,
    }
}

fn node(parent: Option<i64>, level: &str, title: &str, lead: &str, partners: &[&str]) -> Value {
    json!({
        "parent": parent, "level": level, "title": title, "lead": lead,
        "partners": partners, "responsible": "王立新",
        "due": format!("{}-12-31", year()), "outcome": "通过验收并投入使用",
    })
}

fn id_of(res: &TestResponse) -> i64 {
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["id"].as_i64().unwrap()
}

/// A drafted plan with an item led by 市发展改革委 (市财政局 co-operating)
/// and a task under it; answers (plan, item, task).
async fn drafted(app: &TestApp, p: &Office) -> (i64, i64, i64) {
    let plan = id_of(
        &p.office
            .post(
                app,
                "/api/v1/workplans",
                json!({ "title": "年度信息化工作要点", "kind": "points", "year": year(),
                        "doc_number": "京信发〔2026〕1号" }),
            )
            .await,
    );
    let path = format!("/api/v1/workplans/{plan}/nodes");
    let item = id_of(
        &p.office
            .post(
                app,
                &path,
                node(
                    None,
                    "item",
                    "推进公共服务便捷化",
                    "110000-FGW",
                    &["110000-CZJ"],
                ),
            )
            .await,
    );
    let task = id_of(
        &p.office
            .post(
                app,
                &path,
                node(
                    Some(item),
                    "task",
                    "建设投资项目综合服务平台",
                    "110000-FGW",
                    &["110000-CZJ"],
                ),
            )
            .await,
    );
    (plan, item, task)
}

async fn confirm(app: &TestApp, who: &Caller, plan: i64, department: &str) {
    let res = who
        .post(
            app,
            &format!("/api/v1/workplans/{plan}/confirmations"),
            json!({ "department": department, "decision": "confirmed" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
}

async fn publish(app: &TestApp, p: &Office, plan: i64) -> TestResponse {
    p.office
        .post(
            app,
            &format!("/api/v1/workplans/{plan}/versions"),
            json!({ "note": "领导小组审定印发" }),
        )
        .await
}

#[tokio::test]
async fn a_plan_is_drafted_confirmed_published_and_compared_between_versions() {
    let app = TestApp::new().await;
    let p = people(&app).await;
    let resident = citizen(&app, "resident").await;

    // Only an office drafts.
    let body = json!({ "title": "要点", "kind": "points", "year": year() });
    for who in [&p.fgw, &resident] {
        who.post(&app, "/api/v1/workplans", body.clone())
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    let (plan, item, task) = drafted(&app, &p).await;
    let path = format!("/api/v1/workplans/{plan}/nodes");

    // Bad input: a task without a lead, a date outside the year, a task
    // at the root, a department only the office may add: nothing stored.
    let nodes = app.count("workplan_nodes").await;
    let res = p
        .office
        .post(&app, &path, node(Some(item), "task", "无牵头任务", "", &[]))
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.body.contains("牵头单位"), "{}", res.body);
    let mut late = node(Some(item), "task", "跨年任务", "110000-FGW", &[]);
    late["due"] = json!(format!("{}-01-15", year() + 1));
    let res = p.office.post(&app, &path, late).await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.body.contains("计划年度"), "{}", res.body);
    p.office
        .post(
            &app,
            &path,
            node(None, "task", "根上的任务", "110000-FGW", &[]),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    p.fgw
        .post(
            &app,
            &path,
            node(Some(item), "task", "部门自己加的任务", "110000-FGW", &[]),
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.count("workplan_nodes").await, nodes);

    // A draft is seen by the office and the departments with a share.
    let jtw = staff(
        &app,
        "jtw",
        dept(&app, "110000-JTW").await,
        &[Role::Handler],
    )
    .await;
    let board = format!("/api/v1/workplans/{plan}");
    let res = app.get_with(&board, &[("cookie", &jtw.0)]).await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let seen = p.czj.get(&app, &board).await;
    assert_eq!(seen["nodes"].as_array().unwrap().len(), 2);

    // Published only once every department with a share has confirmed.
    let res = publish(&app, &p, plan).await;
    res.assert_problem(StatusCode::CONFLICT, "action_not_allowed");
    assert!(
        res.body.contains("市财政局") && res.body.contains("市发展改革委"),
        "{}",
        res.body
    );
    confirm(&app, &p.fgw, plan, "110000-FGW").await;
    let asked = format!("/api/v1/workplans/{plan}/confirmations");
    p.czj
        .post(
            &app,
            &asked,
            json!({ "department": "110000-CZJ", "decision": "change_requested" }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    p.czj
        .post(
            &app,
            &asked,
            json!({ "department": "110000-FGW", "decision": "confirmed" }),
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = p
        .czj
        .post(
            &app,
            &asked,
            json!({ "department": "110000-CZJ", "decision": "change_requested",
                    "reason": "平台建设资金已列入部门预算，建议市财政局不再作为配合单位" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    publish(&app, &p, plan)
        .await
        .assert_problem(StatusCode::CONFLICT, "action_not_allowed");

    // The office changes the task as asked: the departments it touched
    // confirm again.
    let res = p
        .office
        .send(
            &app,
            Method::PUT,
            &format!("/api/v1/workplan-nodes/{task}"),
            node(None, "task", "建设投资项目综合服务平台", "110000-FGW", &[]),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let words = p.office.get(&app, &board).await;
    assert!(
        words["confirmations"].as_array().unwrap().is_empty(),
        "{words}"
    );
    confirm(&app, &p.fgw, plan, "110000-FGW").await;
    confirm(&app, &p.czj, plan, "110000-CZJ").await;
    let res = publish(&app, &p, plan).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.json()["version"], 1);
    publish(&app, &p, plan)
        .await
        .assert_problem(StatusCode::CONFLICT, "action_not_allowed");

    // Published: any staff reads it; a resident does not (not public).
    let seen = jtw.get(&app, &board).await;
    assert_eq!(seen["plan"]["version"], 1);
    let res = app.get_with(&board, &[("cookie", &resident.0)]).await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // A milestone added and published again: the diff names it.
    let mut milestone = node(Some(task), "milestone", "平台上线试运行", "110000-FGW", &[]);
    milestone["due"] = json!(format!("{}-06-30", year()));
    let m = id_of(&p.office.post(&app, &path, milestone).await);
    confirm(&app, &p.fgw, plan, "110000-FGW").await;
    let res = publish(&app, &p, plan).await;
    assert_eq!(res.json()["version"], 2);
    let diff = p
        .office
        .get(&app, &format!("/api/v1/workplans/{plan}/diff?from=1&to=2"))
        .await;
    assert_eq!(
        diff,
        json!([{ "kind": "added", "id": m, "title": "平台上线试运行", "fields": [] }])
    );
    let first = p
        .office
        .get(&app, &format!("/api/v1/workplans/{plan}/diff?from=0&to=1"))
        .await;
    assert_eq!(first.as_array().unwrap().len(), 2);
    let res = app
        .get_with(
            &format!("/api/v1/workplans/{plan}/diff?from=1&to=9"),
            &[("cookie", &p.office.0)],
        )
        .await;
    res.assert_problem(StatusCode::NOT_FOUND, "not_found");

    let records = app.count("audit_log").await;
    assert_eq!(verify_audit(&app).await, intact(records));
    assert_eq!(
        app.count_where("audit_log", "action = 'workplan.published'")
            .await,
        2
    );
}

async fn evidence(
    app: &TestApp,
    who: &Caller,
    report: i64,
    name: &str,
    bytes: &[u8],
) -> TestResponse {
    let (ct, body) = multipart_form(&[], &[("file", name, bytes)]);
    app.send(
        Method::POST,
        &format!("/api/v1/workplan-reports/{report}/evidence"),
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
async fn departments_report_on_their_own_tasks_and_the_office_accepts_the_closing() {
    let app = TestApp::new().await;
    let p = people(&app).await;
    let (plan, item, task) = drafted(&app, &p).await;
    let reports = format!("/api/v1/workplan-nodes/{task}/reports");
    let report = |progress: i64| json!({ "progress": progress, "text": "完成需求调研和方案设计" });

    // Not before the plan is published.
    p.fgw
        .post(&app, &reports, report(10))
        .await
        .assert_problem(StatusCode::CONFLICT, "action_not_allowed");
    confirm(&app, &p.fgw, plan, "110000-FGW").await;
    confirm(&app, &p.czj, plan, "110000-CZJ").await;
    assert_eq!(publish(&app, &p, plan).await.status, StatusCode::CREATED);

    // Bad input: another department's task, over 100, an item, a bad link.
    p.czj
        .post(&app, &reports, report(10))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    p.fgw
        .post(&app, &reports, report(101))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    p.fgw
        .post(
            &app,
            &format!("/api/v1/workplan-nodes/{item}/reports"),
            report(10),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut linked = report(10);
    linked["links"] = json!(["javascript:alert(1)"]);
    p.fgw
        .post(&app, &reports, linked)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(app.count("workplan_reports").await, 0);

    let res = p.fgw.post(&app, &reports, report(40)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let first = res.json();
    assert_eq!(
        first["late"], false,
        "the current period's report is on time"
    );

    // Going backwards needs a reason.
    let res = p.fgw.post(&app, &reports, report(30)).await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.body.contains("40%"), "{}", res.body);
    let mut back = report(30);
    back["reason"] = json!("需求变更，部分模块重新设计");
    assert_eq!(
        p.fgw.post(&app, &reports, back).await.status,
        StatusCode::CREATED
    );

    // Evidence: not an accepted type is refused, nothing stored.
    let id = first["id"].as_i64().unwrap();
    evidence(&app, &p.fgw, id, "进展.txt", b"plain text")
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    evidence(&app, &p.czj, id, "截图.png", &crate::documents::seal_png())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.count("workplan_evidence").await, 0);

    // Closing needs 100 and evidence.
    let mut close = report(100);
    close["close"] = json!(true);
    p.fgw
        .post(&app, &reports, close.clone())
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = evidence(&app, &p.fgw, id, "截图.png", &crate::documents::seal_png()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(
        p.fgw.post(&app, &reports, close).await.status,
        StatusCode::CREATED
    );
    p.fgw
        .post(&app, &reports, report(100))
        .await
        .assert_problem(StatusCode::CONFLICT, "action_not_allowed");

    // The office accepts; the department may not.
    let decide = format!("/api/v1/workplan-nodes/{task}/decisions");
    p.fgw
        .post(&app, &decide, json!({ "verdict": "accept" }))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = p
        .office
        .post(&app, &decide, json!({ "verdict": "accept" }))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["state"], "done");
    let board = p
        .office
        .get(&app, &format!("/api/v1/workplans/{plan}"))
        .await;
    let lights: Vec<&str> = board["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["light"].as_str().unwrap())
        .collect();
    assert_eq!(lights, vec!["done", "done"]);
    let listed = p.czj.get(&app, &reports).await;
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(listed[2]["files"], json!(["截图.png"]));
    let records = app.count("audit_log").await;
    assert_eq!(verify_audit(&app).await, intact(records));
}

#[tokio::test]
async fn a_report_after_its_periods_deadline_is_late() {
    let app = TestApp::new().await;
    let p = people(&app).await;
    let (plan, _, task) = drafted(&app, &p).await;
    confirm(&app, &p.fgw, plan, "110000-FGW").await;
    confirm(&app, &p.czj, plan, "110000-CZJ").await;
    assert_eq!(publish(&app, &p, plan).await.status, StatusCode::CREATED);
    let calendar = egov_calendar::load_calendar(app.db()).await.unwrap();
    let calendar = std::sync::Arc::new(calendar);
    let fgw = dept(&app, "110000-FGW").await;
    let reporter = egov_workplan::reporting::Reporter {
        user_id: None,
        departments: vec![fgw],
    };
    let january = egov_workplan::periods::Period::parse(&format!("{}-01", year()), 1).unwrap();
    let deadline = january.deadline(&calendar, 5);
    let at =
        |d: chrono::NaiveDate| egov_kernel::time::from_beijing(d.and_hms_opt(10, 0, 0).unwrap());
    let mut made = Vec::new();
    for (day, progress) in [(deadline, 10), (deadline + chrono::Duration::days(1), 20)] {
        let r = egov_workplan::reporting::NewReport {
            period: Some(january.label()),
            progress,
            text: "一月进展".into(),
            ..Default::default()
        };
        let s = egov_workplan::reporting::submit(
            app.db(),
            &egov_kernel::Context::system(),
            calendar.clone(),
            &reporter,
            task,
            r,
            at(day),
        )
        .await
        .unwrap();
        made.push(s.late);
    }
    assert_eq!(made, vec![false, true], "on the deadline, then a day after");
}

#[tokio::test]
async fn the_2009_plan_loads_with_a_year_of_reports_and_varied_lights() {
    let app = TestApp::new().await;
    let made = egov_workplan::demo::load(app.db()).await.unwrap();
    assert!(made > 300, "a year of reports: {made}");
    assert_eq!(
        egov_workplan::demo::load(app.db()).await.unwrap(),
        0,
        "once"
    );
    assert!(app.count_where("workplan_reports", "late").await > 0);
    let p = people(&app).await;
    let plans = p.fgw.get(&app, "/api/v1/workplans").await;
    assert_eq!(plans[0]["doc_number"], "京信发〔2009〕1号");
    let id = plans[0]["id"].as_i64().unwrap();
    // Public: a visitor reads the board.
    let res = app.get(&format!("/api/v1/workplans/{id}")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let board = res.json();
    assert_eq!(board["as_of"], "2009-12-31");
    let nodes = board["nodes"].as_array().unwrap();
    let items = nodes.iter().filter(|n| n["level"] == "item").count();
    assert_eq!(items, 20);
    let lights = |level: &str, light: &str| {
        nodes
            .iter()
            .filter(|n| n["level"] == level && n["light"] == light)
            .count()
    };
    for light in ["done", "late", "cancelled"] {
        assert!(lights("task", light) > 0, "some task {light}");
    }
    assert!(lights("item", "late") > 0 && lights("item", "done") > 0);
    let versions = board["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1);
}
