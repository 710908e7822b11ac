//! The indicators over the API, as their people use them: the statistics
//! office defines elements and indicators, each unit's 统计员 reports its
//! own figures (DHIS2 dataValueSets in CSV or JSON), a statistics system
//! reports with its key, and anyone reads a public indicator with growth.

use crate::common::casework::{dept, Caller};
use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use egov_identity::{Role, RoleGrant, Scope};
use serde_json::json;

async fn statistician(app: &TestApp, name: &str, department: Option<&str>) -> Caller {
    let id = match department {
        Some(code) => Some(dept(app, code).await),
        None => None,
    };
    let home = match id {
        Some(id) => id,
        None => dept(app, "110000-GOV").await,
    };
    let grant = RoleGrant {
        role: Role::Statistician,
        department_id: id,
    };
    let pw = app.staff_with(name, Some(home), vec![grant]).await;
    let (cookie, csrf) = app.sign_in(name, &pw).await;
    Caller(cookie, csrf)
}

async fn csv(app: &TestApp, who: &Caller, body: &str) -> crate::common::TestResponse {
    app.send(
        Method::POST,
        "/api/v1/indicators/dataValueSets",
        &[
            ("cookie", &who.0),
            ("x-csrf-token", &who.1),
            ("content-type", "text/csv"),
        ],
        body.to_owned(),
    )
    .await
}

