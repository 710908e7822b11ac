//! The case engine's figures in the indicators engine, with no hand entry:
//! each department's cases received, closed, closed on time, overdue,
//! rated and rated 基本满意 or better in a month, computed from the case
//! records by [`crate::metrics`] and stored as that month's values of
//! `egov.*` data elements for the department, with the 按期办结率 and the
//! 满意率 as public indicators over them. Run again, a month's figures are
//! recomputed: unchanged ones are left, changed ones supersede (a case
//! closed or rated late), so the history shows every revision.

use crate::metrics::{self, Role};
use crate::CaseError;
use egov_calendar::WorkCalendar;
use egov_indicators::store::{self, Area, DataElement, DataValue, ImportCount};
use egov_indicators::{definition, Aggregation, IndicatorDefinition, IndicatorError, Period};
use egov_kernel::{time, Context};
use egov_store::Db;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    #[error("the period {0} is not a month")]
    NotAMonth(Period),
    #[error(transparent)]
    Cases(#[from] CaseError),
    #[error(transparent)]
    Indicators(#[from] IndicatorError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
}

/// The elements, by code, with their Chinese and English names.
pub const ELEMENTS: [Element; 6] = [
    ("egov.cases_received", "受理件数", "Cases received"),
    ("egov.cases_closed", "办结件数", "Cases closed"),
    (
        "egov.cases_closed_on_time",
        "按期办结件数",
        "Cases closed on time",
    ),
    ("egov.cases_overdue", "超期件数", "Cases overdue"),
    ("egov.cases_rated", "评价件数", "Cases rated"),
    (
        "egov.cases_satisfied",
        "满意评价件数",
        "Cases rated satisfied",
    ),
];

/// The indicators over them: code, names, numerator, denominator.
pub const INDICATORS: [Rate; 2] = [
    (
        "egov.on_time_rate",
        "按期办结率",
        "Cases closed on time",
        "#{egov.cases_closed_on_time}",
        "#{egov.cases_closed}",
    ),
    (
        "egov.satisfaction_rate",
        "满意率",
        "Satisfaction",
        "#{egov.cases_satisfied}",
        "#{egov.cases_rated}",
    ),
];

/// An element a system's figures are stored as: code, names.
pub type Element = (&'static str, &'static str, &'static str);
/// An indicator over them: code, names, numerator, denominator.
pub type Rate = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// Defines the elements (counts of cases, summed) and the public rates over
/// them that are not there yet (an administrator's change to their names
/// stays). Other systems' figures are defined the same way.
pub async fn define(
    db: &Db,
    ctx: &Context,
    elements: &[Element],
    rates: &[Rate],
) -> Result<(), IndicatorError> {
    let have = store::elements(db).await?;
    for &(code, name, name_en) in elements {
        if have.iter().any(|e| e.code == code) {
            continue;
        }
        let element = DataElement {
            code: code.to_owned(),
            name: name.to_owned(),
            name_en: Some(name_en.to_owned()),
            unit: "件".to_owned(),
            aggregation: Aggregation::Sum,
        };
        match store::define_element(db, ctx, &element).await {
            // Another node defined it first.
            Ok(()) | Err(IndicatorError::Exists(_)) => {}
            Err(e) => return Err(e),
        }
    }
    for &(code, name, name_en, numerator, denominator) in rates {
        if definition::get(db, code).await?.is_some() {
            continue;
        }
        let rate = IndicatorDefinition {
            code: code.to_owned(),
            name: name.to_owned(),
            name_en: Some(name_en.to_owned()),
            numerator: numerator.to_owned(),
            denominator: denominator.to_owned(),
            factor: 100.0,
            unit: "%".to_owned(),
            decimals: 1,
            public: true,
            bands: None,
        };
        definition::define(db, ctx, &rate).await?;
    }
    Ok(())
}

/// Computes `month`'s figures per department and stores them.
pub async fn publish(
    db: &Db,
    cal: &WorkCalendar,
    month: Period,
) -> Result<ImportCount, FigureError> {
    if !matches!(month, Period::Month { .. }) {
        return Err(FigureError::NotAMonth(month));
    }
    let ctx = Context::system();
    define(db, &ctx, &ELEMENTS, &INDICATORS).await?;
    let (first, last) = month.days();
    let at = |d: chrono::NaiveDate| time::from_beijing(d.and_time(chrono::NaiveTime::MIN));
    let span = metrics::Period {
        from: at(first),
        to: at(last + chrono::Duration::days(1)),
    };
    let lines = metrics::compute(db, cal, &span, None, None).await?;
    // The handling department's lines, over every process.
    let mut totals: BTreeMap<i64, [u64; 6]> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.role == Role::Handling) {
        let t = totals.entry(l.department_id).or_default();
        let add = [
            l.received,
            l.closed,
            l.closed_on_time,
            l.overdue,
            l.ratings,
            l.satisfied,
        ];
        for (sum, n) in t.iter_mut().zip(add) {
            *sum += n;
        }
    }
    let directory = egov_org::directory(db).await?;
    let mut rows = Vec::with_capacity(totals.len() * ELEMENTS.len());
    for (department_id, figures) in totals {
        let Some(department) = directory.department(department_id) else {
            continue;
        };
        for ((code, _, _), n) in ELEMENTS.iter().zip(figures) {
            rows.push(DataValue {
                element: (*code).to_owned(),
                period: month.to_string(),
                area: department.code.clone(),
                category: String::new(),
                value: n.to_string(),
            });
        }
    }
    let known = |a: &str| match directory.by_code(a) {
        Some(_) => Area::Open,
        None => Area::Unknown,
    };
    Ok(store::import(db, &ctx, &rows, &known, &|_, _| None).await?)
}
