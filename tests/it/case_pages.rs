//! The workbench and case pages as people drive them with a browser's
//! forms: a resident reports a problem, the command centre registers and
//! dispatches it, the street team answers with a photo, the centre closes
//! it and the resident rates it. Every form checks its CSRF token, a
//! refused form is shown again in Chinese with what was typed, and nobody
//! sees a case, a comment or a page that is not theirs.

use crate::common;

use axum::http::{Method, StatusCode};
use common::casework::{backdate, citizen, dept, multipart_with, staff, Caller};
use common::{enc, TestApp, TestResponse};
use egov_identity::Role;

static PNG: std::sync::LazyLock<Vec<u8>> =
    std::sync::LazyLock::new(egov_cases::attachments::samples::png);

async fn page(app: &TestApp, who: &Caller, path: &str) -> TestResponse {
    app.get_with(path, &[("cookie", &who.0), ("accept", "text/html")])
        .await
}

async fn form(app: &TestApp, who: &Caller, path: &str, fields: &[(&str, &str)]) -> TestResponse {
    app.post_form(path, Some(&who.0), fields).await
}

async fn version(app: &TestApp, who: &Caller, number: &str) -> String {
    who.get(app, &format!("/api/v1/cases/{number}")).await["version"].to_string()
}

/// Posts an action form as the case page draws it.
async fn act(
    app: &TestApp,
    who: &Caller,
    number: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> TestResponse {
    let v = version(app, who, number).await;
    let mut all = vec![
        ("csrf", who.1.as_str()),
        ("action", action),
        ("version", &v),
    ];
    all.extend_from_slice(fields);
    form(app, who, &format!("/cases/{number}/actions"), &all).await
}

fn assert_back(res: &TestResponse, number: &str, done: &str) {
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        res.header("location"),
        format!("/cases/{number}?done={done}")
    );
}

