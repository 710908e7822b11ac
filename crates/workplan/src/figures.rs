//! Work-plan supervision's figures in the indicators engine, computed from
//! the plans with no hand entry: for each year, per lead department, the
//! tasks and milestones it led and how they ended, its reports and the late
//! ones, the warnings and 督办 orders it was given; the rates over them as
//! public indicators, and a composite index the departments are ranked on
//! (the indicators engine's pages, rankings and exports). Run again, a
//! year's figures are recomputed; changed ones supersede.

use crate::scoring::{outcome, Outcome};
use crate::settings::Settings;
use crate::{board, drafting};
use egov_cases::figures::{define, Element, Rate};
use egov_indicators::store::{self, Area, DataValue, ImportCount};
use egov_indicators::{rulebook, Component, CompositeIndex, IndicatorError, Normalisation, Period};
use egov_kernel::Context;
use egov_store::{run, Db, StoreError};
use std::collections::BTreeMap;

/// The elements, in the order [`Counts`] holds them.
pub const ELEMENTS: [Element; 8] = [
    ("workplan.tasks", "牵头任务数", "Tasks led"),
    ("workplan.done_on_time", "按期完成数", "Done on time"),
    ("workplan.done_late", "逾期完成数", "Done late"),
    ("workplan.not_done", "未完成数", "Not done"),
    ("workplan.reports", "进展报送数", "Progress reports"),
    ("workplan.late_reports", "逾期报送数", "Late reports"),
    ("workplan.warnings", "督查预警数", "Warnings"),
    ("workplan.orders", "督办数", "Supervision orders"),
];

/// The rates over them.
pub const RATES: [Rate; 3] = [
    (
        "workplan.on_time_rate",
        "任务按期完成率",
        "Tasks done on time",
        "#{workplan.done_on_time}",
        "#{workplan.tasks}",
    ),
    (
        "workplan.completion_rate",
        "任务完成率",
        "Tasks done",
        "#{workplan.done_on_time} + #{workplan.done_late}",
        "#{workplan.tasks}",
    ),
    (
        "workplan.late_report_rate",
        "逾期报送率",
        "Late reports",
        "#{workplan.late_reports}",
        "#{workplan.reports}",
    ),
];

/// The departments' composite score: done on time above all, done at all,
/// reported on time.
fn index() -> CompositeIndex {
    let part = |indicator: &str, weight: f64, higher_is_better: bool| Component {
        indicator: indicator.to_owned(),
        weight,
        higher_is_better,
    };
    CompositeIndex {
        code: "workplan.score".to_owned(),
        name: "工作任务落实综合评价".to_owned(),
        name_en: Some("Work-plan delivery score".to_owned()),
        normalisation: Normalisation::MinMax,
        components: vec![
            part("workplan.on_time_rate", 0.5, true),
            part("workplan.completion_rate", 0.3, true),
            part("workplan.late_report_rate", 0.2, false),
        ],
        public: true,
    }
}

/// A year's counts for one department, in the order of [`ELEMENTS`].
type Counts = [u64; 8];

#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Indicators(#[from] IndicatorError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
    #[error("reading the working-day calendar")]
    Calendar(#[from] egov_calendar::LoadError),
}

/// Computes `year`'s figures over its published plans, per lead
/// department, as of `today`, and stores them.
pub async fn publish(
    db: &Db,
    year: i32,
    today: chrono::NaiveDate,
) -> Result<ImportCount, FigureError> {
    let ctx = Context::system();
    define(db, &ctx, &ELEMENTS, &RATES).await?;
    if !rulebook::indices(db, false)
        .await?
        .iter()
        .any(|i| i.code == "workplan.score")
    {
        rulebook::define_index(db, &ctx, &index()).await?;
    }
    let calendar = egov_calendar::load_calendar(db).await?;
    let mut totals: BTreeMap<i64, Counts> = BTreeMap::new();
    for plan in drafting::plans(db).await? {
        if plan.year() != year || !plan.is_published() {
            continue;
        }
        let id = plan.id;
        let b = board::build(
            &calendar,
            Settings::shipped(),
            plan,
            board::nodes(db, id).await?,
            today,
        );
        for n in b
            .nodes
            .iter()
            .filter(|n| n.level != crate::plan::Level::Item)
        {
            let t = totals.entry(n.lead_department_id).or_insert([0; 8]);
            match outcome(&b, n) {
                Outcome::OnTime => {
                    t[0] += 1;
                    t[1] += 1;
                }
                Outcome::Late => {
                    t[0] += 1;
                    t[2] += 1;
                }
                Outcome::NotDone => {
                    t[0] += 1;
                    t[3] += 1;
                }
                Outcome::Cancelled | Outcome::Pending => {}
            }
        }
        let mut r = db.reader().await?;
        let reports: Vec<(i64, i64, i64)> = run!(r, |c| sqlx::query_as(
            "SELECT r.department_id, COUNT(*), SUM(CASE WHEN r.late THEN 1 ELSE 0 END) \
             FROM workplan_reports r JOIN workplan_nodes n ON n.id = r.node_id \
             WHERE n.plan_id = $1 GROUP BY r.department_id"
        )
        .bind(id)
        .fetch_all(&mut *c)
        .await)
        .map_err(StoreError::from)?;
        drop(r);
        for (d, all, late) in reports {
            let t = totals.entry(d).or_insert([0; 8]);
            t[4] += u64::try_from(all).unwrap_or(0);
            t[5] += u64::try_from(late).unwrap_or(0);
        }
        for (d, n) in crate::alerts::warnings(db, id).await? {
            totals.entry(d).or_insert([0; 8])[6] += u64::try_from(n).unwrap_or(0);
        }
        for (d, n) in crate::orders::counts(db, id).await? {
            totals.entry(d).or_insert([0; 8])[7] += u64::try_from(n).unwrap_or(0);
        }
    }
    let directory = egov_org::directory(db).await?;
    let known = |a: &str| match directory.by_code(a) {
        Some(_) => Area::Open,
        None => Area::Unknown,
    };
    let period = Period::Year(year).to_string();
    let mut values = Vec::with_capacity(totals.len() * ELEMENTS.len());
    for (department, counts) in totals {
        let Some(d) = directory.department(department) else {
            continue;
        };
        for ((code, _, _), n) in ELEMENTS.iter().zip(counts) {
            values.push(DataValue {
                element: (*code).to_owned(),
                period: period.clone(),
                area: d.code.clone(),
                category: String::new(),
                value: n.to_string(),
            });
        }
    }
    Ok(store::import(db, &ctx, &values, &known, &|_, _| None).await?)
}

/// [`publish`] for every year with a published plan; answers how many
/// values went in.
pub async fn publish_all(db: &Db, today: chrono::NaiveDate) -> Result<usize, FigureError> {
    let mut years: Vec<i32> = drafting::plans(db)
        .await?
        .iter()
        .filter(|p| p.is_published())
        .map(|p| p.year())
        .collect();
    years.sort_unstable();
    years.dedup();
    let mut n = 0;
    for y in years {
        let c = publish(db, y, today).await?;
        n += c.imported + c.updated;
    }
    Ok(n)
}
