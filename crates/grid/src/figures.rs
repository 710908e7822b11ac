//! Grid management's figures in the indicators engine, computed from the
//! cases with no hand entry: for the reports received in a month, per
//! handling department, district and street, how many were filed (立案),
//! closed (结案), closed on time, sent back for rework (返工) and extended
//! (延期), with their rates as public indicators; and the 12345 hotline's
//! three rates (三率: 响应率, 解决率, 满意率) for the calls among them. The
//! indicators engine draws them as pages with charts, rankings and CSV and
//! XLSX exports. Run again, a month's figures are recomputed; changed ones
//! supersede.

use egov_cases::figures::{define, Element, Rate};
use egov_indicators::store::{self, Area, DataValue, ImportCount};
use egov_indicators::{rulebook, Component, CompositeIndex, IndicatorError, Normalisation, Period};
use egov_kernel::{time, Context};
use egov_store::{run, Db, StoreError};
use std::collections::BTreeMap;

/// The elements, in the order [`Counts`] holds them.
pub const ELEMENTS: [Element; 12] = [
    ("grid.reports", "上报案件数", "Reports"),
    ("grid.registered", "立案数", "Filed"),
    ("grid.closed", "结案数", "Closed"),
    ("grid.closed_on_time", "按期结案数", "Closed on time"),
    ("grid.reworked", "返工案件数", "Sent back for rework"),
    ("grid.extended", "延期案件数", "Extended"),
    ("grid.hotline_calls", "12345 来电数", "12345 calls"),
    (
        "grid.hotline_responded",
        "12345 已响应数",
        "12345 calls responded to",
    ),
    (
        "grid.hotline_finished",
        "12345 办结数",
        "12345 calls finished",
    ),
    ("grid.hotline_solved", "12345 解决数", "12345 calls solved"),
    ("grid.hotline_rated", "12345 评价数", "12345 calls rated"),
    (
        "grid.hotline_satisfied",
        "12345 满意数",
        "12345 calls rated satisfied",
    ),
];

/// The rates over them.
pub const RATES: [Rate; 8] = [
    (
        "grid.register_rate",
        "立案率",
        "Filing rate",
        "#{grid.registered}",
        "#{grid.reports}",
    ),
    (
        "grid.close_rate",
        "结案率",
        "Closing rate",
        "#{grid.closed}",
        "#{grid.registered}",
    ),
    (
        "grid.on_time_close_rate",
        "按期结案率",
        "Closed on time",
        "#{grid.closed_on_time}",
        "#{grid.closed}",
    ),
    (
        "grid.rework_rate",
        "返工率",
        "Rework rate",
        "#{grid.reworked}",
        "#{grid.closed}",
    ),
    (
        "grid.extension_rate",
        "延期率",
        "Extension rate",
        "#{grid.extended}",
        "#{grid.registered}",
    ),
    (
        "grid.hotline_response_rate",
        "12345 响应率",
        "12345 response rate",
        "#{grid.hotline_responded}",
        "#{grid.hotline_calls}",
    ),
    (
        "grid.hotline_solve_rate",
        "12345 解决率",
        "12345 solving rate",
        "#{grid.hotline_solved}",
        "#{grid.hotline_finished}",
    ),
    (
        "grid.hotline_satisfaction_rate",
        "12345 满意率",
        "12345 satisfaction",
        "#{grid.hotline_satisfied}",
        "#{grid.hotline_rated}",
    ),
];

/// The composite scores the districts and streets are ranked on each
/// month: grid management as a whole (more closed, more on time, less
/// rework, fewer extensions), and the hotline's three rates, as 12345's
/// monthly ranking has them.
fn indices() -> [CompositeIndex; 2] {
    let part = |indicator: &str, weight: f64, higher_is_better: bool| Component {
        indicator: indicator.to_owned(),
        weight,
        higher_is_better,
    };
    [
        CompositeIndex {
            code: "grid.score".to_owned(),
            name: "城市管理综合评价".to_owned(),
            name_en: Some("City management score".to_owned()),
            normalisation: Normalisation::MinMax,
            components: vec![
                part("grid.close_rate", 0.3, true),
                part("grid.on_time_close_rate", 0.3, true),
                part("grid.rework_rate", 0.2, false),
                part("grid.extension_rate", 0.2, false),
            ],
            public: true,
        },
        CompositeIndex {
            code: "grid.hotline_score".to_owned(),
            name: "12345 接诉即办三率".to_owned(),
            name_en: Some("12345: responded, solved, satisfied".to_owned()),
            normalisation: Normalisation::MinMax,
            components: vec![
                part("grid.hotline_response_rate", 0.2, true),
                part("grid.hotline_solve_rate", 0.4, true),
                part("grid.hotline_satisfaction_rate", 0.4, true),
            ],
            public: true,
        },
    ]
}