#[tokio::test]
async fn a_report_goes_from_the_residents_form_through_the_workbench_to_a_rating() {
    let app = TestApp::new().await;
    let centre = dept(&app, "110000-CGW").await;
    let scj = dept(&app, "110105-SCJGJ").await;
    let dispatcher = staff(&app, "dispatch.li", centre, &[Role::Dispatcher]).await;
    let handler = staff(&app, "handler.wang", scj, &[Role::Handler]).await;
    let resident = citizen(&app, "zhang.san").await;
    let stranger = {
        let pw = app.enterprise("qiye.li").await;
        let (cookie, csrf) = app.sign_in("qiye.li", &pw).await;
        Caller(cookie, csrf)
    };

    // The form is drawn from the process's start fields.
    let new = page(&app, &resident, "/cases/new?process=city_grid_case").await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);
    assert!(new.body.contains("问题类别") && new.body.contains("问题描述"));
    // A follow-up of a bad rating is the platform's to open, on no form.
    assert!(!new.body.contains("差评回访整改"));
    let followup = resident
        .post(
            &app,
            "/api/v1/cases",
            serde_json::json!({"process": "rating_followup", "department": "110000-CGW",
                "title": "自己开的回访"}),
        )
        .await;
    followup.assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // Missing description: shown again, in Chinese, with what was typed.
    let mut report = vec![
        ("csrf", resident.1.as_str()),
        ("process", "city_grid_case"),
        ("department", "110000-CGW"),
        ("title", "东直门内大街 井盖缺失"),
        ("f_category", "井盖"),
        ("address", "东直门内大街 12 号"),
        ("lat", "39.9404"),
        ("lon", "116.4289"),
    ];
    let refused = form(&app, &resident, "/cases/new", &report).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("为必填项"), "{}", refused.body);
    assert!(refused.body.contains("东直门内大街 井盖缺失"));
    assert_eq!(app.count("cases").await, 0);
    // A forged form changes nothing either.
    let mut forged = report.clone();
    forged[0] = ("csrf", "forged");
    forged.push(("f_description", "井盖丢失，有安全隐患"));
    assert_eq!(
        form(&app, &resident, "/cases/new", &forged).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.count("cases").await, 0);

    report.push(("f_description", "井盖丢失，有安全隐患"));
    let opened = form(&app, &resident, "/cases/new", &report).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let number = opened
        .header("location")
        .trim_start_matches("/cases/")
        .trim_end_matches("?done=opened")
        .to_owned();
    let mine = page(&app, &resident, "/cases").await;
    assert!(mine.body.contains(&number));
    let shown = page(&app, &resident, &format!("/cases/{number}?done=opened")).await;
    assert!(shown.body.contains("案件已提交") && shown.body.contains("井盖丢失"));
    assert!(shown.body.contains("东直门内大街 12 号"));
    assert!(shown.body.contains("计时中"), "the clock runs");
    // Someone else's case does not exist for them.
    assert_eq!(
        page(&app, &stranger, &format!("/cases/{number}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The command centre sees it among its tasks, with the register form.
    let bench = page(&app, &dispatcher, "/workbench").await;
    assert_eq!(bench.status, StatusCode::OK);
    assert!(bench.body.contains(&number));
    let case = page(&app, &dispatcher, &format!("/cases/{number}")).await;
    assert!(case.body.contains("value=\"register\""));
    assert!(!case.body.contains("value=\"report_done\""));

    // A stale version: the page says so, and nothing moved.
    let stale = form(
        &app,
        &dispatcher,
        &format!("/cases/{number}/actions"),
        &[
            ("csrf", &dispatcher.1),
            ("action", "register"),
            ("version", "0"),
        ],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("请刷新后重试"), "{}", stale.body);
    assert_back(
        &act(&app, &dispatcher, &number, "register", &[]).await,
        &number,
        "action",
    );

    // Dispatch without a department: the field is marked, in Chinese.
    let missing = act(
        &app,
        &dispatcher,
        &number,
        "dispatch",
        &[("f_note", "尽快")],
    )
    .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body.contains("aria-invalid=\"true\""));
    assert!(missing.body.contains("为必填项") && missing.body.contains("尽快"));
    assert_back(
        &act(
            &app,
            &dispatcher,
            &number,
            "dispatch",
            &[("f_department", "110105-SCJGJ"), ("f_note", "尽快")],
        )
        .await,
        &number,
        "action",
    );

    // The street team: a photo (with the form's token), an internal note,
    // and its answer.
    let (ct, body) = multipart_with("井盖.png", &PNG, false, Some("forged"));
    let path = format!("/cases/{number}/attachments");
    let headers = [
        ("cookie", handler.0.as_str()),
        ("content-type", ct.as_str()),
    ];
    let forged = app.send(Method::POST, &path, &headers, body).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("case_attachments").await, 0);
    let (ct, body) = multipart_with("井盖.png", &PNG, false, Some(&handler.1));
    let headers = [
        ("cookie", handler.0.as_str()),
        ("content-type", ct.as_str()),
    ];
    assert_back(
        &app.send(Method::POST, &path, &headers, body).await,
        &number,
        "file",
    );
    let (ct, body) = multipart_with("说明.txt", b"plain text", false, Some(&handler.1));
    let headers = [
        ("cookie", handler.0.as_str()),
        ("content-type", ct.as_str()),
    ];
    let wrong = app.send(Method::POST, &path, &headers, body).await;
    assert_eq!(wrong.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(wrong.body.contains("只接受 PDF、PNG 和 JPEG 文件"));
    assert_back(
        &form(
            &app,
            &handler,
            &format!("/cases/{number}/comments"),
            &[
                ("csrf", &handler.1),
                ("body", "内部：已联系物业"),
                ("internal", "on"),
            ],
        )
        .await,
        &number,
        "comment",
    );
    assert_back(
        &act(
            &app,
            &handler,
            &number,
            "report_done",
            &[("f_result", "已更换井盖")],
        )
        .await,
        &number,
        "action",
    );
    let seen = page(&app, &resident, &format!("/cases/{number}")).await;
    assert!(seen.body.contains("井盖.png"));
    assert!(
        !seen.body.contains("已联系物业"),
        "internal notes stay inside"
    );
    assert!(
        seen.body.contains("已更换井盖"),
        "the timeline shows the answer"
    );
    assert!(page(&app, &dispatcher, &format!("/cases/{number}"))
        .await
        .body
        .contains("已联系物业"));

    assert_back(
        &act(&app, &dispatcher, &number, "close", &[]).await,
        &number,
        "action",
    );

    // The resident rates: a bad grade needs a reason, then opens a follow-up.
    let closed = page(&app, &resident, &format!("/cases/{number}")).await;
    assert!(closed.body.contains("评价办理结果") && closed.body.contains("已办结"));
    let rate = format!("/cases/{number}/rating");
    let no_reason = form(
        &app,
        &resident,
        &rate,
        &[("csrf", &resident.1), ("grade", "1")],
    )
    .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("差评请写明原因"));
    assert_back(
        &form(
            &app,
            &resident,
            &rate,
            &[
                ("csrf", &resident.1),
                ("grade", "1"),
                ("comment", "井盖又松了"),
            ],
        )
        .await,
        &number,
        "rating",
    );
    let rated = page(&app, &dispatcher, &format!("/cases/{number}")).await;
    assert!(rated.body.contains("非常不满意") && rated.body.contains("差评整改案件"));
    // The opening event is labelled from the start form.
    assert!(rated.body.contains("<dt>问题描述</dt>"), "{}", rated.body);

    // In English too.
    let en = app
        .get_with(
            &format!("/cases/{number}"),
            &[("cookie", &resident.0), ("accept-language", "en")],
        )
        .await;
    assert!(en.body.contains("Deadline and clock") && en.body.contains("Very dissatisfied"));
}

