//! The statistics pages as their readers use them: anyone opens a public
//! indicator's dashboard (series, lights, forecast, districts) and takes
//! its figures as CSV or Excel; a civil servant also sees the internal
//! ones, and watches an area's light from the page.

use crate::common::casework::{dept, staff, Caller};
use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use egov_identity::Role;
use serde_json::json;

async fn civil_servant(app: &TestApp) -> Caller {
    staff(
        app,
        "stats.reader",
        dept(app, "110101-GOV").await,
        &[Role::Handler],
    )
    .await
}

/// The demonstration series, and an internal indicator whose unit tries to
/// end the page's script.
async fn figures(app: &TestApp, admin: &Caller) {
    egov_indicators_web::demo::load(app.db()).await.unwrap();
    let internal = json!({"code": "internal_rate", "name": "内部指标", "numerator": "#{demo.retail.value}",
        "denominator": "1", "factor": 1.0, "unit": "</script><b>x", "public": false});
    let res = admin
        .send(
            app,
            Method::PUT,
            "/api/v1/indicators/internal_rate",
            internal,
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
}

async fn admin(app: &TestApp) -> Caller {
    let pw = app.staff("stats.admin", true).await;
    let (cookie, csrf) = app.sign_in("stats.admin", &pw).await;
    Caller(cookie, csrf)
}

fn chart_data(body: &str) -> serde_json::Value {
    let start = body
        .find(r#"<script type="application/json" id="chart-data">"#)
        .unwrap();
    let json = &body[start..];
    let json = &json[json.find('>').unwrap() + 1..json.find("</script>").unwrap()];
    serde_json::from_str(json).unwrap()
}

#[tokio::test]
async fn anyone_reads_a_public_dashboard_and_takes_its_figures_as_csv_or_excel() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    figures(&app, &admin).await;

    let list = app.get("/statistics").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(r#"href="/statistics/demo.retail""#));
    assert!(
        !list.body.contains("internal_rate"),
        "internal to staff only"
    );

    let page = app.get("/statistics/demo.retail").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(r#"id="demonstration""#));
    // The newest month first; a year ahead forecast; the 16 districts.
    let table = &page.body[page.body.find(r#"id="series-table""#).unwrap()..];
    assert!(table.contains(r#"<th scope="row">202610</th>"#));
    let forecast = &page.body[page.body.find(r#"id="forecast-table""#).unwrap()..];
    let forecast = &forecast[..forecast.find("</table>").unwrap()];
    assert_eq!(forecast.matches(r#"<th scope="row">"#).count(), 12);
    assert!(forecast.contains(r#"<th scope="row">202611</th>"#));
    assert!(page.body.contains(r#"id="mase""#));
    let districts = &page.body[page.body.find(r#"id="districts-table""#).unwrap()..];
    let districts = &districts[..districts.find("</table>").unwrap()];
    assert_eq!(districts.matches("<tr><td class=\"num\">").count(), 16);
    let chart = chart_data(&page.body);
    assert_eq!(chart["periods"].as_array().unwrap().len(), 120);
    assert_eq!(chart["forecast"]["periods"].as_array().unwrap().len(), 12);
    assert_eq!(chart["map"], "110000");
    // No watch form for the public.
    assert!(!page.body.contains("watch-form"));

    // A district is drawn among the districts.
    let page = app.get("/statistics/demo.retail?area=110108").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"<option value="110108" selected>"#));
    let chart = chart_data(&page.body);
    assert_eq!(chart["divisions"].as_array().unwrap().len(), 16);

    // The series as CSV: a header, ten years, a year ahead.
    let csv = app.get("/statistics/demo.retail/series.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with('\u{feff}'), "a BOM for spreadsheets");
    let lines: Vec<&str> = csv.body.trim_end().lines().collect();
    assert_eq!(lines.len(), 1 + 120 + 12);
    assert!(lines[0].contains("报告期") && lines[0].contains("95%区间上限"));
    assert!(lines[120].starts_with("202610,"));

    // The districts as Excel, ranked: 海淀区 has the largest share.
    let xlsx = app
        .get_with("/statistics/demo.retail/districts.xlsx", &[])
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        xlsx.headers.get("content-type").unwrap(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let rows = egov_documents::sheet::read(&xlsx.bytes).unwrap();
    assert_eq!(rows.len(), 17);
    assert_eq!(rows[1][2], "海淀区");

    for missing in [
        "/statistics/demo.retail/other.csv",
        "/statistics/demo.retail/series.pdf",
        "/statistics/nope",
        "/statistics/internal_rate",
    ] {
        assert_eq!(
            app.get(missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

#[tokio::test]
async fn a_civil_servant_sees_internal_indicators_escaped_and_watches_a_light_from_the_page() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    figures(&app, &admin).await;
    let reader = civil_servant(&app).await;
    let cookie = [("cookie", reader.0.as_str())];

    let list = app.get_with("/statistics", &cookie).await;
    assert!(list.body.contains(r#"href="/statistics/internal_rate""#));
    let page = app.get_with("/statistics/internal_rate", &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        !page.body.contains("<b>x"),
        "the unit is escaped everywhere"
    );
    assert_eq!(chart_data(&page.body)["unit"], "</script><b>x");

    // Watching 东城区's PM2.5 light: a CSRF-checked form.
    let page = app
        .get_with("/statistics/demo.pm25?area=110101", &cookie)
        .await;
    assert!(page.body.contains(r#"id="watch-form""#));
    let watch = |csrf: String| {
        let cookie = reader.0.clone();
        let app = &app;
        async move {
            app.send(
                Method::POST,
                "/statistics/demo.pm25/watch",
                &[
                    ("cookie", &cookie),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                format!("csrf={csrf}&area=110101&watch=on"),
            )
            .await
        }
    };
    assert_eq!(watch("forged".into()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count_where("indicator_subscriptions", "indicator = 'demo.pm25'")
            .await,
        0
    );
    let res = watch(reader.1.clone()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        res.headers.get("location").unwrap(),
        "/statistics/demo.pm25?area=110101&watch=on"
    );
    let page = app
        .get_with("/statistics/demo.pm25?area=110101&watch=on", &cookie)
        .await;
    assert!(page.body.contains(r#"id="watch-notice""#));
    assert!(page.body.contains(r#"name="watch" value="off""#));

    // The pass reads the light; the message leads to the dashboard.
    let today = egov_kernel::time::beijing_today();
    assert_eq!(
        egov_indicators_web::watch::watch(app.db(), today)
            .await
            .unwrap(),
        1
    );
    let inbox = reader.get(&app, "/api/v1/messages").await;
    assert!(
        inbox
            .to_string()
            .contains("/statistics/demo.pm25?area=110101"),
        "{inbox}"
    );
}

#[tokio::test]
async fn the_districts_are_ranked_on_the_demonstration_index_with_their_change() {
    let app = TestApp::new().await;
    egov_indicators_web::demo::load(app.db()).await.unwrap();

    let list = app.get("/statistics").await;
    assert!(list
        .body
        .contains(r#"href="/rankings/demo.district_index""#));

    // The latest quarter ranked by default: 2026Q3, against 2026Q2.
    let page = app.get("/rankings/demo.district_index").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(r#"<option value="2026Q3" selected>"#));
    let table = &page.body[page.body.find(r#"id="ranking-table""#).unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(table.matches(r#"<th scope="row">"#).count(), 16);
    assert!(table.contains("2026Q2"));
    // 海淀区 has the largest shares of output and sales.
    let first = &table[table.find("<tbody>").unwrap()..];
    assert!(first[..first.find("</tr>").unwrap()].contains("海淀区"));
    assert!(page.body.contains(
        r#"href="/api/v1/indicators/composites/demo.district_index/ranking?period=2026Q3&#38;format=xlsx""#
    ));
    let chart = chart_data(&page.body);
    assert_eq!(chart["divisions"].as_array().unwrap().len(), 16);

    // The export the page links to: an Excel workbook of the same ranking.
    let xlsx = app
        .get("/api/v1/indicators/composites/demo.district_index/ranking?period=2026Q3&format=xlsx")
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let rows = egov_documents::sheet::read(&xlsx.bytes).unwrap();
    assert_eq!(rows.len(), 17);
    assert_eq!(rows[1][1], "海淀区");

    // The city's composite signal over the year up to the quarter.
    let signals = &page.body[page.body.find(r#"id="signals-table""#).unwrap()..];
    let signals = &signals[..signals.find("</table>").unwrap()];
    assert_eq!(signals.matches(r#"<th scope="row">"#).count(), 12);
    let api = app
        .get("/api/v1/indicators/composites/demo.district_index/lights?from=2025Q4&to=2026Q3")
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let lights = api.json()["lights"].as_array().unwrap().clone();
    assert_eq!(lights.len(), 4);
    let score = |light: &str| match light {
        "red" => 5.0,
        "yellow" => 4.0,
        "green" => 3.0,
        "light_blue" => 2.0,
        _ => 1.0,
    };
    let weights = [0.4, 0.3, 0.3];
    let mut lit = 0;
    for point in &lights {
        let Some(total) = point["score"].as_f64() else {
            continue;
        };
        lit += 1;
        let signals = point["signals"].as_array().unwrap();
        let expected: f64 = 20.0
            * signals
                .iter()
                .zip(weights)
                .map(|(s, w)| w * score(s.as_str().unwrap()))
                .sum::<f64>();
        assert!((total - expected).abs() < 1e-9, "{point}");
        assert!(point["light"].is_string());
    }
    assert!(lit >= 3, "{lights:?}");

    // An earlier quarter by choice; a period with nothing to rank says so.
    let page = app.get("/rankings/demo.district_index?period=2025Q1").await;
    assert!(page.body.contains(r#"<option value="2025Q1" selected>"#));
    let page = app.get("/rankings/demo.district_index?period=203001").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"id="no-ranking""#));
    assert_eq!(
        app.get("/rankings/demo.district_index?period=nonsense")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
