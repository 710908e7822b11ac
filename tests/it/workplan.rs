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

    // Published: any staff reads it; a resident does not (not public),
    // nor its ranking.
    let seen = jtw.get(&app, &board).await;
    assert_eq!(seen["plan"]["version"], 1);
    let res = app.get_with(&board, &[("cookie", &resident.0)]).await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = app
        .get_with(&format!("{board}/scores"), &[("cookie", &resident.0)])
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = app.get(&format!("/workplans/{plan}/summary.pdf")).await;
    assert_ne!(res.status, StatusCode::OK, "not public");

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

    // The office's supervision board lists the closing to accept; it is
    // the office's alone.
    let res = app
        .get_with("/workplans/office", &[("cookie", &p.office.0)])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let closing = res
        .body
        .split("class=\"closing-list\"")
        .nth(1)
        .unwrap_or_default();
    assert!(closing.contains("建设投资项目综合服务平台"), "{}", res.body);
    let res = app
        .get_with("/workplans/office", &[("cookie", &p.fgw.0)])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

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
    // The year's reminders and warnings, as the weekly sweep raised them.
    assert!(app.count_where("workplan_alerts", "kind = 'warning'").await > 0);
    assert!(
        app.count_where("workplan_alerts", "kind = 'reminder'")
            .await
            > 0
    );

    // The year-end ranking, public: scores best first, ranks from 1, the
    // deductions counted.
    let res = app.get(&format!("/api/v1/workplans/{id}/scores")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let scores = res.json();
    let scores = scores.as_array().unwrap();
    assert!(scores.len() >= 10, "{scores:?}");
    assert_eq!(scores[0]["rank"], 1);
    let points: Vec<f64> = scores
        .iter()
        .map(|s| s["score"].as_f64().unwrap())
        .collect();
    assert!(points.windows(2).all(|w| w[0] >= w[1]), "{points:?}");
    assert!(points.first() > points.last(), "variety: {points:?}");
    assert!(scores.iter().any(|s| s["warnings"].as_i64().unwrap() > 0));
    assert!(scores
        .iter()
        .any(|s| s["late_reports"].as_i64().unwrap() > 0));
    let page = app.get(&format!("/workplans/{id}/summary")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("市经济和信息化局"),
        "the ranking names departments"
    );
    let pdf = app.get(&format!("/workplans/{id}/summary.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.header("content-type"), "application/pdf");
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    let xlsx = app.get(&format!("/workplans/{id}/summary.xlsx")).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let rows = egov_documents::sheet::read(&xlsx.bytes).unwrap();
    assert_eq!(rows[0][0], "排名");
    assert_eq!(rows.len(), scores.len() + 1);
    assert_eq!(rows[1][0], "1", "best first");

    // Each department's year in the indicators engine: its rates and the
    // composite score the departments are ranked on.
    let today = egov_kernel::time::beijing_today();
    let n = egov_workplan::figures::publish_all(app.db(), today)
        .await
        .unwrap();
    assert!(n > 0);
    assert_eq!(
        egov_workplan::figures::publish_all(app.db(), today)
            .await
            .unwrap(),
        0,
        "unchanged"
    );
    let res = app
        .get("/api/v1/indicators/workplan.completion_rate/data?area=110000-JXJ&from=2009&to=2009")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let rate = res.json()["data"][0]["value"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&rate), "{rate}");
    let res = app
        .get("/api/v1/indicators/composites/workplan.score/ranking?period=2009&units=departments")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("110000-JXJ"), "{}", res.body);
}

/// Posts a page's form as `who`.
async fn form(app: &TestApp, who: &Caller, path: &str, fields: &[(&str, &str)]) -> TestResponse {
    let mut all = vec![("csrf", who.1.as_str())];
    all.extend_from_slice(fields);
    app.post_form(path, Some(&who.0), &all).await
}

fn redirected_to(res: &TestResponse) -> String {
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    res.header("location").to_owned()
}

async fn page(app: &TestApp, who: &Caller, path: &str) -> String {
    let res = app.get_with(path, &[("cookie", &who.0)]).await;
    assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
    res.body
}

