//! The indicators engine's store on both engines: a batch of values is
//! checked whole and stored whole, a correction keeps what it replaced.

use crate::common::TestApp;
use egov_indicators::store::{self, DataElement, DataValue};
use egov_indicators::{Aggregation, IndicatorError, Period};
use egov_kernel::Context;

fn value(element: &str, period: &str, area: &str, value: &str) -> DataValue {
    DataValue {
        element: element.into(),
        period: period.into(),
        area: area.into(),
        category: String::new(),
        value: value.into(),
    }
}

fn districts(area: &str) -> bool {
    ["110000", "110101", "110102"].contains(&area)
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
    let refused = store::import(app.db(), &ctx, "user:1", &batch, &districts).await;
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
    let ctx = Context::system();
    let first = [
        value("cases_received", "202601B", "110101", "250"),
        value("cases_received", "202603", "110101", "130"),
        value("cpi", "202603", "110000", "101.2"),
    ];
    let count = store::import(app.db(), &ctx, "user:1", &first, &districts)
        .await
        .unwrap();
    assert_eq!((count.imported, count.updated, count.ignored), (3, 0, 0));

    // The same again changes nothing; a corrected March replaces the old.
    let again = [
        value("cases_received", "202601B", "110101", "250"),
        value("cases_received", "202603", "110101", "135"),
    ];
    let count = store::import(app.db(), &ctx, "user:2", &again, &districts)
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
