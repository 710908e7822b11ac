//! The report page as a resident uses it: choose the kind of problem, put
//! it on the map, describe it, add photos; then the follow link, which
//! anyone holding it can open. Bad input re-shows the form with the
//! message in Chinese and stores nothing.

use crate::common;
use crate::open311::{file_waiting, with_grid};

use axum::http::{Method, StatusCode};
use common::casework::{citizen, dept, multipart_form, nth_citizen, staff, Caller};
use common::{TestApp, TestResponse};
use egov_identity::Role;
use serde_json::{json, Value};

async fn post_report(
    app: &TestApp,
    who: &Caller,
    fields: &[(&str, &str)],
    photos: &[Vec<u8>],
) -> TestResponse {
    let files: Vec<(&str, &str, &[u8])> = photos
        .iter()
        .map(|p| ("media", "photo.jpg", p.as_slice()))
        .collect();
    let (ct, body) = multipart_form(fields, &files);
    app.send(
        Method::POST,
        "/grid/report",
        &[("cookie", &who.0), ("content-type", &ct)],
        body,
    )
    .await
}

#[tokio::test]
async fn a_resident_reports_with_a_photo_and_follows_it_by_link() {
    let app = TestApp::new().await;
    with_grid(&app).await;

    // Signing in comes first.
    let res = app.get("/grid/report").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.header("location").starts_with("/login"));

    let resident = citizen(&app, "li.min").await;
    let page = app
        .get_with("/grid/report", &[("cookie", &resident.0)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<optgroup label=\"部件·公用设施\">"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("<option value=\"c0101\">上水井盖</option>"));
    // The chosen class asks its questions.
    let page = app
        .get_with("/grid/report?service=c0101", &[("cookie", &resident.0)])
        .await;
    assert!(
        page.body.contains("name=\"attribute[cover_state]\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("4个工作小时"), "{}", page.body);

    let good = [
        ("csrf", resident.1.as_str()),
        ("service_code", "c0101"),
        ("lat", "39.9295"),
        ("long", "116.4095"),
        ("address_string", "东华门大街 12 号门前"),
        ("attribute[cover_state]", "missing"),
        ("description", "井盖丢失，夜间行人易跌落"),
    ];
    let photo = egov_grid::photos::samples::jpeg(120, 60, 6);

    // Without the form's token: refused, nothing stored.
    let mut forged = good.to_vec();
    forged[0] = ("csrf", "forged");
    let res = post_report(&app, &resident, &forged, std::slice::from_ref(&photo)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // No place: the form again, with what was typed and the message.
    let nowhere: Vec<_> = good
        .iter()
        .filter(|(k, _)| *k != "lat" && *k != "long")
        .cloned()
        .collect();
    let res = post_report(&app, &resident, &nowhere, std::slice::from_ref(&photo)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("请在地图上点出问题所在位置"),
        "{}",
        res.body
    );
    assert!(res.body.contains("井盖丢失，夜间行人易跌落"));
    assert!(res.body.contains("value=\"missing\" selected"));
    // A required question unanswered, a file that is no photo.
    let unanswered: Vec<_> = good
        .iter()
        .filter(|(k, _)| !k.starts_with("attribute"))
        .cloned()
        .collect();
    let res = post_report(&app, &resident, &unanswered, &[]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("请回答所有必答问题"), "{}", res.body);
    let res = post_report(&app, &resident, &good, &[b"%PDF-1.7".to_vec()]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("第 1 张照片不是 JPEG 或 PNG 图片"),
        "{}",
        res.body
    );
    assert_eq!(app.count("grid_reports").await, 0);

    // The report goes in; the reporter lands on its follow page.
    let res = post_report(&app, &resident, &good, &[photo]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let follow = res.header("location").to_owned();
    assert!(follow.starts_with("/grid/follow/"));
    let who = app
        .texts("SELECT channel || ' ' || (user_id IS NOT NULL) FROM grid_reports")
        .await;
    assert!(who[0] == "citizen 1" || who[0] == "citizen true", "{who:?}");

    // Anyone with the link sees it: received and waiting to be filed,
    // then filed.
    let page = app.get(&follow).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("报告已收到，正在办理"), "{}", page.body);
    assert!(page.body.contains("待立案") && page.body.contains("上水井盖"));
    assert!(page.body.contains("<img src=\"/grid/photos/"));
    assert_eq!(file_waiting(&app).await, 1);
    let page = app.get(&follow).await;
    assert!(page.body.contains("待派遣"), "{}", page.body);
    assert!(page.body.contains("<img src=\"/grid/photos/"));
    let thumb = app.texts("SELECT thumb_sha256 FROM grid_photos").await;
    assert!(page
        .body
        .contains(&format!("/grid/photos/{}.jpg", thumb[0])));
    // Nothing about the reporter is on it.
    assert!(!page.body.contains("li.min"));
    // Filed: it can no longer be withdrawn.
    let mine = app.get_with(&follow, &[("cookie", &resident.0)]).await;
    assert!(!mine.body.contains("/withdraw"), "{}", mine.body);

    let res = app.get("/grid/follow/not-a-token").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // A second report, withdrawn by its reporter before the centre files it:
    // only signed in as the reporter, and with a reason.
    let mut again = good.to_vec();
    again[6] = ("description", "井盖又丢了一个");
    let res = post_report(&app, &resident, &again, &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let second = res.header("location").to_owned();
    let page = app.get_with(&second, &[("cookie", &resident.0)]).await;
    assert!(page.body.contains("撤回报告"), "{}", page.body);
    assert!(!app.get(&second).await.body.contains("/withdraw"));
    let neighbour = nth_citizen(&app, "wang.wu", 1).await;
    for who in [None, Some(&neighbour)] {
        let res = by_link(&app, who, &second, "withdraw", &[("reason", "不用了")]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }
    let res = by_link(
        &app,
        Some(&resident),
        &second,
        "withdraw",
        &[("reason", " ")],
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("请说明撤回的理由"), "{}", res.body);
    assert_eq!(app.count("cases").await, 1, "nothing changed");
    let res = by_link(
        &app,
        Some(&resident),
        &second,
        "withdraw",
        &[("reason", "已自行盖好")],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.header("location").ends_with("?withdrawn=1"));
    let page = app.get_with(&second, &[("cookie", &resident.0)]).await;
    assert!(page.body.contains("已撤回：已自行盖好"), "{}", page.body);
    assert!(!page.body.contains("/withdraw\""), "once only");
    let res = by_link(
        &app,
        Some(&resident),
        &second,
        "withdraw",
        &[("reason", "再撤回")],
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("不能再撤回"), "{}", res.body);
    common::verify_audit(&app).await;
}

/// Reports `e0102` at a point through the page; answers the report's id
/// (its request's), waiting to be filed.
pub(crate) async fn report_waiting(
    app: &TestApp,
    who: &Caller,
    lat: &str,
    long: &str,
    said: &str,
) -> String {
    let fields = [
        ("csrf", who.1.as_str()),
        ("service_code", "e0102"),
        ("lat", lat),
        ("long", long),
        ("description", said),
    ];
    let res = post_report(app, who, &fields, &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    app.texts(&format!(
        "SELECT CAST(id AS TEXT) FROM grid_reports WHERE description = '{said}'"
    ))
    .await
    .remove(0)
}

/// Reports `e0102` at a point through the page; answers the case number
/// once filed.
pub(crate) async fn report_at(
    app: &TestApp,
    who: &Caller,
    lat: &str,
    long: &str,
    said: &str,
) -> String {
    report_waiting(app, who, lat, long, said).await;
    assert_eq!(file_waiting(app).await, 1);
    app.texts(&format!(
        "SELECT c.number FROM cases c JOIN grid_reports r ON r.case_id = c.id WHERE r.description = '{said}'"
    ))
    .await
    .remove(0)
}

/// The request id (the report's) of grid case `number`.
pub(crate) async fn request_of(app: &TestApp, number: &str) -> String {
    app.texts(&format!(
        "SELECT CAST(r.id AS TEXT) FROM grid_reports r JOIN cases c ON c.id = r.case_id \
         WHERE c.number = '{number}' ORDER BY r.id LIMIT 1"
    ))
    .await
    .remove(0)
}

/// The district's command centre dispatcher and the handler it dispatches
/// to (110101-CGZX, 110101-CGZFJ).
struct Crew {
    dispatcher: Caller,
    handler: Caller,
}

async fn crew(app: &TestApp) -> Crew {
    let centre = dept(app, "110101-CGZX").await;
    let enforcement = dept(app, "110101-CGZFJ").await;
    Crew {
        dispatcher: staff(app, "dispatch.dc", centre, &[Role::Dispatcher]).await,
        handler: staff(app, "handler.cgzfj", enforcement, &[Role::Handler]).await,
    }
}

impl Crew {
    /// Takes the steps on case `number`: the handler reports it done, the
    /// dispatcher does the rest.
    async fn take(&self, app: &TestApp, number: &str, steps: &[(&str, Value)]) {
        for (action, fields) in steps {
            let who = match *action {
                "report_done" => &self.handler,
                _ => &self.dispatcher,
            };
            let res = who.act(app, number, action, fields.clone()).await;
            assert_eq!(res.status, StatusCode::OK, "{action}: {}", res.body);
        }
    }

    /// Dispatches, handles and closes filed case `number`.
    async fn close(&self, app: &TestApp, number: &str) {
        let steps = [
            ("dispatch", json!({"department": "110101-CGZFJ"})),
            ("report_done", json!({"result": "已清运"})),
            ("close", json!({})),
        ];
        self.take(app, number, &steps).await;
    }
}

/// The token of the report case `number` was opened from.
async fn token_of(app: &TestApp, number: &str) -> String {
    app.texts(&format!(
        "SELECT r.token FROM grid_reports r JOIN cases c ON c.id = r.case_id WHERE c.number = '{number}'"
    ))
    .await
    .remove(0)
}

/// Posts one of the follow page's forms (`action`: reopen, rate) as its
/// holder's browser would: the page first, for its form token, echoed.
async fn by_link(
    app: &TestApp,
    who: Option<&Caller>,
    follow: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> TestResponse {
    let session = who.map(|w| w.0.clone());
    let page = match &session {
        Some(c) => app.get_with(follow, &[("cookie", c)]).await,
        None => app.get(follow).await,
    };
    let token = page.set_cookie("egov_form").unwrap_or_default();
    let cookie = match session {
        Some(c) => format!("{c}; egov_form={token}"),
        None => format!("egov_form={token}"),
    };
    let mut fields = fields.to_vec();
    fields.push(("csrf", &token));
    app.post_form(&format!("{follow}/{action}"), Some(&cookie), &fields)
        .await
}

async fn kinds_told(app: &TestApp, who: &Caller) -> Vec<(String, String)> {
    let list = who.get(app, "/api/v1/messages").await;
    list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_owned(),
                m["link"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_same_problem_is_followed_or_merged_and_everyone_hears_the_end() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let first = citizen(&app, "zhao.yi").await;
    let a = report_at(&app, &first, "39.9295", "116.4095", "路口垃圾堆放").await;

    // Offered around the point to any client: within 250 m, not beyond.
    let around = |q: &str| {
        let app = &app;
        let q = q.to_owned();
        async move {
            app.get(&format!(
                "/open311/v2/requests.json?service_code=e0102&status=open&{q}"
            ))
            .await
        }
    };
    let a_id = request_of(&app, &a).await;
    let near = around("lat=39.9300&long=116.4100").await.json();
    assert_eq!(near.as_array().unwrap().len(), 1, "{near}");
    assert_eq!(near[0]["service_request_id"], a_id.as_str());
    let far = around("lat=39.9330&long=116.4095").await.json();
    assert_eq!(far.as_array().unwrap().len(), 0, "about 390 m away: {far}");
    let wider = around("lat=39.9330&long=116.4095&radius=500").await.json();
    assert_eq!(wider.as_array().unwrap().len(), 1);
    for bad in [
        "lat=39.93",
        "lat=39.93&long=116.41&radius=0",
        "lat=39.93&long=116.41&radius=9000",
        "lat=x&long=1",
    ] {
        assert_eq!(around(bad).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }

    // A neighbour follows it instead of reporting again.
    let second = nth_citizen(&app, "qian.er", 1).await;
    let res = app
        .post_form(
            &format!("/grid/reports/{a_id}/follow"),
            Some(&second.0),
            &[("csrf", &second.1)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let link = res.header("location").to_owned();
    assert!(
        link.starts_with("/grid/follow/") && link.ends_with("?followed=1"),
        "{link}"
    );
    assert!(app.get(&link).await.body.contains("您已关注此问题"));
    let forged = app
        .post_form(
            &format!("/grid/reports/{a_id}/follow"),
            Some(&second.0),
            &[("csrf", "x")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("case_followers").await, 1);

    // A third reports it anyway; the dispatcher merges it.
    let third = nth_citizen(&app, "sun.san", 2).await;
    let c = report_at(&app, &third, "39.9297", "116.4097", "又见路口垃圾").await;
    let centre = dept(&app, "110101-CGZX").await;
    let crew = crew(&app).await;
    let dispatcher = crew.dispatcher.clone();
    let handler_elsewhere = staff(&app, "handler.x", centre, &[Role::Handler]).await;
    let page = app
        .get_with(&format!("/cases/{c}"), &[("cookie", &dispatcher.0)])
        .await;
    assert!(
        page.body
            .contains(&format!("/grid/requests/{c}/duplicates")),
        "{}",
        page.body
    );
    let own = app
        .get_with(&format!("/cases/{c}"), &[("cookie", &third.0)])
        .await;
    assert!(
        !own.body.contains("/duplicates"),
        "the reporter is not offered the merge"
    );
    let page = app
        .get_with(
            &format!("/grid/requests/{c}/duplicates"),
            &[("cookie", &dispatcher.0)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("name=\"into\" value=\"{a}\"")),
        "{}",
        page.body
    );
    let res = app
        .get_with(
            &format!("/grid/requests/{c}/duplicates"),
            &[("cookie", &handler_elsewhere.0)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let merge = |into: String| {
        let (app, d, c) = (&app, &dispatcher, c.clone());
        async move {
            app.post_form(
                &format!("/grid/requests/{c}/merge"),
                Some(&d.0),
                &[("csrf", &d.1), ("into", &into), ("reason", "")],
            )
            .await
        }
    };
    let res = merge(c.clone()).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("不能并入本案件"));
    let res = merge("20269999999".into()).await;
    assert!(res.body.contains("没有网格案件 20269999999"));
    let res = merge(a.clone()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.header("location"), format!("/cases/{a}?done=merged"));
    let r = &app
        .get(&format!(
            "/open311/v2/requests/{}.json",
            request_of(&app, &c).await
        ))
        .await
        .json()[0];
    assert_eq!(r["status"], "closed");
    assert_eq!(
        r["status_notes"].as_str().unwrap(),
        format!("已并案：与案件 {a} 为同一问题，合并办理")
    );
    assert!(kinds_told(&app, &third)
        .await
        .iter()
        .any(|(k, l)| k == "case_decided" && l == &format!("/cases/{c}")));
    // Merged once: not again.
    let res = merge(a.clone()).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("不能再并案"), "{}", res.body);
    assert_eq!(app.count("case_followers").await, 2);

    // A fourth reports it too; before the centre gets to it, a fifth
    // follows that report, offered it nearby as a request waiting.
    let fourth = nth_citizen(&app, "li.si", 3).await;
    let d = report_waiting(&app, &fourth, "39.9296", "116.4096", "路口垃圾又堆起来了").await;
    let near = around("lat=39.9296&long=116.4096").await.json();
    assert!(
        near.as_array()
            .unwrap()
            .iter()
            .any(|r| r["service_request_id"] == d.as_str() && r["status_notes"] == "待立案"),
        "{near}"
    );
    let fifth = nth_citizen(&app, "zhou.wu", 4).await;
    let res = app
        .post_form(
            &format!("/grid/reports/{d}/follow"),
            Some(&fifth.0),
            &[("csrf", &fifth.1)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(app.count("grid_report_followers").await, 1);
    // The dispatcher merges the report from its page: not into a case that
    // is not there, then into the open one.
    let page = app
        .get_with(&format!("/grid/reports/{d}"), &[("cookie", &dispatcher.0)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(&format!("name=\"into\" value=\"{a}\"")),
        "{}",
        page.body
    );
    let decide = |fields: Vec<(&'static str, String)>| {
        let (app, dd, d) = (&app, &dispatcher, d.clone());
        async move {
            let mut form: Vec<(&str, &str)> = vec![("csrf", dd.1.as_str())];
            form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
            app.post_form(&format!("/grid/reports/{d}/decide"), Some(&dd.0), &form)
                .await
        }
    };
    let res = decide(vec![
        ("decision", "merge".into()),
        ("into", "20269999999".into()),
    ])
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("没有网格案件 20269999999"),
        "{}",
        res.body
    );
    assert!(
        app.texts(&format!(
            "SELECT CAST(id AS TEXT) FROM grid_reports WHERE id = {d} AND case_id IS NULL"
        ))
        .await
        .len()
            == 1,
        "refused: still waiting, no case"
    );
    let res = decide(vec![("decision", "merge".into()), ("into", a.clone())]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.header("location"), format!("/cases/{a}?done=merged"));
    let r = &app
        .get(&format!("/open311/v2/requests/{d}.json"))
        .await
        .json()[0];
    assert_eq!(r["status"], "closed");
    // Decided once: the page now leads to its case, and deciding again
    // changes nothing.
    let res = decide(vec![("decision", "file".into())]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), format!("/grid/reports/{d}"));
    // The second and third follow the case; the fifth followed the fourth's
    // case as it was merged, and both now follow the case.
    assert_eq!(app.count("case_followers").await, 5);

    // The case goes through its steps; at its end all three hear it, the
    // followers with the link they follow it by.
    crew.close(&app, &a).await;
    let follow_link = format!("/grid/follow/{}", token_of(&app, &a).await);
    assert!(kinds_told(&app, &first)
        .await
        .contains(&("case_decided".to_owned(), format!("/cases/{a}"))));
    for who in [&second, &third, &fourth, &fifth] {
        assert!(
            kinds_told(&app, who)
                .await
                .contains(&("case_decided".to_owned(), follow_link.clone())),
            "{:?}",
            kinds_told(&app, who).await
        );
    }
    common::verify_audit(&app).await;
}

#[tokio::test]
async fn a_reporter_sends_a_closed_case_back_when_it_was_not_fixed() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let reporter = citizen(&app, "zhou.si").await;
    let a = report_at(&app, &reporter, "39.9295", "116.4095", "垃圾满地").await;
    let crew = crew(&app).await;
    crew.close(&app, &a).await;
    let token = token_of(&app, &a).await;
    let follow = format!("/grid/follow/{token}");
    // Whoever holds the link is offered the form, signed in or not: for a
    // caller to 12345 the link is all there is.
    let own = app.get_with(&follow, &[("cookie", &reporter.0)]).await;
    assert!(own.body.contains("问题没有解决？"), "{}", own.body);
    assert!(own.body.contains("结案后 7 天内"));
    assert!(app.get(&follow).await.body.contains("问题没有解决？"));

    let send_back = |who: &Caller, reason: &str| {
        let (app, who, follow, reason) = (&app, who.clone(), follow.clone(), reason.to_owned());
        async move { by_link(app, Some(&who), &follow, "reopen", &[("reason", &reason)]).await }
    };
    // Without the page's form token nothing is taken.
    let forged = app
        .post_form(
            &format!("{follow}/reopen"),
            Some(&format!("{}; egov_form=mine", reporter.0)),
            &[("csrf", "theirs"), ("reason", "没修好")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // A link that leads nowhere, with a form token that matches.
    let nowhere = app
        .post_form(
            "/grid/follow/0000/reopen",
            Some("egov_form=same"),
            &[("csrf", "same"), ("reason", "没修好")],
        )
        .await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    let res = send_back(&reporter, "  ").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("请说明哪里还没有解决"), "{}", res.body);
    let cases_before = app.count("cases").await;

    let res = send_back(&reporter, "垃圾又堆起来了").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let link = res.header("location").to_owned();
    assert!(link.ends_with("?reopened=1"), "{link}");
    let page = app.get(&link).await;
    assert!(page.body.contains("案件已交回原处置单位"), "{}", page.body);
    assert!(page.body.contains("处置中"));
    // Straight back to the department that handled it, which is told.
    let new = app
        .texts(&format!(
            "SELECT c.number || ' ' || c.state || ' ' || d.code FROM cases c \
             JOIN departments d ON d.id = c.assigned_department_id \
             JOIN cases p ON p.id = c.parent_id WHERE p.number = '{a}'"
        ))
        .await;
    let parts: Vec<&str> = new[0].split(' ').collect();
    assert_eq!(&parts[1..], ["handling", "110101-CGZFJ"]);
    let told = crew.handler.get(&app, "/api/v1/messages").await;
    assert!(
        told["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "task_assigned" && m["link"] == format!("/cases/{}", parts[0])),
        "{told}"
    );
    let r = &app
        .get(&format!(
            "/open311/v2/requests/{}.json",
            request_of(&app, parts[0]).await
        ))
        .await
        .json()[0];
    assert_eq!(
        (r["status"].as_str(), r["service_code"].as_str()),
        (Some("open"), Some("e0102"))
    );

    // Once only, and only within the time.
    let res = send_back(&reporter, "还是没好").await;
    assert!(res.body.contains("已反映过未解决"), "{}", res.body);
    app.db()
        .execute(
            egov_store::query("UPDATE cases SET closed_at = $1 WHERE number = $2")
                .bind(egov_kernel::time::now() - chrono::Duration::days(8))
                .bind(a.clone()),
        )
        .await
        .unwrap();
    let res = send_back(&reporter, "还是没好").await;
    assert!(res.body.contains("已超过结案后 7 天"), "{}", res.body);
    assert_eq!(app.count("cases").await, cases_before + 1);
    common::verify_audit(&app).await;
}

#[tokio::test]
async fn a_hotline_operator_types_in_a_call_and_the_number_stays_hidden() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let hotline = dept(&app, "110000-CGW").await;
    let operator = staff(&app, "operator.12345", hotline, &[Role::Handler]).await;
    let page = app
        .get_with("/grid/report?service=e0102", &[("cookie", &operator.0)])
        .await;
    assert!(page.body.contains("12345 热线来电"), "{}", page.body);
    let call = |phone: &str| {
        vec![
            ("csrf", operator.1.clone()),
            ("service_code", "e0102".to_owned()),
            ("channel", "hotline".to_owned()),
            ("caller_phone", phone.to_owned()),
            ("lat", "39.9295".to_owned()),
            ("long", "116.4095".to_owned()),
            ("description", "市民来电：路口垃圾无人清运".to_owned()),
        ]
    };
    let bad = call("12345");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = post_report(&app, &operator, &bad, &[]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("来电号码须为 11 位手机号码"),
        "{}",
        res.body
    );
    assert_eq!(app.count("grid_reports").await, 0);
    let good = call("13911112222");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = post_report(&app, &operator, &good, &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let stored = app
        .texts("SELECT channel || ' ' || reporter FROM grid_reports")
        .await;
    assert!(
        stored[0].starts_with("hotline ") && stored[0].contains("13911112222"),
        "{stored:?}"
    );
    // The number is kept for the call-back, and shown nowhere public.
    let follow = res.header("location").to_owned();
    file_waiting(&app).await;
    assert!(!app.get(&follow).await.body.contains("13911112222"));
    assert!(!app
        .get("/open311/v2/requests.json")
        .await
        .body
        .contains("13911112222"));

    // The centre's dispatcher, and the department handling it, see it
    // masked, and whole on asking, which is audited; nobody else sees it.
    let number = app
        .texts("SELECT c.number FROM cases c JOIN grid_reports r ON r.case_id = c.id")
        .await
        .remove(0);
    let crew = crew(&app).await;
    let contact = format!("/grid/requests/{number}/reporter");
    let case_page = app
        .get_with(
            &format!("/cases/{number}"),
            &[("cookie", &crew.dispatcher.0)],
        )
        .await;
    assert!(case_page.body.contains(&contact), "{}", case_page.body);
    let masked = app
        .get_with(&contact, &[("cookie", &crew.dispatcher.0)])
        .await;
    assert_eq!(masked.status, StatusCode::OK);
    assert!(masked.body.contains("139****2222"), "{}", masked.body);
    assert!(!masked.body.contains("13911112222"));
    assert!(masked.body.contains("12345 热线来电"));
    let revealed_before = app
        .count_where("audit_log", "action = 'grid.reporter_revealed'")
        .await;
    assert_eq!(revealed_before, 0);
    // Not before the case is theirs: the handler of the enforcement bureau.
    let res = app.get_with(&contact, &[("cookie", &crew.handler.0)]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let forged = app
        .post_form(&contact, Some(&crew.dispatcher.0), &[("csrf", "forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    crew.take(
        &app,
        &number,
        &[("dispatch", json!({"department": "110101-CGZFJ"}))],
    )
    .await;
    let whole = app
        .post_form(
            &contact,
            Some(&crew.handler.0),
            &[("csrf", crew.handler.1.as_str())],
        )
        .await;
    assert_eq!(whole.status, StatusCode::OK, "{}", whole.body);
    assert!(whole.body.contains("13911112222"), "{}", whole.body);
    let revealed: Vec<String> = app
        .texts("SELECT object_id FROM audit_log WHERE action = 'grid.reporter_revealed'")
        .await;
    assert_eq!(revealed, std::slice::from_ref(&number));
    for who in [&operator] {
        let res = app.get_with(&contact, &[("cookie", &who.0)]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }

    // A resident cannot pass for the hotline.
    let resident = citizen(&app, "zheng.liu").await;
    let res = app.get_with(&contact, &[("cookie", &resident.0)]).await;
    assert_ne!(res.status, StatusCode::OK);
    assert!(!res.body.contains("2222"));
    let mine = call("13911112222");
    let mut mine: Vec<(&str, &str)> = mine.iter().map(|(k, v)| (*k, v.as_str())).collect();
    mine[0] = ("csrf", resident.1.as_str());
    let res = post_report(&app, &resident, &mine, &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let last = app
        .texts("SELECT channel || ' ' || reporter FROM grid_reports ORDER BY id DESC LIMIT 1")
        .await;
    assert_eq!(last[0], "citizen {}");
}

#[tokio::test]
async fn callers_rate_on_the_call_back_or_by_their_link_and_the_hotline_counts_it() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let hotline = dept(&app, "110000-CGW").await;
    let operator = staff(&app, "operator.12345", hotline, &[Role::Handler]).await;
    let crew = crew(&app).await;
    let call = |what: &str| {
        let (app, operator, what) = (&app, operator.clone(), what.to_owned());
        async move {
            let fields = [
                ("csrf", operator.1.as_str()),
                ("service_code", "e0102"),
                ("channel", "hotline"),
                ("caller_phone", "13911112222"),
                ("lat", "39.9295"),
                ("long", "116.4095"),
                ("description", what.as_str()),
            ];
            let res = post_report(app, &operator, &fields, &[]).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
            file_waiting(app).await;
            let follow = res.header("location").to_owned();
            let number = app
                .texts(&format!(
                    "SELECT c.number FROM cases c JOIN grid_reports r ON r.case_id = c.id \
                     WHERE r.description = '{what}'"
                ))
                .await
                .remove(0);
            (follow, number)
        }
    };

    // On the call-back: the centre's dispatcher records what the caller said,
    // once the case is closed; the department that did the work cannot.
    let (follow, number) = call("市民来电：路口垃圾无人清运").await;
    let contact = format!("/grid/requests/{number}/reporter");
    let callback = format!("/grid/requests/{number}/callback");
    let page = app
        .get_with(&contact, &[("cookie", &crew.dispatcher.0)])
        .await;
    assert!(
        page.body.contains("结案后，由指挥中心派遣员回访"),
        "{}",
        page.body
    );
    crew.close(&app, &number).await;
    let page = app
        .get_with(&contact, &[("cookie", &crew.dispatcher.0)])
        .await;
    assert!(page.body.contains("记录回访结果"), "{}", page.body);
    let record = |who: &Caller, grade: &str, comment: &str| {
        let (app, who, callback) = (&app, who.clone(), callback.clone());
        let (grade, comment) = (grade.to_owned(), comment.to_owned());
        async move {
            app.post_form(
                &callback,
                Some(&who.0),
                &[("csrf", &who.1), ("grade", &grade), ("comment", &comment)],
            )
            .await
        }
    };
    assert_eq!(
        record(&crew.handler, "5", "").await.status,
        StatusCode::FORBIDDEN
    );
    let res = record(&crew.dispatcher, "2", " ").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("选择不满意时，请说明原因"),
        "{}",
        res.body
    );
    assert_eq!(app.count("case_ratings").await, 0);
    let res = record(&crew.dispatcher, "4", "清运及时").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let on_record = app
        .texts(&format!(
            "SELECT g.grade || ' ' || g.rated_via || ' ' || u.username FROM case_ratings g \
             JOIN users u ON u.id = g.rated_by JOIN cases c ON c.id = g.case_id \
             WHERE c.number = '{number}'"
        ))
        .await;
    assert_eq!(on_record, ["4 callback dispatch.dc"]);
    let page = app
        .get_with(res.header("location"), &[("cookie", &crew.dispatcher.0)])
        .await;
    assert!(page.body.contains("已记录回访结果"), "{}", page.body);
    assert!(
        page.body.contains("满意</strong>（回访记录）"),
        "{}",
        page.body
    );
    // Once: the caller's link shows the rating and asks for none.
    let res = record(&crew.dispatcher, "5", "").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("此案件已评价过"), "{}", res.body);
    let page = app.get(&follow).await;
    assert!(
        page.body.contains("您的评价：<strong>满意"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("提交评价"));

    // By the link: a caller who was not reached rates it themselves, without
    // an account; a bad grade needs its reason and opens a follow-up.
    let (follow, number) = call("市民来电：井盖缺失").await;
    assert!(!app.get(&follow).await.body.contains("提交评价"));
    crew.close(&app, &number).await;
    assert!(app.get(&follow).await.body.contains("提交评价"));
    let res = by_link(
        &app,
        None,
        &follow,
        "rate",
        &[("grade", "1"), ("comment", "")],
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("选择不满意时，请说明原因"),
        "{}",
        res.body
    );
    let res = by_link(&app, None, &follow, "rate", &[("grade", "9")]).await;
    assert!(res.body.contains("请选择满意程度"), "{}", res.body);
    // Sent twice at once (a double tap): one rating, one follow-up.
    let rate_badly = || {
        by_link(
            &app,
            None,
            &follow,
            "rate",
            &[("grade", "1"), ("comment", "井盖只是临时盖上")],
        )
    };
    let (first, second) = tokio::join!(rate_badly(), rate_badly());
    let (res, other) = match first.status {
        StatusCode::SEE_OTHER => (first, second),
        _ => (second, first),
    };
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(other.status, StatusCode::BAD_REQUEST, "{}", other.body);
    let followups = app
        .texts(&format!(
            "SELECT f.number FROM cases f JOIN cases c ON c.id = f.parent_id \
             WHERE c.number = '{number}' AND f.process_id = 'rating_followup'"
        ))
        .await;
    assert_eq!(followups.len(), 1, "{followups:?}");
    assert!(res.header("location").ends_with("?rated=1"));
    let given = app
        .texts(&format!(
            "SELECT g.grade || ' ' || g.rated_via || ' ' || COALESCE(CAST(g.rated_by AS TEXT), '-') \
             || ' ' || f.process_id FROM case_ratings g JOIN cases c ON c.id = g.case_id \
             JOIN cases f ON f.id = g.followup_case_id WHERE c.number = '{number}'"
        ))
        .await;
    assert_eq!(given, ["1 link - rating_followup"]);
    let res = by_link(&app, None, &follow, "rate", &[("grade", "5")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("此案件已评价过"), "{}", res.body);
    assert!(
        res.body.contains("您的评价：<strong>非常不满意"),
        "{}",
        res.body
    );
    assert_eq!(app.count("case_ratings").await, 2);

    // Both count in the hotline's satisfaction: two rated, one satisfied.
    let month = egov_indicators::Period::month_of(egov_kernel::time::beijing_today());
    egov_grid::figures::publish(app.db(), month).await.unwrap();
    let res = app
        .get(&format!(
            "/api/v1/indicators/grid.hotline_satisfaction_rate/data?area=110101&from={month}&to={month}"
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        res.json()["data"][0]["value"].as_f64(),
        Some(50.0),
        "{}",
        res.body
    );
    common::verify_audit(&app).await;
}

#[tokio::test]
async fn the_command_centre_sees_open_cases_and_is_told_when_they_move() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let app = TestApp::new().await;
    with_grid(&app).await;
    let resident = citizen(&app, "feng.qi").await;
    let centre = dept(&app, "110101-CGZX").await;
    let dispatcher = staff(&app, "dispatch.dc", centre, &[Role::Dispatcher]).await;
    let handler = staff(&app, "handler.cgw", centre, &[Role::Handler]).await;
    let a = report_waiting(&app, &resident, "39.9295", "116.4095", "垃圾桶满了").await;
    // The centre's list is the dispatchers' queue: no notice (nor SMS) per
    // report, which at a peak would bury them.
    let told = dispatcher.get(&app, "/api/v1/messages").await;
    assert_eq!(told["messages"], json!([]), "{told}");

    // Waiting to be filed: listed with its filing deadline, leading to the
    // report's page.
    let page = app
        .get_with("/grid/centre", &[("cookie", &dispatcher.0)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!("<a href=\"/grid/reports/{a}\">")),
        "{}",
        page.body
    );
    assert!(page.body.contains("暴露垃圾") && page.body.contains("待立案"));
    assert_eq!(
        app.get_with("/grid/centre", &[("cookie", &handler.0)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let rows = app
        .get_with("/grid/centre/cases.json", &[("cookie", &dispatcher.0)])
        .await
        .json();
    assert_eq!(rows[0]["number"], a.as_str());
    assert_eq!(rows[0]["state"], "reported");
    assert!(!rows[0]["due"].as_str().unwrap().is_empty(), "{rows}");
    // Only its centre's dispatchers decide on it: not a handler, not
    // another district's dispatcher, and not without reasons.
    let xicheng = dept(&app, "110102-CGZX").await;
    let elsewhere = staff(&app, "dispatch.xc", xicheng, &[Role::Dispatcher]).await;
    let decide = |who: &Caller, fields: &[(&str, &str)]| {
        let (app, who, a) = (&app, who.clone(), a.clone());
        let mut form = vec![("csrf".to_owned(), who.1.clone())];
        form.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        async move {
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            app.post_form(&format!("/grid/reports/{a}/decide"), Some(&who.0), &form)
                .await
        }
    };
    for who in [&handler, &elsewhere] {
        let res = decide(who, &[("decision", "file")]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }
    let res = app
        .get_with(&format!("/grid/reports/{a}"), &[("cookie", &handler.0)])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Another centre looks on, as on the list, without the forms.
    let res = app
        .get_with(&format!("/grid/reports/{a}"), &[("cookie", &elsewhere.0)])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(!res.body.contains("/decide"), "{}", res.body);
    let own = app
        .get_with(&format!("/grid/reports/{a}"), &[("cookie", &dispatcher.0)])
        .await;
    assert!(own.body.contains(&format!("/grid/reports/{a}/decide")));
    let res = decide(&dispatcher, &[("decision", "refuse"), ("reasons", " ")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("请填写理由"), "{}", res.body);
    let forged = app
        .post_form(
            &format!("/grid/reports/{a}/decide"),
            Some(&dispatcher.0),
            &[("csrf", "forged"), ("decision", "file")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(app.texts("SELECT number FROM cases").await.is_empty());

    // The stream says "changed" at once, with the newest step.
    let version = || {
        let (app, cookie) = (&app, dispatcher.0.clone());
        async move {
            app.get_with("/grid/centre/events", &[("cookie", &cookie)])
                .await
                .json()["version"]
                .as_i64()
                .unwrap()
        }
    };
    let before = version().await;
    let req = axum::http::Request::get("/grid/centre/events")
        .header("cookie", &dispatcher.0)
        .header("accept", "text/event-stream")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut body = res.into_body();
    let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
    let text = String::from_utf8_lossy(&frame).into_owned();
    assert_eq!(text, format!("event: changed\ndata: {before}\n\n"));
    // Filed from its page: the case opens as of the report and the
    // dispatcher goes on to dispatch it; the version the stream watches
    // moves.
    let res = decide(&dispatcher, &[("decision", "file")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let number = app.texts("SELECT number FROM cases").await.remove(0);
    assert_eq!(
        res.header("location"),
        format!("/grid/requests/{number}/dispatch")
    );
    assert!(version().await > before);
    let rows = app
        .get_with("/grid/centre/cases.json", &[("cookie", &dispatcher.0)])
        .await
        .json();
    assert_eq!(rows[0]["state"], "dispatching");
    assert_eq!(rows[0]["href"], format!("/cases/{number}"));
    let opened = app
        .texts(&format!(
            "SELECT CAST(c.created_at = r.received_at AS TEXT) FROM cases c \
             JOIN grid_reports r ON r.case_id = c.id WHERE c.number = '{number}'"
        ))
        .await;
    assert!(opened[0] == "1" || opened[0] == "true", "{opened:?}");
    let told = dispatcher.get(&app, "/api/v1/messages").await;
    assert_eq!(told["messages"], json!([]), "{told}");
    common::verify_audit(&app).await;
}

#[tokio::test]
async fn the_months_figures_count_filing_closing_rework_and_the_hotline() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let centre = dept(&app, "110101-CGZX").await;
    let crew = crew(&app).await;
    let operator = staff(&app, "operator.12345", centre, &[Role::Handler]).await;
    // A call, filed, extended, sent back once, closed.
    let call = [
        ("csrf", operator.1.as_str()),
        ("service_code", "e0102"),
        ("channel", "hotline"),
        ("caller_phone", "13911112222"),
        ("lat", "39.9295"),
        ("long", "116.4095"),
        ("description", "来电：垃圾"),
    ];
    assert_eq!(
        post_report(&app, &operator, &call, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    file_waiting(&app).await;
    let called = app.texts("SELECT c.number FROM cases c").await.remove(0);
    crew.take(
        &app,
        &called,
        &[
            ("dispatch", json!({"department": "110101-CGZFJ"})),
            ("extend", json!({"reason": "需协调物业"})),
            ("report_done", json!({"result": "已清运"})),
            ("rework", json!({"reason": "未清理干净"})),
            ("report_done", json!({"result": "已清理干净"})),
            ("close", json!({})),
        ],
    )
    .await;
    // A report not filed, one filed and still being handled, and one the
    // centre has not got to yet.
    let resident = citizen(&app, "chu.ba").await;
    let turned_away = report_waiting(&app, &resident, "39.9296", "116.4096", "不是垃圾").await;
    let res = app
        .post_form(
            &format!("/grid/reports/{turned_away}/decide"),
            Some(&crew.dispatcher.0),
            &[
                ("csrf", &crew.dispatcher.1),
                ("decision", "refuse"),
                ("reasons", "现场无此问题"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let open = report_at(&app, &resident, "39.9297", "116.4097", "还有垃圾").await;
    crew.take(
        &app,
        &open,
        &[("dispatch", json!({"department": "110101-CGZFJ"}))],
    )
    .await;
    report_waiting(&app, &resident, "39.9298", "116.4098", "垃圾未清").await;

    // Received last month: the indicator pages show whole months.
    let month = egov_indicators::Period::month_of(egov_kernel::time::beijing_today()).previous();
    let mid = egov_kernel::time::from_beijing(
        (month.days().0 + chrono::Duration::days(14)).and_time(chrono::NaiveTime::MIN),
    );
    app.db()
        .execute(egov_store::query("UPDATE grid_reports SET received_at = $1").bind(mid))
        .await
        .unwrap();
    let first = egov_grid::figures::publish(app.db(), month).await.unwrap();
    assert!(first.imported >= 12 * 3, "{first:?}");
    let again = egov_grid::figures::publish(app.db(), month).await.unwrap();
    assert_eq!((again.imported, again.updated), (0, 0), "{again:?}");
    let value = |indicator: &str, area: &str| {
        let (app, indicator, area) = (&app, indicator.to_owned(), area.to_owned());
        async move {
            let res = app
                .get(&format!(
                    "/api/v1/indicators/{indicator}/data?area={area}&from={month}&to={month}"
                ))
                .await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            // To the indicator's one decimal.
            res.json()["data"][0]["value"]
                .as_f64()
                .map(|v| (v * 10.0).round() / 10.0)
        }
    };
    // The district and its street alike: 4 reports, 2 filed, 1 closed.
    for area in ["110101", "110101001"] {
        assert_eq!(
            value("grid.register_rate", area).await,
            Some(50.0),
            "{area}"
        );
        assert_eq!(value("grid.close_rate", area).await, Some(50.0), "{area}");
        assert_eq!(value("grid.rework_rate", area).await, Some(100.0), "{area}");
        assert_eq!(
            value("grid.extension_rate", area).await,
            Some(50.0),
            "{area}"
        );
        assert_eq!(value("grid.hotline_response_rate", area).await, Some(100.0));
        assert_eq!(value("grid.hotline_solve_rate", area).await, Some(100.0));
    }
    // The department that handled them: two filed, one closed on time.
    assert_eq!(value("grid.close_rate", "110101-CGZFJ").await, Some(50.0));
    assert_eq!(
        value("grid.on_time_close_rate", "110101-CGZFJ").await,
        Some(100.0)
    );
    // The public indicator pages, their ranking of districts and exports.
    let page = app.get("/statistics/grid.close_rate?area=110101").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("结案率"), "{}", page.body);
    let csv = app
        .get("/statistics/grid.register_rate/districts.csv?area=110000")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.contains("1,110101,东城区,") && csv.body.contains(",50,"),
        "{}",
        csv.body
    );
    let xlsx = app
        .get("/statistics/grid.hotline_response_rate/series.xlsx?area=110101")
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.bytes.starts_with(b"PK"));
    // The month's ranking on the composite score, for everyone.
    let ranking = app.get("/rankings/grid.score").await;
    assert_eq!(ranking.status, StatusCode::OK);
    assert!(
        ranking.body.contains("城市管理综合评价") && ranking.body.contains("东城区"),
        "{}",
        ranking.body
    );
    assert_eq!(
        app.get("/rankings/grid.hotline_score").await.status,
        StatusCode::OK
    );
}