#[tokio::test]
async fn the_office_and_the_departments_work_on_the_pages() {
    let app = TestApp::new().await;
    let p = people(&app).await;
    let y = year().to_string();

    // The office drafts a plan; a title too short comes back as typed.
    let res = form(
        &app,
        &p.office,
        "/workplans",
        &[("title", "要"), ("kind", "points"), ("year", &y)],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("标题应为 2 至 200 个字"), "{}", res.body);
    assert_eq!(app.count("workplans").await, 0);
    let res = form(
        &app,
        &p.office,
        "/workplans",
        &[
            ("title", "年度重点任务"),
            ("kind", "key_tasks"),
            ("year", &y),
            ("report_months", "1"),
        ],
    )
    .await;
    let to = redirected_to(&res);
    let id: i64 = to
        .trim_start_matches("/workplans/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let board = format!("/workplans/{id}");
    // A department may not draft.
    assert_eq!(
        form(
            &app,
            &p.fgw,
            "/workplans",
            &[("title", "部门计划"), ("kind", "points"), ("year", &y)]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // A node without a lead: the board again, the message in Chinese, the
    // title as typed, nothing stored.
    let nodes = format!("/workplans/{id}/nodes");
    let due = format!("{y}-12-31");
    let item = [
        ("level", "item"),
        ("title", "推进政务服务一网通办"),
        ("lead", ""),
        ("responsible", "王立新"),
        ("due", due.as_str()),
        ("outcome", "事项全部网上可办"),
    ];
    let res = form(&app, &p.office, &nodes, &item).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("每项任务都必须明确牵头单位"),
        "{}",
        res.body
    );
    assert!(res.body.contains("推进政务服务一网通办"));
    assert_eq!(app.count("workplan_nodes").await, 0);
    let mut item = item.to_vec();
    item[2] = ("lead", "110000-FGW");
    item.push(("partner1", "110000-CZJ"));
    redirected_to(&form(&app, &p.office, &nodes, &item).await);
    let item_id = app
        .texts("SELECT CAST(id AS TEXT) FROM workplan_nodes")
        .await
        .remove(0);
    let task = [
        ("level", "task"),
        ("parent", item_id.as_str()),
        ("title", "建成统一受理平台"),
        ("lead", "110000-FGW"),
        ("responsible", "李文华"),
        ("due", due.as_str()),
        ("outcome", "平台上线运行"),
    ];
    redirected_to(&form(&app, &p.office, &nodes, &task).await);
    assert_eq!(
        form(&app, &p.fgw, &nodes, &task).await.status,
        StatusCode::FORBIDDEN
    );

    // The departments give their word on the board.
    let html = page(&app, &p.czj, &board).await;
    assert!(
        html.contains("confirm-110000-CZJ"),
        "the form for its share"
    );
    let confirm = format!("/workplans/{id}/confirm");
    let res = form(
        &app,
        &p.czj,
        &confirm,
        &[
            ("department", "110000-CZJ"),
            ("decision", "change_requested"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("请写明调整内容和理由"), "{}", res.body);
    redirected_to(
        &form(
            &app,
            &p.czj,
            &confirm,
            &[("department", "110000-CZJ"), ("decision", "confirmed")],
        )
        .await,
    );
    // Publishing waits for 市发展改革委.
    let publish = format!("/workplans/{id}/publish");
    let res = form(&app, &p.office, &publish, &[("note", "第一版")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("市发展改革委"), "{}", res.body);
    redirected_to(
        &form(
            &app,
            &p.fgw,
            &confirm,
            &[("department", "110000-FGW"), ("decision", "confirmed")],
        )
        .await,
    );
    redirected_to(&form(&app, &p.office, &publish, &[("note", "第一版")]).await);
    let html = page(&app, &p.office, &board).await;
    assert!(html.contains("已发布第 1 版"), "{html}");
    assert!(html.contains("light-on_track"), "a light per node");
    // Filtered by a department with no share: nothing.
    let html = page(&app, &p.office, &format!("{board}?department=110000-JTW")).await;
    assert!(html.contains("没有符合条件的事项"), "{html}");

    // The lead department reports on its phone form; 150% comes back.
    let task_id = app
        .texts("SELECT CAST(id AS TEXT) FROM workplan_nodes WHERE level = 'task'")
        .await
        .remove(0);
    let task_page = format!("/workplans/tasks/{task_id}");
    let html = page(&app, &p.fgw, &task_page).await;
    assert!(html.contains("report-form"));
    assert!(
        !page(&app, &p.czj, &task_page).await.contains("report-form"),
        "not the partner's to report"
    );
    let report = format!("{task_page}/report");
    let res = form(
        &app,
        &p.fgw,
        &report,
        &[("progress", "150"), ("text", "完成方案设计")],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("0 至 100"), "{}", res.body);
    assert!(res.body.contains("完成方案设计"), "kept as typed");
    assert_eq!(
        form(
            &app,
            &p.czj,
            &report,
            &[("progress", "10"), ("text", "配合进展")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let to = redirected_to(
        &form(
            &app,
            &p.fgw,
            &report,
            &[("progress", "50"), ("text", "完成方案设计")],
        )
        .await,
    );
    assert!(to.contains("done=reported"), "{to}");

    // Evidence of the wrong type: the page again with the message.
    let report_id = app
        .texts("SELECT CAST(id AS TEXT) FROM workplan_reports")
        .await
        .remove(0);
    let (ct, body) = multipart_form(
        &[("csrf", &p.fgw.1)],
        &[("file", "说明.docx", b"PK\x03\x04")],
    );
    let res = app
        .send(
            Method::POST,
            &format!("/workplans/reports/{report_id}/evidence"),
            &[("cookie", &p.fgw.0), ("content-type", &ct)],
            body,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("只接受 PDF、PNG 和 JPEG 文件"),
        "{}",
        res.body
    );
    assert_eq!(app.count("workplan_evidence").await, 0);

    // The department's list shows the task; the office's board the report.
    let html = page(&app, &p.fgw, "/workplans/mine").await;
    assert!(html.contains("建成统一受理平台"), "{html}");
    let html = page(&app, &p.office, &board).await;
    assert!(html.contains("50%"), "{html}");
    // The English board.
    let res = app
        .get_with(
            &board,
            &[("cookie", &p.office.0), ("accept-language", "en")],
        )
        .await;
    assert!(res.body.contains("Version 1 published"), "{}", res.body);
}

#[tokio::test]
async fn a_report_due_is_reminded_of_and_one_overdue_warned_of_once() {
    let app = TestApp::new().await;
    let p = people(&app).await;
    let (plan, _, task) = drafted(&app, &p).await;
    confirm(&app, &p.fgw, plan, "110000-FGW").await;
    confirm(&app, &p.czj, plan, "110000-CZJ").await;
    assert_eq!(publish(&app, &p, plan).await.status, StatusCode::CREATED);
    // As if published at the start of the year.
    let start = chrono::NaiveDate::from_ymd_opt(year(), 1, 5).unwrap();
    app.db()
        .execute(
            egov_store::query("UPDATE workplans SET published_on = $1 WHERE id = $2")
                .bind(start)
                .bind(plan),
        )
        .await
        .unwrap();
    let calendar = egov_calendar::load_calendar(app.db()).await.unwrap();
    let january = egov_workplan::periods::Period::parse(&format!("{}-01", year()), 1).unwrap();
    let deadline = january.deadline(&calendar, 5);

    // The day before the deadline: a reminder to 市发展改革委's handler.
    let before = deadline - chrono::Duration::days(1);
    let before = if calendar.is_workday(before) {
        before
    } else {
        deadline
    };
    assert_eq!(
        egov_workplan::alerts::sweep(app.db(), &calendar, before)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.count_where("messages", "kind LIKE 'workplan_report_%'")
            .await,
        1
    );
    assert_eq!(
        egov_workplan::alerts::sweep(app.db(), &calendar, before)
            .await
            .unwrap(),
        0,
        "once"
    );

    // Three working days overdue and still not made: a warning.
    let late = calendar.add_workdays(deadline, 3).date();
    assert_eq!(
        egov_workplan::alerts::sweep(app.db(), &calendar, late)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.count_where(
            "workplan_alerts",
            &format!("kind = 'warning' AND node_id = {task}")
        )
        .await,
        1
    );
    assert_eq!(
        app.count_where("messages", "kind LIKE 'workplan_report_%'")
            .await,
        2
    );
    let inbox = p.fgw.get(&app, "/api/v1/messages").await;
    assert!(inbox.to_string().contains("督查预警"), "{inbox}");
    assert!(
        app.count_where("audit_log", "action = 'workplan.alerts_raised'")
            .await
            >= 2
    );
}

#[tokio::test]
async fn a_supervision_order_is_answered_sent_back_accepted_or_inspected() {
    let app = TestApp::new().await;
    let p = people(&app).await;
    let (plan, item, task) = drafted(&app, &p).await;
    confirm(&app, &p.fgw, plan, "110000-FGW").await;
    confirm(&app, &p.czj, plan, "110000-CZJ").await;
    assert_eq!(publish(&app, &p, plan).await.status, StatusCode::CREATED);
    let orders = format!("/api/v1/workplan-nodes/{task}/orders");

    // Bad input, another than the office, an item: nothing opened.
    let cases = app.count("cases").await;
    p.office
        .post(&app, &orders, json!({ "what": "抓紧", "days": 5 }))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    p.office
        .post(
            &app,
            &orders,
            json!({ "what": "请于五个工作日内报送平台建设方案", "days": 0 }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    p.fgw
        .post(
            &app,
            &orders,
            json!({ "what": "请于五个工作日内报送平台建设方案", "days": 5 }),
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    p.office
        .post(
            &app,
            &format!("/api/v1/workplan-nodes/{item}/orders"),
            json!({ "what": "请于五个工作日内报送平台建设方案", "days": 5 }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(app.count("cases").await, cases);

    // Issued: a case of 市发展改革委's, due in 5 working days.
    let res = p
        .office
        .post(
            &app,
            &orders,
            json!({ "what": "请于五个工作日内报送平台建设方案", "days": 5 }),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let number = res.json()["number"].as_str().unwrap().to_owned();
    let case = p.fgw.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["state"], "ordered");
    assert!(case["due_at"].is_string());

    // The department answers on the case; the partner may not.
    let answer = json!({ "answer": "已报送平台建设方案并通过专家评审" });
    p.czj
        .post(
            &app,
            &format!("/api/v1/cases/{number}/actions"),
            json!({ "action": "answer", "version": case["version"], "fields": answer }),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let res = p.fgw.act(&app, &number, "answer", answer.clone()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // The office sends it back with a reason, then accepts the new answer;
    // the department may not take the office's steps.
    let steps = format!("/api/v1/workplan-orders/{number}/steps");
    p.fgw
        .post(&app, &steps, json!({ "action": "accept" }))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    p.office
        .post(&app, &steps, json!({ "action": "send_back", "fields": {} }))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = p
        .office
        .post(
            &app,
            &steps,
            json!({ "action": "send_back", "fields": { "reason": "方案缺少资金测算" } }),
        )
        .await;
    assert_eq!(res.json()["state"], "ordered", "{}", res.body);
    assert_eq!(
        p.fgw.act(&app, &number, "answer", answer).await.status,
        StatusCode::OK
    );
    let res = p
        .office
        .post(&app, &steps, json!({ "action": "accept" }))
        .await;
    assert_eq!(res.json()["state"], "accepted", "{}", res.body);

    // Another order, unanswered, goes to a special inspection, closed by
    // the field visit's record.
    let res = p
        .office
        .post(
            &app,
            &orders,
            json!({ "what": "请说明平台建设进度滞后的原因", "days": 3 }),
        )
        .await;
    let second = res.json()["number"].as_str().unwrap().to_owned();
    let steps = format!("/api/v1/workplan-orders/{second}/steps");
    let res = p
        .office
        .post(
            &app,
            &steps,
            json!({ "action": "escalate", "fields": { "reason": "逾期未答复" } }),
        )
        .await;
    assert_eq!(res.json()["state"], "inspection", "{}", res.body);
    let visit = json!({ "action": "record_visit", "fields": {
        "visited_on": format!("{}-12-01", year()), "place": "市发展改革委信息中心",
        "findings": "平台机房尚未完成改造", "measures": "月底前完成机房改造并报送整改报告" } });
    let res = p.office.post(&app, &steps, visit).await;
    assert_eq!(res.json()["state"], "inspected", "{}", res.body);

    let listed = p.czj.get(&app, &orders).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    // Not an order: the matrix of a case that is not one.
    p.office
        .post(
            &app,
            "/api/v1/workplan-orders/2026000000/steps",
            json!({ "action": "accept" }),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert!(
        app.count_where("audit_log", "action = 'case.record_visit'")
            .await
            == 1
    );
    let records = app.count("audit_log").await;
    assert_eq!(verify_audit(&app).await, intact(records));
}