/// Defines the indices not there yet (an administrator's weights stay).
async fn define_indices(db: &Db, ctx: &Context) -> Result<(), IndicatorError> {
    let have = rulebook::indices(db, false).await?;
    for index in indices() {
        if !have.iter().any(|i| i.code == index.code) {
            rulebook::define_index(db, ctx, &index).await?;
        }
    }
    Ok(())
}

/// A month's counts for one area, in the order of [`ELEMENTS`].
type Counts = [u64; 12];

#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    #[error("the period {0} is not a month")]
    NotAMonth(Period),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Indicators(#[from] IndicatorError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    district: String,
    street: Option<String>,
    /// `None` while the report waits to be filed (at its command centre).
    handled_by: Option<i64>,
    channel: String,
    state: String,
    closed: bool,
    overdue: bool,
    registered: bool,
    reworked: bool,
    extended: bool,
    grade: Option<i32>,
}

impl CaseRow {
    fn counts(&self) -> Counts {
        let fixed = self.state == "closed";
        let finished = self.closed && self.registered;
        let hotline = self.channel == "hotline";
        // Answered by the centre at all: filed, or turned away with a word.
        let responded = self.state != "reported";
        let n = |b: bool| u64::from(b);
        [
            1,
            n(self.registered),
            n(finished),
            n(finished && !self.overdue),
            n(self.reworked),
            n(self.extended),
            n(hotline),
            n(hotline && responded),
            n(hotline && finished),
            n(hotline && finished && fixed),
            n(hotline && self.grade.is_some()),
            n(hotline && self.grade.is_some_and(|g| g >= 3)),
        ]
    }
}

/// Computes `month`'s figures (the reports received in it) per handling
/// department, district and street, and stores them.
pub async fn publish(db: &Db, month: Period) -> Result<ImportCount, FigureError> {
    if !matches!(month, Period::Month { .. }) {
        return Err(FigureError::NotAMonth(month));
    }
    let ctx = Context::system();
    define(db, &ctx, &ELEMENTS, &RATES).await?;
    define_indices(db, &ctx).await?;
    let (first, last) = month.days();
    let at = |d: chrono::NaiveDate| time::from_beijing(d.and_time(chrono::NaiveTime::MIN));
    let (from, to) = (at(first), at(last + chrono::Duration::days(1)));
    let mut r = db.reader().await?;
    let rows: Vec<CaseRow> = run!(r, |c| sqlx::query_as(
        "SELECT r.district, r.street, COALESCE(c.assigned_department_id, c.department_id) AS handled_by, \
         r.channel, COALESCE(c.state, 'reported') AS state, (c.closed_at IS NOT NULL) AS closed, \
         COALESCE(c.overdue, FALSE) AS overdue, \
         EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action IN ('register', 'reopen')) AS registered, \
         EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action = 'rework') AS reworked, \
         EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action = 'extend') AS extended, \
         (SELECT CAST(g.grade AS INTEGER) FROM case_ratings g WHERE g.case_id = c.id) AS grade \
         FROM grid_reports r LEFT JOIN cases c ON c.id = r.case_id \
         WHERE r.received_at >= $1 AND r.received_at < $2"
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    drop(r);
    let directory = egov_org::directory(db).await?;
    let mut totals: BTreeMap<String, Counts> = BTreeMap::new();
    for row in &rows {
        let counts = row.counts();
        let department = row
            .handled_by
            .or_else(|| crate::intake::command_centre(&directory, &row.district))
            .and_then(|id| directory.department(id))
            .map(|d| d.code.as_str().to_owned());
        let areas = [Some(row.district.clone()), row.street.clone(), department];
        for area in areas.into_iter().flatten() {
            let t = totals.entry(area).or_insert([0; 12]);
            for (sum, n) in t.iter_mut().zip(counts) {
                *sum += n;
            }
        }
    }
    let known = |a: &str| {
        if directory.division(a).is_some() || directory.by_code(a).is_some() {
            Area::Open
        } else {
            Area::Unknown
        }
    };
    let mut values = Vec::with_capacity(totals.len() * ELEMENTS.len());
    // A city's own streets need not be divisions of the organisation
    // model: those that are not get no figures of their own.
    for (area, counts) in totals.into_iter().filter(|(a, _)| known(a) == Area::Open) {
        for ((code, _, _), n) in ELEMENTS.iter().zip(counts) {
            values.push(DataValue {
                element: (*code).to_owned(),
                period: month.to_string(),
                area: area.clone(),
                category: String::new(),
                value: n.to_string(),
            });
        }
    }
    Ok(store::import(db, &ctx, &values, &known, &|_, _| None).await?)
}
