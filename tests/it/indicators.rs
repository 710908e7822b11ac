//! The indicators engine's store on both engines: a batch of values is
//! checked whole and stored whole, a correction keeps what it replaced.

use crate::common::TestApp;
use egov_indicators::store::{self, DataElement, DataValue};
use egov_indicators::{Aggregation, Area, IndicatorError, Period};
use egov_kernel::{Actor, Context};

fn value(element: &str, period: &str, area: &str, value: &str) -> DataValue {
    DataValue {
        element: element.into(),
        period: period.into(),
        area: area.into(),
        category: String::new(),
        value: value.into(),
    }
}

fn districts(area: &str) -> Area {
    if ["110000", "110101", "110102"].contains(&area) {
        Area::Open
    } else {
        Area::Unknown
    }
}

async fn with_elements(app: &TestApp) {
    for (code, name, aggregation) in [
        ("cases_received", "受理件数", Aggregation::Sum),
        ("cpi", "居民消费价格指数", Aggregation::Average),
    ] {
        store::define_element(
            app.db(),
            &Context::system(),
            &DataElement {
                code: code.into(),
                name: name.into(),
                name_en: None,
                unit: String::new(),
                aggregation,
            },
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_batch_with_a_bad_row_stores_nothing_and_names_every_problem() {
    let app = TestApp::new().await;
    with_elements(&app).await;
    let ctx = Context::system();
    let batch = [
        value("cases_received", "202601", "110101", "120"),
        value("cases_received", "202613", "110101", "12"),
        value("cpi", "202601", "999999", "abc"),
    ];
    let refused = store::import(app.db(), &ctx, &batch, &districts, &|_, _| None).await;
    let Err(IndicatorError::Rows(problems)) = refused else {
        panic!("{refused:?}")
    };
    let at: Vec<_> = problems.iter().map(|p| (p.row, p.column)).collect();
    assert_eq!(at, vec![(2, "period"), (3, "orgUnit"), (3, "value")]);
    assert_eq!(app.count("indicator_values").await, 0);
    assert_eq!(
        app.count_where("audit_log", "action = 'indicator.values_import'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_correction_supersedes_the_value_and_keeps_its_history() {
    let app = TestApp::new().await;
    with_elements(&app).await;
    let first = [
        value("cases_received", "202601B", "110101", "250"),
        value("cases_received", "202603", "110101", "130"),
        value("cpi", "202603", "110000", "101.2"),
    ];
    let count = store::import(
        app.db(),
        &Context::of(Actor::User(1)),
        &first,
        &districts,
        &|_, _| None,
    )
    .await
    .unwrap();
    assert_eq!((count.imported, count.updated, count.ignored), (3, 0, 0));

    // The same again changes nothing; a corrected March replaces the old.
    let again = [
        value("cases_received", "202601B", "110101", "250"),
        value("cases_received", "202603", "110101", "135"),
    ];
    let count = store::import(
        app.db(),
        &Context::of(Actor::User(2)),
        &again,
        &districts,
        &|_, _| None,
    )
    .await
    .unwrap();
    assert_eq!((count.imported, count.updated, count.ignored), (0, 1, 1));

    let march = Period::parse("202603").unwrap();
    let history = store::history(app.db(), "cases_received", &march, "110101", "")
        .await
        .unwrap();
    let told: Vec<_> = history
        .iter()
        .map(|v| (v.value, v.reported_by.as_str(), v.superseded_at.is_some()))
        .collect();
    assert_eq!(
        told,
        vec![(130.0, "user:1", true), (135.0, "user:2", false)]
    );
    let current = store::current(app.db(), "cases_received", "110101")
        .await
        .unwrap();
    let periods: Vec<_> = current
        .iter()
        .map(|v| (v.period.to_string(), v.value))
        .collect();
    assert_eq!(
        periods,
        vec![("202601B".to_owned(), 250.0), ("202603".to_owned(), 135.0)]
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'indicator.values_import'")
            .await,
        2
    );
}

#[tokio::test]
async fn an_element_is_defined_once_with_a_code_formulas_can_name() {
    let app = TestApp::new().await;
    with_elements(&app).await;
    let again = DataElement {
        code: "cpi".into(),
        name: "again".into(),
        name_en: None,
        unit: String::new(),
        aggregation: Aggregation::Sum,
    };
    let ctx = Context::system();
    assert!(matches!(
        store::define_element(app.db(), &ctx, &again).await,
        Err(IndicatorError::Exists(_))
    ));
    let spaced = DataElement {
        code: "retail sales".into(),
        ..again
    };
    assert!(matches!(
        store::define_element(app.db(), &ctx, &spaced).await,
        Err(IndicatorError::BadCode(_))
    ));
    let codes: Vec<_> = store::elements(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.code, e.aggregation))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("cases_received".to_owned(), Aggregation::Sum),
            ("cpi".to_owned(), Aggregation::Average)
        ]
    );
}

#[tokio::test]
async fn an_indicator_is_worked_out_from_stored_values_along_the_division_tree() {
    let app = TestApp::new().await;
    with_elements(&app).await;
    let ctx = Context::system();
    let batch = [
        value("cases_received", "202601", "110101", "120"),
        value("cases_received", "202602", "110101", "150"),
        value("cases_received", "202601", "110102", "80"),
        value("cases_received", "202602", "110102", "90"),
        value("cases_received", "202501", "110101", "100"),
        value("cases_received", "202501", "110102", "100"),
    ];
    store::import(app.db(), &ctx, &batch, &districts, &|_, _| None)
        .await
        .unwrap();
    let mut cube = store::cube(app.db(), &["cases_received"]).await.unwrap();
    // The city's districts, as the division tree has them.
    let divisions = egov_org::divisions(
        app.db(),
        &egov_org::DivisionFilter {
            parent: Some("110000".into()),
            level: None,
        },
    )
    .await
    .unwrap();
    for d in &divisions {
        cube.add_area("110000", &d.code);
    }
    assert!(divisions.iter().any(|d| d.code == "110101"));
    let per_month = egov_indicators::Indicator {
        code: "received".into(),
        numerator: egov_indicators::Expression::parse("#{cases_received}").unwrap(),
        denominator: egov_indicators::Expression::parse("1").unwrap(),
        factor: 1.0,
    };
    let january = Period::parse("202601").unwrap();
    assert_eq!(cube.indicator(&per_month, "110000", &january), Some(200.0));
    assert_eq!(
        cube.indicator(&per_month, "110000", &Period::parse("2026Q1").unwrap()),
        None,
        "March is not reported, so the quarter is not summed from January and February"
    );
    let g = cube.indicator_growth(&per_month, "110000", &january);
    assert_eq!(g.year_on_year, Some(0.0));
    let february = Period::parse("202602").unwrap();
    let g = cube.indicator_growth(&per_month, "110000", &february);
    assert!((g.period_on_period.unwrap() - 20.0).abs() < 1e-9);
}