#[tokio::test]
async fn supervisors_see_the_board_and_order_the_department_which_answers() {
    let app = TestApp::new().await;
    let scj = dept(&app, "110105-SCJGJ").await;
    let handler = staff(&app, "handler.wang", scj, &[Role::Handler]).await;
    let supervisor = staff(&app, "jiancha.zhou", scj, &[Role::Supervisor]).await;
    let resident = citizen(&app, "zhang.san").await;
    let opened = form(
        &app,
        &resident,
        "/cases/new",
        &[
            ("csrf", &resident.1),
            ("process", "administrative_license"),
            ("department", "110105-SCJGJ"),
            ("title", "食品经营许可"),
        ],
    )
    .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let number = opened.header("location")[7..]
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    backdate(&app, &number).await;
    egov_cases::supervision::scan(app.db(), "test", egov_kernel::time::now(), 10)
        .await
        .unwrap();

    // Only supervisors see the board; it counts the red card.
    assert_eq!(
        page(&app, &resident, "/supervision").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        page(&app, &handler, "/supervision").await.status,
        StatusCode::FORBIDDEN
    );
    let board = page(&app, &supervisor, "/supervision").await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.body.contains(&number) && board.body.contains("红牌"));
    let bench = page(&app, &handler, "/workbench").await;
    assert!(bench.body.contains("预警与督办") && bench.body.contains("红牌"));
    // Who applied, and how late it is in working days.
    assert!(bench.body.contains("<th scope=\"col\">申请人</th>") && bench.body.contains("张三"));
    // An hour late: today, or (just after midnight in Beijing) a working
    // day late; late either way.
    assert!(
        bench
            .body
            .contains("<span class=\"late\">今日已超期</span>")
            || bench
                .body
                .contains("<span class=\"late\">超期 1 个工作日</span>"),
        "{}",
        bench.body
    );
    assert!(!bench.body.contains("alert-order"), "no order yet");

    // The order: the supervisor writes it, the department answers it.
    let orders = format!("/cases/{number}/orders");
    let empty = form(
        &app,
        &supervisor,
        &orders,
        &[("csrf", &supervisor.1), ("text", "")],
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("督办内容须为 1 至 4000 字"));
    let by_handler = form(
        &app,
        &handler,
        &orders,
        &[("csrf", &handler.1), ("text", "快办")],
    )
    .await;
    assert_eq!(by_handler.status, StatusCode::FORBIDDEN);
    assert_back(
        &form(
            &app,
            &supervisor,
            &orders,
            &[
                ("csrf", &supervisor.1),
                ("text", "请于三日内办结并说明超期原因"),
            ],
        )
        .await,
        &number,
        "order",
    );
    let case = page(&app, &handler, &format!("/cases/{number}")).await;
    assert!(case.body.contains("请于三日内办结并说明超期原因"));
    // The workbench marks the case as ordered until the order is answered.
    assert!(page(&app, &handler, "/workbench")
        .await
        .body
        .contains("<span class=\"badge alert-order\">督办</span>"));
    let order_id = supervisor
        .get(&app, &format!("/api/v1/cases/{number}"))
        .await["orders"][0]["id"]
        .as_i64()
        .unwrap();
    let answer = format!("/orders/{order_id}/answer");
    assert_eq!(
        form(
            &app,
            &supervisor,
            &answer,
            &[("csrf", &supervisor.1), ("text", "好")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_back(
        &form(
            &app,
            &handler,
            &answer,
            &[("csrf", &handler.1), ("text", "已受理，材料齐全，今日办结")],
        )
        .await,
        &number,
        "answer",
    );
    assert!(page(&app, &supervisor, &format!("/cases/{number}"))
        .await
        .body
        .contains("今日办结"));

    // Metrics: staff may read them, residents may not; a bad date is
    // shown as a message.
    let metrics = page(&app, &handler, "/workbench/statistics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.body.contains("行政许可") && metrics.body.contains("按期办结率"));
    assert_eq!(
        page(&app, &resident, "/workbench/statistics").await.status,
        StatusCode::FORBIDDEN
    );
    let bad = page(
        &app,
        &handler,
        &format!("/workbench/statistics?from={}", enc("2026/01/01")),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("日期须为 YYYY-MM-DD"));
}

/// A system adds to the page of its own cases through the extension point
/// (an expected-completion line, links, the labels of its form), without
/// the case page knowing that system.
#[tokio::test]
async fn a_system_adds_to_the_case_page_through_the_extension_point() {
    use egov_cases_web::case_page::{
        extend, Additions, CaseAdditions, CaseLink, CaseOnPage, CasePageExtension,
    };
    struct GridReports;
    impl CasePageExtension for GridReports {
        fn additions<'a>(
            &'a self,
            _: &'a egov_web::AppState,
            on_page: CaseOnPage<'a>,
        ) -> Additions<'a> {
            Box::pin(async move {
                if on_page.case.process_id != "city_grid_case" {
                    return Ok(CaseAdditions::default());
                }
                Ok(CaseAdditions {
                    expected: Some("三个工作日内回复".to_owned()),
                    links: vec![CaseLink {
                        href: format!("/open311/requests/{}", on_page.case.number),
                        label: "Open311 工单".to_owned(),
                        download: false,
                        staff_only: false,
                    }],
                    ..CaseAdditions::default()
                })
            })
        }
    }
    // Added twice (as a slice's parts are when the server composes the
    // state before building the router), it still adds its link once.
    let app =
        TestApp::new_with_state(|state| extend(extend(state, GridReports), GridReports)).await;
    let resident = citizen(&app, "zhang.san").await;
    let opened = form(
        &app,
        &resident,
        "/cases/new",
        &[
            ("csrf", resident.1.as_str()),
            ("process", "city_grid_case"),
            ("department", "110000-CGW"),
            ("title", "东直门内大街 井盖缺失"),
            ("f_category", "井盖"),
            ("f_description", "井盖丢失，有安全隐患"),
        ],
    )
    .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let number = opened
        .header("location")
        .trim_start_matches("/cases/")
        .trim_end_matches("?done=opened")
        .to_owned();
    let shown = page(&app, &resident, &format!("/cases/{number}")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(
        shown
            .body
            .contains(r#"<dd id="expected">三个工作日内回复</dd>"#),
        "{}",
        shown.body
    );
    let link = format!(r#"<a class="button" href="/open311/requests/{number}">Open311 工单</a>"#);
    assert_eq!(shown.body.matches(&link).count(), 1, "{}", shown.body);
}
