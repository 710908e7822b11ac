//! The report page as a resident uses it: choose the kind of problem, put
//! it on the map, describe it, add photos; then the follow link, which
//! anyone holding it can open. Bad input re-shows the form with the
//! message in Chinese and stores nothing.

use crate::common;
use crate::open311::{open_waiting, with_grid};

use axum::http::{Method, StatusCode};
use common::casework::{citizen, multipart_form, Caller};
use common::{TestApp, TestResponse};

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
    let res = post_report(&app, &resident, &forged, &[photo.clone()]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // No place: the form again, with what was typed and the message.
    let nowhere: Vec<_> = good
        .iter()
        .filter(|(k, _)| *k != "lat" && *k != "long")
        .cloned()
        .collect();
    let res = post_report(&app, &resident, &nowhere, &[photo.clone()]).await;
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

    // Anyone with the link sees it: received, then filed as a case.
    let page = app.get(&follow).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("报告已收到，正在登记"), "{}", page.body);
    assert!(page.body.contains("上水井盖"));
    assert_eq!(open_waiting(&app).await, 1);
    let page = app.get(&follow).await;
    assert!(page.body.contains("报告已登记，正在办理"), "{}", page.body);
    assert!(page.body.contains("待立案"));
    assert!(page.body.contains("<img src=\"/grid/photos/"));
    let thumb = app.texts("SELECT thumb_sha256 FROM grid_photos").await;
    assert!(page
        .body
        .contains(&format!("/grid/photos/{}.jpg", thumb[0])));
    // Nothing about the reporter is on it.
    assert!(!page.body.contains("li.min"));

    let res = app.get("/grid/follow/not-a-token").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    common::verify_audit(&app).await;
}
