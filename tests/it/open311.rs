//! Open311 GeoReport v2 as a client drives it: discovery, services and
//! their definitions, a report posted with an API key, its token naming its
//! request at once (the report's own id, kept when the command centre
//! files it as a case), the requests listed with the
//! spec's filters and defaults, in JSON and XML; and every kind of bad
//! input answered with the spec's error list and nothing stored.

use crate::common;

use axum::http::{Method, StatusCode};
use common::casework::{dept, multipart_form, staff};
use common::{enc, TestApp, TestResponse};
use egov_identity::{Role, Scope};
use egov_kernel::Context;
use serde_json::{json, Value};

/// A square as a GeoJSON feature.
fn square(code: &str, name: &str, lon: f64, lat: f64, side: f64) -> Value {
    let ring = json!([
        [lon, lat],
        [lon + side, lat],
        [lon + side, lat + side],
        [lon, lat + side],
        [lon, lat]
    ]);
    json!({"type": "Feature", "properties": {"code": code, "name": name},
           "geometry": {"type": "Polygon", "coordinates": [ring]}})
}

/// Part of 东城区 as a grid: the district, a street, a community and four
/// cells of about 100 m around (39.930, 116.410).
pub(crate) async fn with_grid(app: &TestApp) {
    let features = vec![
        square("110101", "东城区", 116.38, 39.87, 0.08),
        square("110101001", "东华门街道", 116.40, 39.92, 0.02),
        square("11010100101", "多福巷社区", 116.405, 39.925, 0.01),
        square("110101001010001", "单元网格 1", 116.409, 39.929, 0.001),
        square("110101001010002", "单元网格 2", 116.410, 39.929, 0.001),
        square("110101001010003", "单元网格 3", 116.409, 39.930, 0.001),
        square("110101001010004", "单元网格 4", 116.410, 39.930, 0.001),
    ];
    let text = json!({"type": "FeatureCollection", "features": features}).to_string();
    let areas = egov_grid::map::areas_from_geojson(&text).unwrap();
    egov_grid::layers::import_areas(app.db(), &Context::system(), areas)
        .await
        .unwrap();
}

/// Files every report waiting, oldest first, as a dispatcher of its
/// command centre does from its page; answers how many.
pub(crate) async fn file_waiting(app: &TestApp) -> usize {
    let processes = egov_cases::registry::Processes::default();
    let directory = egov_org::directory(app.db()).await.unwrap();
    let waiting = app
        .texts("SELECT CAST(id AS TEXT) FROM grid_reports WHERE case_id IS NULL ORDER BY id")
        .await;
    for id in &waiting {
        let id: i64 = id.parse().unwrap();
        let report = egov_grid::filing::report(app.db(), id)
            .await
            .unwrap()
            .unwrap();
        let centre = egov_grid::intake::command_centre(&directory, &report.district).unwrap();
        egov_grid::filing::decide(
            app.db(),
            &Context::system(),
            &processes,
            id,
            egov_grid::filing::Decider::Dispatcher {
                department_id: centre,
            },
            egov_grid::filing::Decision::File,
        )
        .await
        .unwrap();
    }
    waiting.len()
}

