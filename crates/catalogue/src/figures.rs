//! The catalogue's and the exchange's figures in the indicators engine, for
//! the assessment of sharing (共享考核), with no hand entry: per department
//! and month, what it has catalogued (编目), how much of it may be shared,
//! is open and has its data hosted (挂接), and how its resources were used
//! through the exchange (calls answered and rows served as provider, calls
//! made as consumer, calls refused), from the catalogue and the exchange's
//! log; rates over them and a composite score the departments are ranked
//! on. Run again, a month's figures are recomputed; changed ones supersede.

use crate::exchange::{self, ExchangeError};
use crate::registry::{Catalogue, CatalogueError};
use crate::resource::{OpenType, Sharing as SharingType};
use crate::sharing::{Sharing, SharingError};
use egov_cases::figures::{define, Element, Rate};
use egov_indicators::store::{self, Area, DataValue, ImportCount};
use egov_indicators::{rulebook, Component, CompositeIndex, IndicatorError, Normalisation, Period};
use egov_kernel::{time, Context};
use egov_store::Db;
use std::collections::{BTreeMap, BTreeSet};

/// The elements, in the order [`Counts`] holds them.
pub const ELEMENTS: [Element; 10] = [
    ("catalogue.resources", "编目资源数", "Resources catalogued"),
    (
        "catalogue.shareable",
        "可共享资源数",
        "Resources that may be shared",
    ),
    ("catalogue.open", "开放资源数", "Open resources"),
    (
        "catalogue.hosted",
        "挂接数据资源数",
        "Resources with data hosted",
    ),
    ("catalogue.grants", "有效共享授权数", "Live grants given"),
    (
        "exchange.resources_used",
        "被调用资源数",
        "Resources called",
    ),
    (
        "exchange.calls_served",
        "被调用次数",
        "Calls answered as provider",
    ),
    ("exchange.rows_served", "提供数据条数", "Rows served"),
    ("exchange.calls_made", "调用次数", "Calls made as consumer"),
    ("exchange.calls_refused", "拒绝调用次数", "Calls refused"),
];

/// The rates over them.
pub const RATES: [Rate; 5] = [
    (
        "catalogue.share_rate",
        "资源共享率",
        "Share of resources that may be shared",
        "#{catalogue.shareable}",
        "#{catalogue.resources}",
    ),
    (
        "catalogue.open_rate",
        "资源开放率",
        "Share of resources open",
        "#{catalogue.open}",
        "#{catalogue.resources}",
    ),
    (
        "catalogue.hosted_rate",
        "数据挂接率",
        "Share of resources with data hosted",
        "#{catalogue.hosted}",
        "#{catalogue.resources}",
    ),
    (
        "exchange.use_rate",
        "共享资源调用率",
        "Share of shareable resources called",
        "#{exchange.resources_used}",
        "#{catalogue.shareable}",
    ),
    (
        "exchange.refusal_rate",
        "调用拒绝率",
        "Share of calls refused",
        "#{exchange.calls_refused}",
        "#{exchange.calls_served} + #{exchange.calls_refused}",
    ),
];

/// The score the departments are ranked on each month: more shared, more
/// hosted, more open, more of it used. (Calls refused are a rate of their
/// own, not a component: a department nobody called has none.)
fn index() -> CompositeIndex {
    let part = |indicator: &str, weight: f64, higher_is_better: bool| Component {
        indicator: indicator.to_owned(),
        weight,
        higher_is_better,
    };
    CompositeIndex {
        code: "catalogue.sharing_score".to_owned(),
        name: "政务信息资源共享考核".to_owned(),
        name_en: Some("Information sharing assessment".to_owned()),
        normalisation: Normalisation::MinMax,
        components: vec![
            part("catalogue.share_rate", 0.3, true),
            part("catalogue.hosted_rate", 0.3, true),
            part("catalogue.open_rate", 0.15, true),
            part("exchange.use_rate", 0.25, true),
        ],
        public: true,
    }
}

/// A month's counts for one department, in the order of [`ELEMENTS`].
type Counts = [u64; 10];

#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    #[error("the period {0} is not a month")]
    NotAMonth(Period),
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Sharing(#[from] SharingError),
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    #[error(transparent)]
    Indicators(#[from] IndicatorError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
}

/// Computes `month`'s figures per department and stores them. The
/// catalogue's counts are the resources registered by the month's end as
/// they stand now (a resource's sharing and open types are kept as revised,
/// not by month).
pub async fn publish(db: &Db, month: Period) -> Result<ImportCount, FigureError> {
    if !matches!(month, Period::Month { .. }) {
        return Err(FigureError::NotAMonth(month));
    }
    let ctx = Context::system();
    define(db, &ctx, &ELEMENTS, &RATES).await?;
    let have = rulebook::indices(db, false).await?;
    let index = index();
    if !have.iter().any(|i| i.code == index.code) {
        // An administrator's weights, once there, stay.
        rulebook::define_index(db, &ctx, &index).await?;
    }
    let (first, last) = month.days();
    let end =
        time::from_beijing((last + chrono::Duration::days(1)).and_time(chrono::NaiveTime::MIN));
    let catalogue = Catalogue::get(db).await?;
    let sharing = Sharing::get(db).await?;
    let data = crate::hosted::DataVersions::get(db).await?;
    let usage = exchange::usage(db, first, last).await?;

    let mut totals: BTreeMap<String, Counts> = BTreeMap::new();
    let mut add = |department: &str, element: usize, n: u64| {
        totals.entry(department.to_owned()).or_insert([0; 10])[element] += n;
    };
    for r in catalogue.resources().iter().filter(|r| r.created_at < end) {
        add(&r.department, 0, 1);
        add(&r.department, 1, u64::from(r.sharing != SharingType::None));
        add(&r.department, 2, u64::from(r.open == OpenType::Open));
        add(&r.department, 3, u64::from(data.of(r.id).version > 0));
    }
    for g in sharing.grants().filter(|g| g.live_on(last)) {
        if let Some(r) = catalogue.by_code(&g.resource) {
            add(&r.department, 4, 1);
        }
    }
    let mut used = BTreeSet::new();
    for row in &usage.answered {
        if used.insert(row.resource.as_str()) {
            add(&row.provider, 5, 1);
        }
        add(&row.provider, 6, row.calls);
        add(&row.provider, 7, row.rows);
        add(&row.consumer, 8, row.calls);
    }
    for (resource, n) in &usage.refused {
        if let Some(r) = catalogue.by_code(resource) {
            add(&r.department, 9, *n);
        }
    }

    let directory = egov_org::directory(db).await?;
    let known = |a: &str| match directory.by_code(a) {
        Some(_) => Area::Open,
        None => Area::Unknown,
    };
    let mut values = Vec::with_capacity(totals.len() * ELEMENTS.len());
    for (department, counts) in totals.into_iter().filter(|(d, _)| known(d) == Area::Open) {
        for ((code, _, _), n) in ELEMENTS.iter().zip(counts) {
            values.push(DataValue {
                element: (*code).to_owned(),
                period: month.to_string(),
                area: department.clone(),
                category: String::new(),
                value: n.to_string(),
            });
        }
    }
    Ok(store::import(db, &ctx, &values, &known, &|_, _| None).await?)
}
