//! The working-day calendar: the statutory schedule as data, deadlines in
//! working days, calendar days and working hours, provisional deadlines
//! in unpublished years, and loading a newly published year.

use crate::common;

use axum::http::{Method, StatusCode};
use common::process::{args, egov};
use common::TestApp;
use egov_store::testing::TestLocation;

const YEAR_2027: &str = r#"
version = "2026-11"
[[year]]
year = 2027
notice = "test"
holidays = [
  { name = "元旦", name_en = "New Year's Day", days = ["2027-01-01", "2027-01-02", "2027-01-03"] },
]
makeup_workdays = []
"#;

#[tokio::test]
async fn the_cli_shows_years_and_computes_deadlines() {
    let loc = TestLocation::new().await;
    let out = egov(&args(&loc, &["calendar", "show", "2026"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 365);
    assert!(lines.contains(&"2026-10-01 holiday"));
    assert!(lines.contains(&"2026-10-10 makeup"));
    assert!(lines.contains(&"2026-10-11 weekend"));
    assert!(lines.contains(&"2026-10-12 workday"));
    assert!(lines.iter().all(|l| {
        let kind = l.split(' ').nth(1).unwrap();
        matches!(kind, "workday" | "weekend" | "holiday" | "makeup")
    }));
    for year in 2009..=2026 {
        let out = egov(&args(&loc, &["calendar", "show", &year.to_string()])).await;
        assert!(
            out.stdout.contains(&format!("{year}-10-01 holiday")),
            "{year}"
        );
        assert!(out.stderr.is_empty(), "{year} is published: {}", out.stderr);
    }

    // REFERENCE: accepted 2026-09-24, +20 working days = 2026-10-29; +45 = 2026-12-03.
    let due = |n: &'static str| {
        let loc = &loc;
        async move { egov(&args(loc, &["calendar", "due", "2026-09-24", n])).await }
    };
    assert_eq!(due("20").await.stdout.trim(), "2026-10-29");
    assert_eq!(due("45").await.stdout.trim(), "2026-12-03");
    let hours = egov(&args(
        &loc,
        &["calendar", "due", "2026-09-30T16:00", "4", "--unit", "hour"],
    ))
    .await;
    assert_eq!(hours.stdout.trim(), "2026-10-08T11:30", "{}", hours.stderr);
    let days = egov(&args(
        &loc,
        &["calendar", "due", "2026-09-01", "30", "--unit", "day"],
    ))
    .await;
    assert_eq!(
        days.stdout.trim(),
        "2026-10-08",
        "the last day falls in the National Day holiday"
    );

    // Into 2027, whose notice is not loaded: provisional.
    let out = egov(&args(&loc, &["calendar", "due", "2026-12-20", "20"])).await;
    assert!(out.stderr.contains("provisional"), "{}", out.stderr);
    let provisional = out.stdout.trim().to_owned();

    let file = loc.dir.path().join("2027.toml");
    std::fs::write(&file, YEAR_2027).unwrap();
    let out = egov(&args(&loc, &["calendar", "load", file.to_str().unwrap()])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = egov(&args(&loc, &["calendar", "due", "2026-12-20", "20"])).await;
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert_ne!(
        out.stdout.trim(),
        provisional,
        "the New Year holiday moves the deadline"
    );

    let bad = egov(&args(&loc, &["calendar", "due", "24/09/2026", "20"])).await;
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("YYYY-MM-DD"));
}

#[tokio::test]
async fn the_api_answers_days_and_deadlines() {
    let app = TestApp::new().await;
    let y = app.get("/api/v1/calendar/2026").await.json();
    assert_eq!(y["published"], true);
    assert_eq!(y["days"].as_array().unwrap().len(), 365);
    let oct1 = y["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == "2026-10-01")
        .unwrap();
    assert_eq!(oct1["kind"], "holiday");
    assert_eq!(oct1["holiday"], "国庆节");
    assert_eq!(
        app.get("/api/v1/calendar/2030").await.json()["published"],
        false
    );

    let due = app
        .get("/api/v1/calendar/due?start=2026-09-24&n=45")
        .await
        .json();
    assert_eq!(due["due"], "2026-12-03T23:59:59");
    assert_eq!(due["provisional"], false);
    let due = app
        .get("/api/v1/calendar/due?start=2026-12-20&n=20")
        .await
        .json();
    assert_eq!(due["provisional"], true);
    assert_eq!(due["unpublished_years"], serde_json::json!([2027]));
    app.get("/api/v1/calendar/due?start=2026-09-24&n=5&unit=fortnight")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
}

#[tokio::test]
async fn an_administrator_loads_a_newly_published_year() {
    let app = TestApp::new().await;
    let pw = app.staff("sys.admin", true).await;
    let (cookie, csrf) = app.sign_in("sys.admin", &pw).await;
    let post = |body: &'static str| {
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        let app = &app;
        async move {
            app.send(
                Method::POST,
                "/api/v1/calendar",
                &[
                    ("cookie", &cookie),
                    ("x-csrf-token", &csrf),
                    ("content-type", "application/toml"),
                ],
                body,
            )
            .await
        }
    };
    let years_before = app.count("calendar_years").await;
    let audit_before = app.count("audit_log").await;
    // A make-up "working day" on a Wednesday is refused whole.
    let bad = post(
        "version = \"x\"\n[[year]]\nyear = 2027\nholidays = []\nmakeup_workdays = [\"2027-01-06\"]\n",
    )
    .await;
    bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(bad.json()["detail"]
        .as_str()
        .unwrap()
        .contains("2027-01-06"));
    assert_eq!(app.count("calendar_years").await, years_before);
    assert_eq!(app.count("audit_log").await, audit_before);

    // Both nodes have counted into 2027 (and keep the calendar they read).
    let other = app.another_node();
    let due_2027 = "/api/v1/calendar/due?start=2026-12-20&n=20";
    assert_eq!(app.get(due_2027).await.json()["provisional"], true);
    assert_eq!(other.get(due_2027).await.json()["provisional"], true);

    let ok = post(YEAR_2027).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    // Loaded through one node, the year counts on both at once.
    for node in [app.get(due_2027).await, other.get(due_2027).await] {
        assert_eq!(node.json()["provisional"], false, "{}", node.body);
    }
    assert_eq!(ok.json()["years"], serde_json::json!([2027]));
    assert_eq!(
        app.get("/api/v1/calendar/2027").await.json()["published"],
        true
    );
    assert_eq!(app.count("audit_log").await, audit_before + 1);
}

#[tokio::test]
async fn a_node_reads_the_calendar_again_only_after_a_load() {
    let app = TestApp::new().await;
    let cache = egov_calendar::CalendarCache::default();
    let first = cache.get(app.db()).await.unwrap();
    assert!(!first.is_published(2027));
    let again = cache.get(app.db()).await.unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&first, &again),
        "kept, not read again"
    );

    egov_calendar::load_file(app.db(), &egov_kernel::Context::system(), YEAR_2027)
        .await
        .unwrap();
    let after = cache.get(app.db()).await.unwrap();
    assert!(!std::sync::Arc::ptr_eq(&first, &after));
    assert!(after.is_published(2027));
}