/// `n` reports of exposed garbage at the same spot, numbered in their
/// descriptions (第 0 处垃圾, …), each taken in.
async fn post_garbage(app: &TestApp, key: &str, n: usize) {
    for i in 0..n {
        let d = format!("第 {i} 处垃圾");
        let res = post(
            app,
            "json",
            &[
                ("api_key", key),
                ("service_code", "e0102"),
                ("lat", "39.9295"),
                ("long", "116.4095"),
                ("description", &d),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
}

async fn post(app: &TestApp, ext: &str, fields: &[(&str, &str)]) -> TestResponse {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    app.send(
        Method::POST,
        &format!("/open311/v2/requests.{ext}"),
        &[("content-type", "application/x-www-form-urlencoded")],
        body,
    )
    .await
}

/// The spec's error list, with this status.
fn assert_errors(res: &TestResponse, status: StatusCode) -> String {
    assert_eq!(res.status, status, "{}", res.body);
    if res.header("content-type").starts_with("text/xml") {
        assert!(res.body.contains("<errors><error><code>"), "{}", res.body);
        return res.body.clone();
    }
    assert!(res.header("content-type").starts_with("application/json"));
    let list = res.json();
    assert_eq!(list[0]["code"], status.as_u16(), "{list}");
    list[0]["description"].as_str().unwrap().to_owned()
}

/// Each path answers 404 with the spec's error list.
async fn not_found(app: &TestApp, paths: &[&str]) {
    for path in paths {
        assert_errors(&app.get(path).await, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn discovery_and_services_in_both_formats() {
    let app = TestApp::new().await;
    let d = app.get("/open311/v2/discovery.json").await;
    assert_eq!(d.status, StatusCode::OK);
    let d = d.json();
    assert_eq!(
        d["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert!(d["endpoints"][0]["url"]
        .as_str()
        .unwrap()
        .ends_with("/open311/v2"));
    let x = app.get("/open311/v2/discovery.xml").await;
    assert!(x.header("content-type").starts_with("text/xml"));
    assert!(
        x.body.contains(
            "<formats><format>text/xml</format><format>application/json</format></formats>"
        ),
        "{}",
        x.body
    );

    let s = app.get("/open311/v2/services.json").await.json();
    let list = s.as_array().unwrap();
    assert!(list.len() >= 30);
    let rubbish = list.iter().find(|s| s["service_code"] == "e0102").unwrap();
    assert_eq!(rubbish["service_name"], "暴露垃圾");
    assert_eq!(rubbish["group"], "市容环境");
    assert_eq!(rubbish["type"], "realtime");
    assert_eq!(rubbish["metadata"], false);
    let cover = list.iter().find(|s| s["service_code"] == "c0101").unwrap();
    assert_eq!(cover["metadata"], true);
    // English on request.
    let en = app
        .get_with("/open311/v2/services.json", &[("accept-language", "en")])
        .await
        .json();
    assert!(en
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["service_name"] == "Exposed rubbish"));
    let x = app.get("/open311/v2/services.xml").await.body;
    assert!(
        x.contains("<services><service><service_code>c0101</service_code>"),
        "{x}"
    );

    let def = app.get("/open311/v2/services/c0101.json").await.json();
    assert_eq!(def["service_code"], "c0101");
    let a = &def["attributes"][0];
    assert_eq!(
        (
            a["code"].as_str(),
            a["datatype"].as_str(),
            a["required"].as_bool()
        ),
        (Some("cover_state"), Some("singlevaluelist"), Some(true))
    );
    assert_eq!(a["values"][0], json!({"key": "missing", "name": "丢失"}));
    let x = app.get("/open311/v2/services/c0101.xml").await.body;
    assert!(x.contains("<service_definition><service_code>c0101</service_code><attributes><attribute><variable>true</variable>"), "{x}");
    assert!(
        x.contains("<values><value><key>missing</key><name>丢失</name></value>"),
        "{x}"
    );

    not_found(
        &app,
        &[
            "/open311/v2/services/x9999.json",
            "/open311/v2/services/x9999.xml",
            "/open311/v2/nothing.json",
            "/open311/v2/services.html",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_report_becomes_a_request_that_clients_can_follow() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let key = app.api_key(&[Scope::Open311Write]).await;
    let res = post(
        &app,
        "json",
        &[
            ("api_key", &key),
            ("service_code", "e0102"),
            ("lat", "39.9295"),
            ("long", "116.4095"),
            ("address_string", "东华门大街 12 号"),
            ("description", "路边堆放生活垃圾，无人清运"),
            ("email", "resident@example.cn"),
            ("phone", "13800138000"),
            ("account_id", "app-77"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let answer = res.json();
    let token = answer[0]["token"].as_str().unwrap().to_owned();
    assert_eq!(answer[0]["account_id"], "app-77");
    assert!(answer[0]["service_notice"]
        .as_str()
        .unwrap()
        .contains("4 个工作小时"));
    assert!(answer[0].get("service_request_id").is_none());

    // Received: the token names the request at once, by the report's own
    // id, which stays its id when the centre decides on it.
    let t = app
        .get(&format!("/open311/v2/tokens/{token}.json"))
        .await
        .json();
    let id = t[0]["service_request_id"].as_str().unwrap().to_owned();
    assert_eq!(t, json!([{"service_request_id": id, "token": token}]));
    let x = app
        .get(&format!("/open311/v2/tokens/{token}.xml"))
        .await
        .body;
    assert!(x.contains(&format!("<service_requests><request><service_request_id>{id}</service_request_id><token>{token}</token></request></service_requests>")), "{x}");
    assert!(
        app.texts("SELECT number FROM cases").await.is_empty(),
        "no case until the centre decides"
    );
    let one = app
        .get(&format!("/open311/v2/requests/{id}.json"))
        .await
        .json();
    let r = &one[0];
    assert_eq!(r["service_request_id"], id.as_str());
    assert_eq!(r["status"], "open");
    assert_eq!(r["status_notes"], "待立案");
    assert_eq!(r["service_code"], "e0102");
    assert_eq!(r["service_name"], "暴露垃圾");
    assert_eq!(r["address_id"], "110101001010001");
    assert_eq!(r["agency_responsible"], "北京市东城区城市管理指挥中心");
    assert!(r["requested_datetime"]
        .as_str()
        .unwrap()
        .ends_with("+08:00"));
    // What the reporter said about themselves is never shown.
    assert!(!one.to_string().contains("13800138000") && !one.to_string().contains("example.cn"));
    let x = app
        .get(&format!("/open311/v2/requests/{id}.xml"))
        .await
        .body;
    assert!(
        x.contains("<status>open</status>") && x.contains("<long>116.4095</long>"),
        "{x}"
    );

    // Listed with the spec's filters.
    let ids = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(app.get("/open311/v2/requests.json").await.json()),
        vec![id.clone()]
    );
    assert_eq!(
        ids(app
            .get("/open311/v2/requests.json?status=open&service_code=e0102")
            .await
            .json()),
        vec![id.clone()]
    );
    assert!(ids(app
        .get("/open311/v2/requests.json?status=closed")
        .await
        .json())
    .is_empty());
    assert!(ids(app
        .get("/open311/v2/requests.json?service_code=c0101")
        .await
        .json())
    .is_empty());
    let old = "/open311/v2/requests.json?start_date=2020-01-01T00:00:00%2B08:00&end_date=2020-03-01T00:00:00%2B08:00";
    assert!(ids(app.get(old).await.json()).is_empty());
    // Ids supersede the other parameters.
    assert_eq!(
        ids(app
            .get(&format!(
                "/open311/v2/requests.json?service_request_id={id},nope&status=closed"
            ))
            .await
            .json()),
        vec![id.clone()]
    );

    assert!(r["expected_datetime"].is_string(), "the filing deadline");

    // The dispatcher finds it is not a city-management matter, on the
    // report's page: its case opens at the command centre, in the cell,
    // with the sub-class's handling time, and closes with the reasons.
    let centre = dept(&app, "110101-CGZX").await;
    let dispatcher = staff(&app, "dispatch.dc", centre, &[Role::Dispatcher]).await;
    let page = app
        .get_with(&format!("/grid/reports/{id}"), &[("cookie", &dispatcher.0)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("路边堆放生活垃圾") && page.body.contains("立案期限"));
    assert!(
        !page.body.contains("13800138000"),
        "the reporter's contact is not on it"
    );
    let res = app
        .post_form(
            &format!("/grid/reports/{id}/decide"),
            Some(&dispatcher.0),
            &[
                ("csrf", &dispatcher.1),
                ("decision", "not_ours"),
                ("reasons", "属物业管理区域，请联系小区物业"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let found = app
        .texts(&format!(
            "SELECT d.code || ' ' || r.cell || ' ' || c.deadlines || ' ' || c.number FROM cases c \
             JOIN departments d ON d.id = c.department_id JOIN grid_reports r ON r.case_id = c.id \
             WHERE r.id = {id}"
        ))
        .await;
    let mut parts = found[0].splitn(4, ' ');
    let (owner, cell, deadlines) = (
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().to_owned(),
    );
    assert_eq!(
        (owner.as_str(), cell.as_str()),
        ("110101-CGZX", "110101001010001")
    );
    assert_eq!(
        serde_json::from_str::<Value>(&deadlines).unwrap()["handling"],
        4
    );
    let r = &app
        .get(&format!("/open311/v2/requests/{id}.json"))
        .await
        .json()[0];
    assert_eq!(r["status"], "closed");
    assert_eq!(
        r["status_notes"],
        "非职责范围：属物业管理区域，请联系小区物业"
    );
    assert!(r["expected_datetime"].is_null());
    assert_eq!(
        ids(app
            .get("/open311/v2/requests.json?status=closed")
            .await
            .json()),
        vec![id.clone()]
    );
    common::verify_audit(&app).await;
}

#[tokio::test]
async fn points_from_chinese_maps_and_cell_codes_are_placed() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let key = app.api_key(&[Scope::Open311Write]).await;
    // The WGS 84 point (39.9305, 116.4105) is in cell 4; as a GCJ-02 map
    // draws it, it sits some 600 m north-east, outside the little grid.
    let g = egov_grid::coords::wgs84_to_gcj02(egov_grid::coords::Point {
        lat: 39.9305,
        lon: 116.4105,
    });
    let (lat, lon) = (g.lat.to_string(), g.lon.to_string());
    let res = post(
        &app,
        "json",
        &[
            ("api_key", &key),
            ("service_code", "e0504"),
            ("lat", &lat),
            ("long", &lon),
            ("datum", "gcj02"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = post(
        &app,
        "json",
        &[
            ("api_key", &key),
            ("service_code", "e0504"),
            ("address_id", "110101001010002"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(file_waiting(&app).await, 2);
    let mut cells = app.texts("SELECT cell FROM grid_reports ORDER BY id").await;
    cells.sort();
    assert_eq!(cells, ["110101001010002", "110101001010004"]);
    // Without its datum the same point is another cell's (or none's).
    let res = post(
        &app,
        "json",
        &[
            ("api_key", &key),
            ("service_code", "e0504"),
            ("lat", &lat),
            ("long", &lon),
        ],
    )
    .await;
    let placed = app
        .texts("SELECT COALESCE(cell, '-') FROM grid_reports ORDER BY id DESC LIMIT 1")
        .await;
    assert!(
        res.status != StatusCode::OK || placed[0] != "110101001010004",
        "{}",
        res.body
    );
}

/// A form's fields, in order.
type Form<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn bad_reports_get_the_error_list_and_store_nothing() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let key = app.api_key(&[Scope::Open311Write]).await;
    let other_key = app.api_key(&[Scope::OrgWrite]).await;
    let long = "很".repeat(4001);
    let good: Vec<(&str, &str)> = vec![
        ("api_key", &key),
        ("service_code", "e0102"),
        ("lat", "39.9295"),
        ("long", "116.4095"),
    ];
    let without = |k: &str| {
        good.iter()
            .filter(|(n, _)| *n != k)
            .cloned()
            .collect::<Vec<_>>()
    };
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v = good.clone();
        for (k, val) in extra {
            v.retain(|(n, _)| n != k);
            v.push((k, val));
        }
        v
    };
    let mut long_one = good.clone();
    long_one.push(("description", long.as_str()));
    let mut wrong_key = without("api_key");
    wrong_key.push(("api_key", "egov_0000"));
    let mut key_of_another_kind = without("api_key");
    key_of_another_kind.push(("api_key", other_key.as_str()));
    let cases: Vec<(&str, Form<'_>, StatusCode)> = vec![
        ("no key", without("api_key"), StatusCode::FORBIDDEN),
        ("a wrong key", wrong_key, StatusCode::FORBIDDEN),
        (
            "a key without open311:write",
            key_of_another_kind,
            StatusCode::FORBIDDEN,
        ),
        (
            "an unknown service",
            with(&[("service_code", "e9999")]),
            StatusCode::NOT_FOUND,
        ),
        (
            "no service",
            without("service_code"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "no location",
            without("lat")
                .into_iter()
                .filter(|(k, _)| *k != "long")
                .collect(),
            StatusCode::BAD_REQUEST,
        ),
        ("lat without long", without("long"), StatusCode::BAD_REQUEST),
        (
            "outside the city",
            with(&[("lat", "31.2304"), ("long", "121.4737")]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "not a number",
            with(&[("lat", "north")]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "off the earth",
            with(&[("lat", "95")]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "an unknown cell",
            with(&[("address_id", "110101001019999")])
                .into_iter()
                .filter(|(k, _)| *k != "lat" && *k != "long")
                .collect(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a description over 4,000 characters",
            long_one,
            StatusCode::BAD_REQUEST,
        ),
        (
            "a malformed attribute",
            with(&[("attribute[colour", "red")]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "an attribute the service does not ask",
            with(&[("attribute[colour]", "red")]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a required attribute missing",
            with(&[("service_code", "c0101")]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a value not on the list",
            with(&[
                ("service_code", "c0101"),
                ("attribute[cover_state]", "gone"),
            ]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a media_url that is no web address",
            with(&[("media_url", "javascript:alert(1)")]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "an unknown datum",
            with(&[("datum", "bd09")]),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (what, fields, status) in cases {
        for ext in ["json", "xml"] {
            let res = post(&app, ext, &fields).await;
            assert_eq!(res.status, status, "{what} ({ext}): {}", res.body);
            assert_errors(&res, status);
        }
    }
    // A body that is not a form.
    let res = app
        .send(
            Method::POST,
            "/open311/v2/requests.json",
            &[("content-type", "application/json")],
            json!({"api_key": key}).to_string(),
        )
        .await;
    assert_errors(&res, StatusCode::BAD_REQUEST);
    // The messages speak the client's language.
    let res = app
        .send(
            Method::POST,
            "/open311/v2/requests.json",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("accept-language", "zh-CN"),
            ],
            format!("api_key={key}&service_code=e0102&lat=31.2304&long=121.4737"),
        )
        .await;
    assert!(assert_errors(&res, StatusCode::BAD_REQUEST).contains("不在本市网格范围内"));
    assert_eq!(app.count("grid_reports").await, 0);

    // A good one with its multi-valued attribute goes in.
    let res = post(
        &app,
        "json",
        &with(&[
            ("service_code", "c0101"),
            ("attribute[cover_state]", "broken"),
        ]),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(app.count("grid_reports").await, 1);
}

#[tokio::test]
async fn listing_requests_keeps_to_the_spec() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let key = app.api_key(&[Scope::Open311Write]).await;
    post_garbage(&app, &key, 5).await;
    file_waiting(&app).await;
    let page = |q: &str| {
        let app = &app;
        let q = q.to_owned();
        async move {
            let v = app
                .get(&format!("/open311/v2/requests.json?{q}"))
                .await
                .json();
            v.as_array()
                .unwrap()
                .iter()
                .map(|r| r["description"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    // Newest first, paged.
    assert_eq!(page("page_size=2").await, ["第 4 处垃圾", "第 3 处垃圾"]);
    assert_eq!(page("page_size=2&page=3").await, ["第 0 处垃圾"]);
    assert!(page("page_size=2&page=4").await.is_empty());
    for bad in [
        "page=0",
        "page_size=-1",
        "status=pending",
        "start_date=yesterday",
        "start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-06-01T00:00:00%2B08:00",
        "start_date=2026-06-01T00:00:00%2B08:00&end_date=2026-01-01T00:00:00%2B08:00",
    ] {
        assert_errors(
            &app.get(&format!("/open311/v2/requests.json?{bad}")).await,
            StatusCode::BAD_REQUEST,
        );
        assert_errors(
            &app.get(&format!("/open311/v2/requests.xml?{bad}")).await,
            StatusCode::BAD_REQUEST,
        );
    }
    // An empty parameter is a missing one.
    assert_eq!(page("status=&page_size=1").await.len(), 1);
    not_found(
        &app,
        &[
            "/open311/v2/requests/2099000001.json",
            "/open311/v2/tokens/nothing.xml",
        ],
    )
    .await;
}

#[tokio::test]
async fn the_grid_goes_out_as_geojson() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let res = app.get("/api/v1/grid/areas?level=cell").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("content-type"), "application/geo+json");
    let fc = res.json();
    assert_eq!(fc["features"].as_array().unwrap().len(), 4);
    assert_eq!(fc["features"][0]["properties"]["code"], "110101001010001");
    let all = app.get("/api/v1/grid/areas").await.json();
    assert_eq!(all["features"].as_array().unwrap().len(), 7);
    app.get("/api/v1/grid/areas?level=block")
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn photos_come_upright_without_their_metadata_and_reach_the_case() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let key = app.api_key(&[Scope::Open311Write]).await;
    let fields = [
        ("api_key", key.as_str()),
        ("service_code", "e0102"),
        ("lat", "39.9295"),
        ("long", "116.4095"),
        ("description", "垃圾桶满溢"),
    ];
    let post_photos = |files: Vec<(&'static str, &'static str, Vec<u8>)>| {
        let files: Vec<(&str, &str, Vec<u8>)> = files;
        let (ct, body) = multipart_form(
            &fields,
            &files
                .iter()
                .map(|(n, f, b)| (*n, *f, b.as_slice()))
                .collect::<Vec<_>>(),
        );
        let app = &app;
        async move {
            app.send(
                Method::POST,
                "/open311/v2/requests.json",
                &[("content-type", ct.as_str())],
                body,
            )
            .await
        }
    };
    // Turned on its side by the phone, with its position in EXIF.
    let turned = egov_grid::photos::samples::jpeg(80, 40, 6);
    let res = post_photos(vec![
        ("media", "IMG_0001.JPG", turned.clone()),
        (
            "media",
            "IMG_0002.JPG",
            egov_grid::photos::samples::jpeg(60, 60, 1),
        ),
    ])
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let shape = app
        .texts("SELECT width || 'x' || height FROM grid_photos ORDER BY position")
        .await;
    assert_eq!(shape, ["40x80", "60x60"]);

    // Served by digest, as stored: upright, no EXIF, no GPS.
    let sha = &app
        .texts("SELECT sha256 FROM grid_photos WHERE position = 0")
        .await[0];
    let thumb = &app
        .texts("SELECT thumb_sha256 FROM grid_photos WHERE position = 0")
        .await[0];
    for digest in [sha, thumb] {
        let res = app.get(&format!("/grid/photos/{digest}.jpg")).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.header("content-type"), "image/jpeg");
        let bytes = &res.bytes;
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(!bytes.windows(4).any(|w| w == b"Exif" || w == b"GPS!"));
    }

    // Filed: the photos are the case's attachments, and its media_url.
    assert_eq!(file_waiting(&app).await, 1);
    let names = app
        .texts("SELECT name FROM case_attachments ORDER BY id")
        .await;
    assert_eq!(names, ["现场照片1.jpg", "现场照片2.jpg"]);
    let r = &app.get("/open311/v2/requests.json").await.json()[0];
    assert!(
        r["media_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/grid/photos/{sha}.jpg")),
        "{r}"
    );

    // What is not a report's photo is not served here.
    for path in [
        "/grid/photos/0000000000000000000000000000000000000000000000000000000000000000.jpg"
            .to_owned(),
        "/grid/photos/..%2F..%2Fetc%2Fpasswd.jpg".to_owned(),
        format!("/grid/photos/{sha}.png"),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
    }

    // Not a photo, too many photos: the error list, and nothing stored.
    let pdf = egov_cases::attachments::samples::pdf("x", b"");
    let five: Vec<_> = (0..5)
        .map(|_| ("media", "p.jpg", egov_grid::photos::samples::jpeg(8, 8, 1)))
        .collect();
    let mut cut = turned.clone();
    cut.truncate(60);
    for (what, files) in [
        ("a PDF", vec![("media", "photo.jpg", pdf)]),
        ("five photos", five),
        ("a cut-off JPEG", vec![("media", "cut.jpg", cut)]),
    ] {
        let res = post_photos(files).await;
        let said = assert_errors(&res, StatusCode::BAD_REQUEST);
        assert!(said.contains("照片"), "{what}: {said}");
    }
    assert_eq!(app.count("grid_reports").await, 1);
    assert_eq!(app.count("grid_photos").await, 2);
}

/// Dispatchers (on one node or several) decide on the same reports at
/// once: each report becomes exactly one case, whoever comes second is told
/// it was decided, and the audit chain holds.
#[tokio::test]
async fn dispatchers_at_once_decide_each_report_once() {
    use egov_grid::filing::{decide, Decider, Decision, FilingError};
    let app = TestApp::new().await;
    with_grid(&app).await;
    let key = app.api_key(&[Scope::Open311Write]).await;
    post_garbage(&app, &key, 12).await;
    let centre = dept(&app, "110101-CGZX").await;
    let ids: Vec<i64> = app
        .texts("SELECT CAST(id AS TEXT) FROM grid_reports ORDER BY id")
        .await
        .iter()
        .map(|id| id.parse().unwrap())
        .collect();
    let dispatcher = |decision: Decision| {
        let (app, ids) = (&app, ids.clone());
        async move {
            let processes = egov_cases::registry::Processes::default();
            let mut decided = 0;
            for id in ids {
                let by = Decider::Dispatcher {
                    department_id: centre,
                };
                match decide(
                    app.db(),
                    &Context::system(),
                    &processes,
                    id,
                    by,
                    decision.clone(),
                )
                .await
                {
                    Ok(_) => decided += 1,
                    Err(FilingError::Decided) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            decided
        }
    };
    // The centre decides; whoever reported may only withdraw.
    let processes = egov_cases::registry::Processes::default();
    let by_reporter = decide(
        app.db(),
        &Context::system(),
        &processes,
        ids[0],
        Decider::Reporter { user_id: 1 },
        Decision::File,
    )
    .await;
    assert!(matches!(by_reporter, Err(FilingError::NotDispatcher)));
    let refuse = Decision::Refuse {
        reasons: "重复报告".into(),
    };
    let (a, b, c) = tokio::join!(
        dispatcher(Decision::File),
        dispatcher(refuse),
        dispatcher(Decision::File)
    );
    assert_eq!(a + b + c, 12, "decided {a} + {b} + {c}");
    let tied = app
        .texts("SELECT DISTINCT CAST(case_id AS TEXT) FROM grid_reports WHERE case_id IS NOT NULL")
        .await;
    let cases = app
        .count_where("cases", "process_id = 'city_grid_case'")
        .await;
    assert_eq!((tied.len(), cases), (12, 12));
    assert!(matches!(
        common::verify_audit(&app).await,
        egov_audit::Verdict::Intact { .. }
    ));
}