/// Defines something new as `who`: a PUT of a definition, or a POST of an
/// element, answered 201.
async fn created(app: &TestApp, who: &Caller, path: &str, body: serde_json::Value) {
    let method = if path.ends_with("/elements") {
        Method::POST
    } else {
        Method::PUT
    };
    let res = who.send(app, method, path, body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{path}: {}", res.body);
}

/// The office's elements and the public on-time rate.
async fn office(app: &TestApp) -> Caller {
    let office = statistician(app, "tongji.city", None).await;
    for (code, name) in [("closed", "办结件数"), ("closed_on_time", "按时办结件数")] {
        created(
            app,
            &office,
            "/api/v1/indicators/elements",
            json!({"code": code, "name": name, "unit": "件", "aggregation": "sum"}),
        )
        .await;
    }
    let rate = json!({"code": "on_time_rate", "name": "按时办结率", "numerator": "#{closed_on_time}",
        "denominator": "#{closed}", "factor": 100.0, "unit": "%", "decimals": 1, "public": true});
    let res = office
        .send(app, Method::PUT, "/api/v1/indicators/on_time_rate", rate)
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    office
}

#[tokio::test]
async fn units_report_their_own_figures_and_anyone_reads_the_public_rate_with_growth() {
    let app = TestApp::new().await;
    let office = office(&app).await;
    let dongcheng = statistician(&app, "tongji.dongcheng", Some("110101-GOV")).await;

    // Dongcheng's 统计员 reports Dongcheng (and its streets) in CSV.
    let res = csv(
        &app,
        &dongcheng,
        "dataelement,period,orgunit,value\n\
         closed,202501,110101,100\nclosed_on_time,202501,110101,90\n\
         closed,202601,110101,200\nclosed_on_time,202601,110101,190\n",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["importCount"]["imported"], 4);

    // Xicheng is not Dongcheng's to report: the batch is refused whole,
    // the row and column named, nothing stored.
    let before = app.count("indicator_values").await;
    let res = csv(
        &app,
        &dongcheng,
        "dataelement,period,orgunit,value\n\
         closed,202602,110101,1\nclosed,202601,110102,50\n",
    )
    .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rows_refused");
    let rows = res.json()["rows"].clone();
    assert_eq!(rows[0]["row"], 2, "{rows}");
    assert_eq!(rows[0]["column"], "orgUnit");
    assert_eq!(app.count("indicator_values").await, before);

    // A statistics system reports Xicheng with its key, in JSON with the
    // set's own period and unit.
    let key = app.api_key(&[Scope::IndicatorsWrite]).await;
    let set = json!({"period": "202501", "orgUnit": "110102", "dataValues": [
        {"dataElement": "closed", "value": 100}, {"dataElement": "closed_on_time", "value": "70"},
        {"dataElement": "closed", "period": "202601", "value": 100},
        {"dataElement": "closed_on_time", "period": "202601", "value": 90}]});
    let res = app
        .post_json("/api/v1/indicators/dataValueSets", Some(&key), &set)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // Anyone reads the public rate: the city made of its districts.
    let res = app
        .get("/api/v1/indicators/on_time_rate/data?from=202601&to=202601&children=true")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let data = res.json()["data"].clone();
    let point = |area: &str| {
        data.as_array()
            .unwrap()
            .iter()
            .find(|p| p["area"] == area)
            .cloned()
            .unwrap()
    };
    let city = point("110000");
    // (190 + 90) / (200 + 100) against (90 + 70) / (100 + 100).
    let now = 280.0 / 300.0 * 100.0;
    let before = 160.0 / 200.0 * 100.0;
    assert!(
        (city["value"].as_f64().unwrap() - now).abs() < 1e-9,
        "{city}"
    );
    let yoy = (now - before) / before * 100.0;
    assert!((city["year_on_year"].as_f64().unwrap() - yoy).abs() < 1e-9);
    assert_eq!(point("110101")["value"], 95.0);
    assert_eq!(point("110105")["value"], serde_json::Value::Null);
    assert_eq!(city["area_name"], "北京市");

    // The values go back out as DHIS2 CSV.
    let res = app
        .get_with(
            "/api/v1/indicators/dataValueSets?dataElement=closed&orgUnit=110101&format=csv",
            &[("cookie", &office.0)],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.header("content-type").starts_with("text/csv"));
    let lines: Vec<&str> = res.body.lines().collect();
    assert_eq!(lines.len(), 3, "{}", res.body);
    assert!(
        lines[1].starts_with("closed,202501,110101,,,100,"),
        "{}",
        lines[1]
    );
}

#[tokio::test]
async fn definitions_are_checked_and_only_the_office_defines() {
    let app = TestApp::new().await;
    let office = office(&app).await;
    let again = office
        .post(
            &app,
            "/api/v1/indicators/elements",
            json!({"code": "closed", "name": "办结", "aggregation": "sum"}),
        )
        .await;
    again.assert_problem(StatusCode::CONFLICT, "already_exists");
    let bad = office
        .post(
            &app,
            "/api/v1/indicators/elements",
            json!({"code": "x", "name": "某项", "aggregation": "median"}),
        )
        .await;
    bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    let audited = app.count("audit_log").await;
    let circular = json!({"code": "loop", "name": "自指", "numerator": "#{loop} + #{closed}",
        "denominator": "1", "factor": 1.0});
    let res = office
        .send(&app, Method::PUT, "/api/v1/indicators/loop", circular)
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.json()["detail"].as_str().unwrap().contains("自身"));
    assert_eq!(app.count("indicator_definitions").await, 1);
    assert_eq!(app.count("audit_log").await, audited);

    // Changing the rate: 200, the change kept.
    let changed = json!({"code": "on_time_rate", "name": "按时办结率", "numerator": "#{closed_on_time}",
        "denominator": "#{closed}", "factor": 100.0, "public": false});
    let res = office
        .send(
            &app,
            Method::PUT,
            "/api/v1/indicators/on_time_rate",
            changed,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // No longer public: nobody signed out finds it, in the list or by code.
    assert_eq!(app.get("/api/v1/indicators").await.json(), json!([]));
    app.get("/api/v1/indicators/on_time_rate/data?from=2026&to=2026")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    // A handler reads but neither defines nor reports.
    let handler = crate::common::casework::staff(
        &app,
        "handler.a",
        dept(&app, "110101-GOV").await,
        &[Role::Handler],
    )
    .await;
    assert_eq!(
        handler.get(&app, "/api/v1/indicators").await[0]["code"],
        "on_time_rate"
    );
    let res = handler
        .post(
            &app,
            "/api/v1/indicators/elements",
            json!({"code": "y", "name": "某项", "aggregation": "sum"}),
        )
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    csv(&app, &handler, "closed,202601,110101,,,1\n")
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn a_value_far_above_its_own_history_shows_red_and_a_usual_one_green() {
    let app = TestApp::new().await;
    let office = statistician(&app, "tongji.city", None).await;
    created(
        &app,
        &office,
        "/api/v1/indicators/elements",
        json!({"code": "complaints", "name": "投诉件数", "aggregation": "sum"}),
    )
    .await;
    let total = json!({"code": "complaints_total", "name": "投诉总量", "numerator": "#{complaints}",
        "denominator": "1", "factor": 1.0, "public": true});
    created(&app, &office, "/api/v1/indicators/complaints_total", total).await;
    let mut values = Vec::new();
    for year in 2020..=2026 {
        for month in 1..=12 {
            let v = match (year, month) {
                (2026, 5) => 101,
                (2026, 6) => 130,
                (2026, 7..) => continue,
                _ => 100 + month % 3,
            };
            values.push(
                json!({"dataElement": "complaints", "period": format!("{year}{month:02}"),
                "orgUnit": "110101", "value": v}),
            );
        }
    }
    let key = app.api_key(&[Scope::IndicatorsWrite]).await;
    let res = app
        .post_json(
            "/api/v1/indicators/dataValueSets",
            Some(&key),
            &json!({ "dataValues": values }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = app
        .get("/api/v1/indicators/complaints_total/lights?area=110101&from=202605&to=202607")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let lights = res.json()["lights"].clone();
    let light = |i: usize| lights[i]["light"].clone();
    assert_eq!(light(0), "green", "{lights}");
    assert_eq!(light(1), "red", "{lights}");
    // No value, no light.
    assert_eq!(light(2), serde_json::Value::Null);
    let bands = lights[1]["bands"].as_array().unwrap();
    assert!(bands[3].as_f64().unwrap() < 130.0);
}

#[tokio::test]
async fn a_broken_monthly_identity_is_found_and_goes_once_corrected() {
    let app = TestApp::new().await;
    let office = statistician(&app, "tongji.city", None).await;
    for (code, name, aggregation) in [
        ("retail", "社会消费品零售额（本月）", "sum"),
        ("retail_cum", "社会消费品零售额（本月止累计）", "last"),
    ] {
        created(
            &app,
            &office,
            "/api/v1/indicators/elements",
            json!({"code": code, "name": name, "aggregation": aggregation}),
        )
        .await;
    }
    // A rule naming an unknown element is refused, saying which side.
    let bad = json!({"code": "identity", "name": "累计恒等", "left": "#{retail_cum@prev} + #{retail}",
        "operator": "==", "right": "#{retail_total}"});
    let res = office
        .send(
            &app,
            Method::PUT,
            "/api/v1/indicators/validationRules/identity",
            bad,
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.json()["detail"].as_str().unwrap().starts_with("右边"));
    assert_eq!(app.count("indicator_rules").await, 0);
    let identity = json!({"code": "identity", "name": "上月止累计 + 本月 = 本月止累计",
        "name_en": "Cumulative identity", "left": "#{retail_cum@prev} + #{retail}",
        "operator": "==", "right": "#{retail_cum}", "tolerance": 0.05});
    created(
        &app,
        &office,
        "/api/v1/indicators/validationRules/identity",
        identity,
    )
    .await;
    assert_eq!(
        app.count_where("audit_log", "action = 'indicator.rule_define'")
            .await,
        1
    );

    // Dongcheng reports January–February combined, then March with its
    // cumulative figure mistyped.
    let dongcheng = statistician(&app, "tongji.dongcheng", Some("110101-GOV")).await;
    let res = csv(
        &app,
        &dongcheng,
        "dataelement,period,orgunit,value\n\
         retail,202601B,110101,200.5\nretail_cum,202601B,110101,200.5\n\
         retail,202603,110101,110.2\nretail_cum,202603,110101,301.7\n",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let found = dongcheng
        .get(
            &app,
            "/api/v1/indicators/violations?area=110000&from=202601&to=202612",
        )
        .await;
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["area"], "110101");
    assert_eq!(found[0]["period"], "202603");
    assert_eq!(found[0]["left"].as_f64().unwrap(), 310.7);
    assert_eq!(found[0]["right"].as_f64().unwrap(), 301.7);
    assert_eq!(found[0]["rule_name"], "上月止累计 + 本月 = 本月止累计");
    // Outside the periods asked for, nothing.
    assert_eq!(
        dongcheng
            .get(&app, "/api/v1/indicators/violations?from=202604&to=202612")
            .await,
        json!([])
    );

    // The unit corrects March: the rule holds.
    let res = csv(&app, &dongcheng, "retail_cum,202603,110101,,,310.7\n").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        dongcheng
            .get(&app, "/api/v1/indicators/violations?from=202601&to=202612")
            .await,
        json!([])
    );

    // Rules are listed for civil servants; signed out, nothing.
    assert_eq!(
        dongcheng
            .get(&app, "/api/v1/indicators/validationRules")
            .await[0]["operator"],
        "=="
    );
    app.get("/api/v1/indicators/validationRules")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn a_mistyped_month_stands_out_of_its_series_by_the_robust_score() {
    let app = TestApp::new().await;
    let office = office(&app).await;
    let mut rows = String::from("dataelement,period,orgunit,value\n");
    for month in 1..=12 {
        // August keyed with an extra zero.
        let v = if month == 8 { 1040 } else { 100 + month % 4 };
        rows.push_str(&format!("closed,2025{month:02},110101,{v}\n"));
        rows.push_str(&format!(
            "closed,2025{month:02},110102,{}\n",
            90 + month % 3
        ));
    }
    let res = csv(&app, &office, &rows).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let found = office
        .get(
            &app,
            "/api/v1/indicators/outliers?element=closed&from=202501&to=202512",
        )
        .await;
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (&found[0]["area"], &found[0]["period"]),
        (&json!("110101"), &json!("202508"))
    );
    assert!(found[0]["score"].as_f64().unwrap() > 3.5);
    // Only Xicheng asked for: none.
    assert_eq!(
        office
            .get(
                &app,
                "/api/v1/indicators/outliers?element=closed&area=110102&from=202501&to=202512"
            )
            .await,
        json!([])
    );
    let res = app
        .get_with(
            "/api/v1/indicators/outliers?element=closed&from=202501&to=202512&method=iqr",
            &[("cookie", &office.0)],
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = app
        .get_with(
            "/api/v1/indicators/outliers?element=nope&from=202501&to=202512",
            &[("cookie", &office.0)],
        )
        .await;
    res.assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_data_set_tells_who_reported_on_time_reminds_the_missing_once_and_closes_old_periods() {
    let app = TestApp::new().await;
    let office = statistician(&app, "tongji.city", None).await;
    for code in ["retail", "retail_cum"] {
        created(
            &app,
            &office,
            "/api/v1/indicators/elements",
            json!({"code": code, "name": code, "aggregation": "sum"}),
        )
        .await;
    }
    // Dongcheng reports the whole of 2025, Xicheng only January–February.
    let dongcheng = statistician(&app, "tongji.dongcheng", Some("110101-GOV")).await;
    let xicheng = statistician(&app, "tongji.xicheng", Some("110102-GOV")).await;
    let mut rows = String::from("dataelement,period,orgunit,value\nretail,202501B,110101,20\n");
    for month in 3..=12 {
        rows.push_str(&format!("retail,2025{month:02},110101,{month}\n"));
    }
    assert_eq!(csv(&app, &dongcheng, &rows).await.status, StatusCode::OK);
    let res = csv(&app, &xicheng, "retail,202501B,110102,,,18\n").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // A set naming a unit that does not exist is refused whole.
    let mut set = json!({"code": "retail_monthly", "name": "社会消费品零售额月报",
        "frequency": "monthly_jan_feb", "elements": ["retail", "retail_cum"],
        "units": ["110101", "110102", "119999"], "due_days": 5, "close_days": 60});
    let res = office
        .send(
            &app,
            Method::PUT,
            "/api/v1/indicators/dataSets/retail_monthly",
            set.clone(),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.json()["detail"].as_str().unwrap().contains("119999"));
    set["units"] = json!(["110101", "110102"]);
    created(
        &app,
        &office,
        "/api/v1/indicators/dataSets/retail_monthly",
        set,
    )
    .await;

    // Eleven reports a year; everything came today, long after it was due.
    let lines = office
        .get(
            &app,
            "/api/v1/indicators/dataSets/retail_monthly/reporting?from=202501&to=202512",
        )
        .await;
    let line = |i: usize, field: &str| lines[i][field].clone();
    assert_eq!(
        (line(0, "unit"), line(0, "expected"), line(0, "reported")),
        (json!("110101"), json!(11), json!(11))
    );
    assert_eq!(line(0, "completeness"), json!(100.0));
    assert_eq!(line(0, "timeliness"), json!(0.0));
    assert_eq!(line(1, "reported"), json!(1));
    assert_eq!(line(1, "missing").as_array().unwrap().len(), 10);
    assert_eq!(line(1, "missing")[0], "202503");

    // 2025 closed sixty days after each period: a late correction is refused.
    let res = csv(&app, &dongcheng, "retail,202503,110101,,,4\n").await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rows_refused");
    assert_eq!(res.json()["rows"][0]["column"], "period");

    // On 10 April 2025 Xicheng's March was due and not closed: its 统计员
    // is reminded, once, however often the pass runs.
    let april = chrono::NaiveDate::from_ymd_opt(2025, 4, 10).unwrap();
    let sent = egov_indicators_web::reporting::remind(app.db(), april)
        .await
        .unwrap();
    assert_eq!(sent, 1);
    let again = egov_indicators_web::reporting::remind(app.db(), april)
        .await
        .unwrap();
    assert_eq!(again, 0);
    assert_eq!(
        app.count_where("messages", "kind = 'indicator_report_missing'")
            .await,
        1
    );
    let inbox = xicheng.get(&app, "/api/v1/messages").await;
    assert!(
        inbox.to_string().contains("202503"),
        "the reminder names the period: {inbox}"
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'indicator.report_reminder'")
            .await,
        1
    );
}

/// A data set of two elements for Dongcheng and Xicheng, with the identity rule.
async fn retail_set(app: &TestApp, office: &Caller) {
    for (code, name, unit) in [
        ("retail", "社会消费品零售额（本月）", "亿元"),
        ("retail_cum", "社会消费品零售额（本月止累计）", "亿元"),
    ] {
        created(
            app,
            office,
            "/api/v1/indicators/elements",
            json!({"code": code, "name": name, "unit": unit, "aggregation": "sum"}),
        )
        .await;
    }
    let rule = json!({"code": "identity", "name": "上月止累计 + 本月 = 本月止累计",
        "left": "#{retail_cum@prev} + #{retail}", "operator": "==", "right": "#{retail_cum}"});
    created(
        app,
        office,
        "/api/v1/indicators/validationRules/identity",
        rule,
    )
    .await;
    let set = json!({"code": "retail_monthly", "name": "社会消费品零售额月报",
        "frequency": "monthly_jan_feb", "elements": ["retail", "retail_cum"],
        "units": ["110101", "110102"], "due_days": 5});
    created(
        app,
        office,
        "/api/v1/indicators/dataSets/retail_monthly",
        set,
    )
    .await;
}

#[tokio::test]
async fn a_unit_reports_by_form_sees_a_bad_figure_beside_its_field_and_the_rules_it_breaks() {
    let app = TestApp::new().await;
    let office = statistician(&app, "tongji.city", None).await;
    retail_set(&app, &office).await;
    let dongcheng = statistician(&app, "tongji.dongcheng", Some("110101-GOV")).await;
    let cookie = [("cookie", dongcheng.0.as_str())];

    // The list names what Dongcheng owes, and not Xicheng's.
    let list = app.get_with("/indicators/report", &cookie).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("社会消费品零售额月报"), "{}", list.body);
    assert!(list.body.contains("东城区") && !list.body.contains("西城区"));
    assert!(
        list.body
            .contains(r#"<a href="/indicators/report" aria-current="page">"#),
        "a 统计员 finds the reports in the navigation"
    );

    let form = "/indicators/report?set=retail_monthly&unit=110101&period=202603";
    let page = app.get_with(form, &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("name=\"v.retail_cum\""));
    // Xicheng's form is not Dongcheng's to open.
    let other = "/indicators/report?set=retail_monthly&unit=110102&period=202603";
    assert_eq!(
        app.get_with(other, &cookie).await.status,
        StatusCode::NOT_FOUND
    );

    // A figure that is not a number: nothing stored, the message beside it.
    let post = |body: String| {
        let (cookie, csrf) = (dongcheng.0.clone(), dongcheng.1.clone());
        let app = &app;
        async move {
            app.send(
                Method::POST,
                "/indicators/report",
                &[
                    ("cookie", &cookie),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                format!("csrf={csrf}&set=retail_monthly&unit=110101&period=202603&{body}"),
            )
            .await
        }
    };
    let res = post("v.retail=12.5&v.retail_cum=%E4%B8%89%E5%8D%81".into()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("id=\"v-retail_cum-error\""),
        "{}",
        res.body
    );
    assert!(res.body.contains("不是数值"));
    assert!(res.body.contains("value=\"12.5\""), "what was typed stays");
    assert_eq!(app.count("indicator_values").await, 0);

    // Without the form's token: refused, nothing stored.
    let forged = app
        .send(
            Method::POST,
            "/indicators/report",
            &[
                ("cookie", &dongcheng.0),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            "csrf=nope&set=retail_monthly&unit=110101&period=202603&v.retail=1".to_owned(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("indicator_values").await, 0);

    // Saved; January–February was 20, so 20 + 12.5 is not 30: the rule says so.
    let res = csv(&app, &dongcheng, "retail_cum,202601B,110101,,,20\n").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = post("v.retail=12.5&v.retail_cum=30".into()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let back = res.header("location");
    assert!(back.ends_with("&saved=1"), "{back}");
    let page = app.get_with(back, &cookie).await;
    assert!(page.body.contains("数据已保存"));
    assert!(page.body.contains("id=\"violations\""), "{}", page.body);
    // Corrected, the rule holds.
    let res = post("v.retail=12.5&v.retail_cum=32.5".into()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = app.get_with(form, &cookie).await;
    assert!(page.body.contains("id=\"checks-pass\""), "{}", page.body);
    assert!(page.body.contains("value=\"32.5\""));
}

#[tokio::test]
async fn districts_are_ranked_on_a_public_index_with_the_change_since_the_quarter_before() {
    let app = TestApp::new().await;
    let office = office(&app).await;
    created(
        &app,
        &office,
        "/api/v1/indicators/elements",
        json!({"code": "complaints", "name": "投诉件数", "aggregation": "sum"}),
    )
    .await;
    let total = json!({"code": "complaints_total", "name": "投诉件数", "numerator": "#{complaints}",
        "denominator": "1", "factor": 1.0});
    created(&app, &office, "/api/v1/indicators/complaints_total", total).await;

    // Dongcheng leads in Q1 and falls behind Xicheng in Q2; Chaoyang has
    // no complaints figure for Q2.
    let mut rows = String::from("dataelement,period,orgunit,value\n");
    for (area, q1, q2) in [
        ("110101", (100, 98, 5), (100, 90, 9)),
        ("110102", (100, 90, 9), (100, 97, 4)),
        ("110105", (100, 80, 20), (100, 85, 0)),
    ] {
        for (period, (closed, on_time, complaints)) in [("2026Q1", q1), ("2026Q2", q2)] {
            rows.push_str(&format!("closed,{period},{area},{closed}\n"));
            rows.push_str(&format!("closed_on_time,{period},{area},{on_time}\n"));
            if !(area == "110105" && period == "2026Q2") {
                rows.push_str(&format!("complaints,{period},{area},{complaints}\n"));
            }
        }
    }
    let res = csv(&app, &office, &rows).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // Weights that do not sum to one are refused with their sum.
    let mut index = json!({"code": "service_index", "name": "政务服务指数", "normalisation": "min_max",
        "public": true, "components": [
            {"indicator": "on_time_rate", "weight": 0.6},
            {"indicator": "complaints_total", "weight": 0.3, "higher_is_better": false}]});
    let res = office
        .send(
            &app,
            Method::PUT,
            "/api/v1/indicators/composites/service_index",
            index.clone(),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.json()["detail"].as_str().unwrap().contains("0.9"));
    index["components"][1]["weight"] = json!(0.4);
    created(
        &app,
        &office,
        "/api/v1/indicators/composites/service_index",
        index,
    )
    .await;

    // Anyone reads the public ranking of the city's districts.
    let res = app
        .get("/api/v1/indicators/composites/service_index/ranking?period=2026Q2")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let ranking = res.json();
    let places = ranking["places"].as_array().unwrap();
    let told: Vec<_> = places
        .iter()
        .map(|p| {
            (
                p["area"].as_str().unwrap(),
                p["rank"].as_u64().unwrap(),
                p["change"].as_i64(),
            )
        })
        .collect();
    assert_eq!(told, vec![("110102", 1, Some(1)), ("110101", 2, Some(-1))]);
    // Xicheng is best on both: min–max gives it 1 and 1, the UN's top group.
    assert!((places[0]["score"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(places[0]["group"], "very_high");
    let second = places[1]["score"].as_f64().unwrap();
    let expected = match second {
        s if s >= 0.75 => "very_high",
        s if s >= 0.5 => "high",
        s if s >= 0.25 => "middle",
        _ => "low",
    };
    assert_eq!(places[1]["group"], expected, "{second}");
    assert_eq!(places[0]["parts"][0]["value"].as_f64(), Some(97.0));
    assert_eq!(ranking["previous_period"], "2026Q1");
    // Chaoyang wants a component; the other districts report nothing.
    let unranked = ranking["unranked"].as_array().unwrap();
    assert_eq!((unranked.len(), &unranked[0]), (14, &json!("朝阳区")));

    // The same ranking as an Excel workbook.
    let res = app
        .get("/api/v1/indicators/composites/service_index/ranking?period=2026Q2&format=xlsx")
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("content-type").contains("spreadsheetml"));
    assert!(res
        .header("content-disposition")
        .contains("service_index-2026Q2.xlsx"));
    let sheet = egov_documents::sheet::read(&res.bytes).unwrap();
    assert_eq!(sheet[0][..4], ["名次", "地区", "得分", "等级"]);
    assert_eq!(sheet[1][..2], ["1", "西城区"]);
    assert_eq!(sheet[1][3], "很高");
    assert_eq!(sheet.len(), 3);
}

fn sheet(rows: &[[&str; 4]]) -> Vec<u8> {
    use egov_documents::sheet::{write, Cell};
    let rows: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| r.iter().map(|c| Cell::from(*c)).collect())
        .collect();
    write(
        "报表",
        &["指标项代码", "报告期", "填报单位代码", "数值"],
        &rows,
    )
    .unwrap()
}

#[tokio::test]
async fn an_excel_report_is_stored_whole_or_refused_with_each_bad_row_by_its_sheet_row() {
    let app = TestApp::new().await;
    office(&app).await;
    let dongcheng = statistician(&app, "tongji.dongcheng", Some("110101-GOV")).await;
    let bad = sheet(&[
        ["closed", "202601", "110101", "12"],
        ["closed", "202613", "110101", "12"],
        ["closed", "202602", "110102", "8"],
    ]);

    // Over the API: 422 with each row of the batch.
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let res = app
        .send(
            Method::POST,
            "/api/v1/indicators/dataValueSets",
            &[
                ("cookie", &dongcheng.0),
                ("x-csrf-token", &dongcheng.1),
                ("content-type", xlsx),
            ],
            bad.clone(),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rows_refused");
    assert_eq!(app.count("indicator_values").await, 0);

    // On the page: the rows named as the sheet numbers them (header row 1).
    let upload = |bytes: Vec<u8>, csrf: String| {
        let cookie = dongcheng.0.clone();
        let app = &app;
        async move {
            let (ct, body) =
                crate::applications::multipart(&[("csrf", &csrf)], ("report.xlsx", &bytes));
            app.send(
                Method::POST,
                "/indicators/report/upload",
                &[("cookie", &cookie), ("content-type", &ct)],
                body,
            )
            .await
        }
    };
    let res = upload(bad, dongcheng.1.clone()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"sheet-problems\""), "{}", res.body);
    assert!(res.body.contains("<td class=\"num\">3</td><td>报告期</td>"));
    assert!(res
        .body
        .contains("<td class=\"num\">4</td><td>填报单位代码</td>"));
    assert_eq!(app.count("indicator_values").await, 0);

    // A file that is not a workbook, or a forged form: refused.
    let res = upload(b"closed,202601,110101,12".to_vec(), dongcheng.1.clone()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Excel"), "{}", res.body);
    let good = sheet(&[
        ["closed", "202601", "110101", "12"],
        ["closed_on_time", "202601", "110101", "11"],
    ]);
    let res = upload(good.clone(), "forged".into()).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("indicator_values").await, 0);

    let res = upload(good, dongcheng.1.clone()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("新增 2 个数"), "{}", res.body);
    assert_eq!(app.count("indicator_values").await, 2);
}

#[tokio::test]
async fn a_subscriber_is_told_when_the_light_changes_and_only_then() {
    let app = TestApp::new().await;
    let office = statistician(&app, "tongji.city", None).await;
    created(
        &app,
        &office,
        "/api/v1/indicators/elements",
        json!({"code": "complaints", "name": "投诉件数", "aggregation": "sum"}),
    )
    .await;
    let total = json!({"code": "complaints_total", "name": "投诉件数", "name_en": "Complaints",
        "numerator": "#{complaints}", "denominator": "1", "factor": 1.0});
    created(&app, &office, "/api/v1/indicators/complaints_total", total).await;
    let mut rows = String::from("dataelement,period,orgunit,value\n");
    for year in 2020..=2026 {
        for month in 1..=12 {
            if year == 2026 && month > 5 {
                break;
            }
            rows.push_str(&format!(
                "complaints,{year}{month:02},110101,{}\n",
                100 + month % 3
            ));
        }
    }
    let res = csv(&app, &office, &rows).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    let watcher = crate::common::casework::staff(
        &app,
        "watcher",
        dept(&app, "110101-GOV").await,
        &[Role::Handler],
    )
    .await;
    let subscription = "/api/v1/indicators/complaints_total/subscription?area=110101";
    let res = watcher
        .send(&app, Method::PUT, subscription, json!({}))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let res = watcher
        .send(
            &app,
            Method::PUT,
            "/api/v1/indicators/nope/subscription?area=110101",
            json!({}),
        )
        .await;
    res.assert_problem(StatusCode::NOT_FOUND, "not_found");
    let told = || app.count_where("messages", "kind = 'indicator_light_changed'");

    // The first light seen is news; the same light again is not.
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let watch = |today| egov_indicators_web::watch::watch(app.db(), today);
    assert_eq!(watch(day(2026, 6, 10)).await.unwrap(), 1);
    assert_eq!(told().await, 1);
    assert_eq!(watch(day(2026, 6, 11)).await.unwrap(), 0);

    // June far above its history: red, and the subscriber is told so.
    let res = csv(&app, &office, "complaints,202606,110101,,,130\n").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(watch(day(2026, 7, 10)).await.unwrap(), 1);
    assert_eq!(told().await, 2);
    let inbox = watcher.get(&app, "/api/v1/messages").await;
    assert!(inbox.to_string().contains("红（过热）"), "{inbox}");
    assert_eq!(
        app.count_where("audit_log", "action = 'indicator.light_changed'")
            .await,
        2
    );

    // Unsubscribed, nobody is told of the next change.
    let res = watcher
        .send(&app, Method::DELETE, subscription, json!({}))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = csv(&app, &office, "complaints,202607,110101,,,101\n").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(watch(day(2026, 8, 10)).await.unwrap(), 0);
    assert_eq!(told().await, 2);
}

#[tokio::test]
async fn an_indicator_with_fixed_bands_is_lit_by_them_and_bad_bands_are_refused() {
    let app = TestApp::new().await;
    let office = office(&app).await;
    // Cut points out of order: refused, nothing changed.
    let mut rate = json!({"code": "on_time_rate", "name": "按时办结率", "numerator": "#{closed_on_time}",
        "denominator": "#{closed}", "factor": 100.0, "unit": "%", "decimals": 1, "public": true,
        "bands": [80.0, 90.0, 85.0, 99.0]});
    let res = office
        .send(
            &app,
            Method::PUT,
            "/api/v1/indicators/on_time_rate",
            rate.clone(),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.json()["detail"]
        .as_str()
        .unwrap()
        .starts_with("预警界限"));
    rate["bands"] = json!([80.0, 85.0, 95.0, 99.0]);
    let res = office
        .send(&app, Method::PUT, "/api/v1/indicators/on_time_rate", rate)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // Two months only, far too little history: the fixed bands light them.
    let res = csv(
        &app,
        &office,
        "closed,202601,110101,,,100\nclosed_on_time,202601,110101,,,90\n\
         closed,202602,110101,,,100\nclosed_on_time,202602,110101,,,82\n",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let lights = app
        .get("/api/v1/indicators/on_time_rate/lights?area=110101&from=202601&to=202602")
        .await
        .json();
    assert_eq!(lights["lights"][0]["light"], "green", "{lights}");
    assert_eq!(lights["lights"][1]["light"], "light_blue");
    assert_eq!(
        lights["indicator"]["bands"],
        json!([80.0, 85.0, 95.0, 99.0])
    );
}

#[tokio::test]
async fn a_forecast_carries_its_intervals_lights_and_backtest_and_short_history_gets_a_note() {
    let app = TestApp::new().await;
    let office = statistician(&app, "tongji.city", None).await;
    created(
        &app,
        &office,
        "/api/v1/indicators/elements",
        json!({"code": "calls", "name": "热线来电量", "aggregation": "sum"}),
    )
    .await;
    let total = json!({"code": "calls_total", "name": "热线来电量", "numerator": "#{calls}",
        "denominator": "1", "factor": 1.0, "public": true, "bands": [50.0, 80.0, 150.0, 170.0]});
    created(&app, &office, "/api/v1/indicators/calls_total", total).await;
    // 东城区: six and a half years rising with a yearly season; 西城区: five
    // months only.
    let mut values = Vec::new();
    for t in 0..78 {
        let (year, month) = (2020 + t / 12, t % 12 + 1);
        let season = 10.0 * (2.0 * std::f64::consts::PI * f64::from(t) / 12.0).sin();
        let v = 100.0 + 0.8 * f64::from(t) + season;
        values.push(
            json!({"dataElement": "calls", "period": format!("{year}{month:02}"),
            "orgUnit": "110101", "value": (v * 10.0).round() / 10.0}),
        );
    }
    for month in 2..=6 {
        values.push(
            json!({"dataElement": "calls", "period": format!("2026{month:02}"),
            "orgUnit": "110102", "value": 90}),
        );
    }
    let key = app.api_key(&[Scope::IndicatorsWrite]).await;
    let res = app
        .post_json(
            "/api/v1/indicators/dataValueSets",
            Some(&key),
            &json!({ "dataValues": values }),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // A public indicator: read without signing in.
    let res = app
        .get("/api/v1/indicators/calls_total/forecast?area=110000&children=true&from=201901&to=202612&horizon=12")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let body = res.json();
    let of = |area: &str| {
        body["forecasts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["area"] == area)
            .cloned()
            .unwrap()
    };
    let dongcheng = of("110101");
    assert_eq!(dongcheng["method"], "mstl_ets", "{dongcheng}");
    assert_eq!(dongcheng["history_from"], "202001");
    assert_eq!(dongcheng["history_to"], "202606");
    assert_eq!(dongcheng["history_length"], 78);
    let points = dongcheng["points"].as_array().unwrap();
    assert_eq!(points.len(), 12);
    assert_eq!(points[0]["period"], "202607");
    assert_eq!(points[11]["period"], "202706");
    for p in points {
        let n = |k: &str| p[k].as_f64().unwrap();
        assert!(
            n("lower_95") <= n("lower_80") && n("lower_80") <= n("value"),
            "{p}"
        );
        assert!(
            n("value") <= n("upper_80") && n("upper_80") <= n("upper_95"),
            "{p}"
        );
        // Lit against the fixed bands.
        let expected = match n("value") {
            v if v >= 170.0 => "red",
            v if v >= 150.0 => "yellow",
            _ => "green",
        };
        assert_eq!(p["light"], expected, "{p}");
    }
    // Trend and season go on: next June is where the series' own formula
    // puts it.
    let june = points[11]["value"].as_f64().unwrap();
    let expected = 100.0 + 0.8 * 89.0 + 10.0 * (2.0 * std::f64::consts::PI * 89.0 / 12.0).sin();
    assert!((june - expected).abs() < 2.0, "{june} against {expected}");
    assert_eq!(dongcheng["baseline"].as_array().unwrap().len(), 12);
    let backtest = &dongcheng["backtest"];
    assert_eq!(backtest["held_out"], 12);
    assert!(
        backtest["mase"].as_f64().unwrap() < backtest["baseline_mase"].as_f64().unwrap(),
        "{backtest}"
    );

    let xicheng = of("110102");
    assert_eq!(xicheng["method"], serde_json::Value::Null);
    assert_eq!(xicheng["history_length"], 5);
    assert!(xicheng["points"].as_array().unwrap().is_empty());
    assert_eq!(xicheng["note"], "预测至少需要 10 期历史数据，现有 5 期");

    for horizon in ["0", "37"] {
        let res = app
            .get(&format!(
                "/api/v1/indicators/calls_total/forecast?area=110101&from=202001&to=202606&horizon={horizon}"
            ))
            .await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
}

#[tokio::test]
async fn the_demonstration_series_load_once_marked_as_such_and_light_up_in_every_colour() {
    let app = TestApp::new().await;
    let db = &app.test_db.db;
    let stored = egov_indicators_web::demo::load(db).await.unwrap();
    let generated = egov_indicators::demo::generate(egov_indicators::demo::BUILTIN).unwrap();
    assert_eq!(stored, generated.values.len());
    assert_eq!(egov_indicators_web::demo::load(db).await.unwrap(), 0);

    let list = app.get("/api/v1/indicators").await.json();
    let demo: Vec<&serde_json::Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"].as_str().unwrap().starts_with("demo."))
        .collect();
    assert_eq!(demo.len(), 6);
    assert!(demo
        .iter()
        .all(|i| i["name"].as_str().unwrap().contains("演示")));

    // Over the districts and two years, the series' own history lights
    // them in more than the calm green.
    let mut seen = std::collections::BTreeSet::new();
    for code in ["demo.retail", "demo.pm25"] {
        let lights = app
            .get(&format!(
                "/api/v1/indicators/{code}/lights?area=110000&children=true&from=202411&to=202610"
            ))
            .await
            .json();
        for l in lights["lights"].as_array().unwrap() {
            if let Some(light) = l["light"].as_str() {
                seen.insert(light.to_owned());
            }
        }
    }
    assert!(seen.len() >= 4, "{seen:?}");

    let forecast = app
        .get("/api/v1/indicators/demo.retail/forecast?area=110000&from=201611&to=202610&horizon=12")
        .await
        .json();
    let city = &forecast["forecasts"][0];
    assert_eq!(city["method"], "mstl_ets", "{city}");
    assert_eq!(city["history_length"], 120);
    assert_eq!(city["points"][0]["period"], "202611");
}

#[tokio::test]
async fn a_forecast_leaving_the_green_band_is_told_once_and_a_red_light_opens_the_follow_up_asked_for(
) {
    let app = TestApp::new().await;
    let office = statistician(&app, "tongji.city", None).await;
    created(
        &app,
        &office,
        "/api/v1/indicators/elements",
        json!({"code": "calls", "name": "热线来电量", "aggregation": "sum"}),
    )
    .await;
    let total = json!({"code": "calls_total", "name": "热线来电量", "numerator": "#{calls}",
        "denominator": "1", "factor": 1.0, "bands": [40.0, 80.0, 120.0, 150.0]});
    created(&app, &office, "/api/v1/indicators/calls_total", total).await;
    // Two years rising by three a month: May 2026 is still green (119);
    // June is forecast past 120, yellow.
    let mut rows = String::from("dataelement,period,orgunit,value\n");
    for t in 0..24 {
        let (year, month) = (2024 + (t + 5) / 12, (t + 5) % 12 + 1);
        rows.push_str(&format!("calls,{year}{month:02},110101,{}\n", 50 + 3 * t));
    }
    let res = csv(&app, &office, &rows).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    let watcher = crate::common::casework::staff(
        &app,
        "watcher",
        dept(&app, "110101-GOV").await,
        &[Role::Handler],
    )
    .await;
    let res = watcher
        .send(
            &app,
            Method::PUT,
            "/api/v1/indicators/calls_total/subscription?area=110101&open_case=true",
            json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let forecasts = || app.count_where("messages", "kind = 'indicator_forecast_warning'");
    let followups = || app.count_where("cases", "process_id = 'indicator_followup'");

    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let watch = |today| egov_indicators_web::watch::watch(app.db(), today);
    assert_eq!(watch(day(2026, 6, 10)).await.unwrap(), 1, "the first light");
    assert_eq!(forecasts().await, 1, "June forecast past the green band");
    let inbox = watcher.get(&app, "/api/v1/messages").await;
    assert!(inbox.to_string().contains("预测预警"), "{inbox}");
    assert!(inbox.to_string().contains("202606"), "{inbox}");
    assert_eq!(followups().await, 0, "green opens nothing");
    // The same forecast is not told twice.
    assert_eq!(watch(day(2026, 6, 11)).await.unwrap(), 0);
    assert_eq!(forecasts().await, 1);

    // June comes in far above: red, told, and the follow-up case opened for
    // Dongcheng's government, in the same transaction as the light.
    let res = csv(&app, &office, "calls,202606,110101,,,170\n").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(watch(day(2026, 7, 10)).await.unwrap(), 1);
    assert_eq!(followups().await, 1);
    let government = dept(&app, "110101-GOV").await;
    assert_eq!(
        app.count_where(
            "cases",
            &format!("process_id = 'indicator_followup' AND department_id = {government} AND state = 'analyse'")
        )
        .await,
        1
    );
    assert_eq!(
        app.count_where(
            "audit_log",
            "action = 'indicator.light_changed' AND detail LIKE '%\"case\":\"%'"
        )
        .await,
        1
    );

    // Without the follow-up asked for, a red light opens nothing more.
    let res = watcher
        .send(
            &app,
            Method::PUT,
            "/api/v1/indicators/calls_total/subscription?area=110101",
            json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = csv(
        &app,
        &office,
        "calls,202607,110101,,,100\ncalls,202608,110101,,,180\n",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(watch(day(2026, 8, 10)).await.unwrap(), 1, "green again");
    assert_eq!(watch(day(2026, 9, 10)).await.unwrap(), 1, "red again");
    assert_eq!(followups().await, 1);
}

#[tokio::test]
async fn an_indicator_is_worked_out_for_one_option_of_a_disaggregation() {
    let app = TestApp::new().await;
    let office = office(&app).await;
    // Dongcheng's cases of January by the applicant's sex, with the totals.
    let res = csv(
        &app,
        &office,
        "closed,202601,110101,,,100\nclosed_on_time,202601,110101,,,90\n\
         closed,202601,110101,female,,40\nclosed_on_time,202601,110101,female,,38\n\
         closed,202601,110101,male,,60\nclosed_on_time,202601,110101,male,,52\n",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let rate = |category: &str| {
        let app = &app;
        let path = format!(
            "/api/v1/indicators/on_time_rate/data?area=110000&children=true&from=202601&to=202601{category}"
        );
        async move {
            let body = app.get(&path).await.json();
            let of = |area: &str| {
                body["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["area"] == area)
                    .map(|p| p["value"].clone())
                    .unwrap()
            };
            (of("110000"), of("110101"))
        }
    };
    assert_eq!(rate("").await, (json!(90.0), json!(90.0)));
    assert_eq!(rate("&category=female").await, (json!(95.0), json!(95.0)));
    let (city, dongcheng) = rate("&category=male").await;
    assert!(
        (dongcheng.as_f64().unwrap() - 86.666_666).abs() < 1e-3,
        "{dongcheng}"
    );
    assert_eq!(city, dongcheng, "the city is its districts'");
    assert_eq!(
        rate("&category=unknown").await,
        (serde_json::Value::Null, serde_json::Value::Null)
    );
}

#[tokio::test]
async fn a_unit_without_a_statistician_is_reminded_once_one_is_appointed() {
    let app = TestApp::new().await;
    let office = statistician(&app, "tongji.city", None).await;
    created(
        &app,
        &office,
        "/api/v1/indicators/elements",
        json!({"code": "retail", "name": "社会消费品零售额", "aggregation": "sum"}),
    )
    .await;
    created(
        &app,
        &office,
        "/api/v1/indicators/dataSets/retail_monthly",
        json!({"code": "retail_monthly", "name": "社会消费品零售额月报", "frequency": "monthly",
            "elements": ["retail"], "units": ["110105"], "due_days": 5}),
    )
    .await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 4, 20).unwrap();
    let remind = || egov_indicators_web::reporting::remind(app.db(), day);
    // 朝阳区 has no 统计员 yet: nobody told, nothing kept.
    assert_eq!(remind().await.unwrap(), 0);
    assert_eq!(
        app.count_where("indicator_reminders", "unit = '110105'")
            .await,
        0
    );
    // Appointed, they are reminded of the months missing, once.
    statistician(&app, "stats.chaoyang", Some("110105-GOV")).await;
    let sent = remind().await.unwrap();
    assert!(sent >= 1, "{sent}");
    assert_eq!(remind().await.unwrap(), 0);
    assert_eq!(
        app.count_where("messages", "kind = 'indicator_report_missing'")
            .await,
        i64::try_from(sent).unwrap()
    );
}

#[tokio::test]
async fn a_series_reported_with_january_and_february_together_is_forecast_in_its_own_periods() {
    let app = TestApp::new().await;
    let office = statistician(&app, "tongji.city", None).await;
    created(
        &app,
        &office,
        "/api/v1/indicators/elements",
        json!({"code": "sales", "name": "零售额", "aggregation": "sum"}),
    )
    .await;
    let total = json!({"code": "sales_total", "name": "零售额", "numerator": "#{sales}",
        "denominator": "1", "factor": 1.0, "public": true});
    created(&app, &office, "/api/v1/indicators/sales_total", total).await;
    // Seven and a half years as the statistics bureau publishes retail
    // sales: 202001B for January and February, then a month at a time.
    let mut rows = String::from("dataelement,period,orgunit,value\n");
    for year in 2019..=2026 {
        let level = 100 + 5 * (year - 2019);
        rows.push_str(&format!("sales,{year}01B,110101,{}\n", 2 * level));
        for month in 3..=12 {
            if year == 2026 && month > 6 {
                break;
            }
            rows.push_str(&format!("sales,{year}{month:02},110101,{level}\n"));
        }
    }
    let res = csv(&app, &office, &rows).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    let res = app
        .get("/api/v1/indicators/sales_total/forecast?area=110101&from=201901&to=202612&horizon=8")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let f = res.json()["forecasts"][0].clone();
    assert_eq!(f["method"], "mstl_ets", "{f}");
    assert_eq!(f["history_from"], "201901B");
    assert_eq!(f["history_to"], "202606");
    assert_eq!(f["history_length"], 7 * 11 + 5);
    let points = f["points"].as_array().unwrap();
    let periods: Vec<&str> = points
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(
        periods,
        ["202607", "202608", "202609", "202610", "202611", "202612", "202701B", "202703"]
    );
    // The combined period is forecast as two months' worth.
    let value = |i: usize| points[i]["value"].as_f64().unwrap();
    assert!(
        value(6) > 1.6 * value(5) && value(6) < 2.4 * value(5),
        "{f}"
    );
}
