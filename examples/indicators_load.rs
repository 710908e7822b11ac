//! Indicators-engine benchmark: importing values, and an indicator worked
//! out over the city's 16 districts and ten years of months with growth,
//! on a store of `--values` values.
//!
//! ```sh
//! cargo run --release --example indicators_load -- --database-url URL \
//!     [--values 10000000] [--batch 10000] [--queries 50]
//! ```
//!
//! Give it a fresh database (`sqlite://DIR/egov.db` or `postgres://...`): it
//! migrates it and loads the demo organisation.
//!
//! 1. `import`: `--values` values (16 districts × 120 months of
//!    2017-01..2026-12 for as many elements as that takes) go in through
//!    `egov_indicators::store::import`, `--batch` values a call, each call
//!    checked whole and one transaction with its audit record, as the
//!    dataValueSets API stores them. Reported as values a minute over the
//!    whole load (the store growing all the while) and over its last tenth.
//!    Beside it, `ceiling`: the first million of the same values (at most)
//!    inserted bare into a table of the same shape and indexes, a thousand
//!    rows a statement and `--batch` a transaction, with no checks, no
//!    lookups of current values and no audit record.
//! 2. `indicator`: `--queries` times, `GET /api/v1/indicators/{code}/data`
//!    for the city and its districts over the 120 months (17 × 120 values,
//!    each with 同比, 环比 and 累计同比) through the whole router in
//!    process, as an anonymous reader of a public indicator. The city is
//!    not reported itself, so its values are made of its districts'.
//! 3. `forecast`: the city's 120 months forecast a year ahead, `--queries`
//!    times: `model` is `egov_indicators::forecast::outlook` alone (MSTL
//!    with ETS, the seasonal-naive baseline, the backtest), beside it
//!    `baseline` the seasonal-naive forecast alone (the floor); `api` is
//!    `GET /api/v1/indicators/{code}/forecast` through the router, the
//!    history read from the store.
//!
//! Each phase prints one line starting `indicators_load phase=` for scripts.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use clap::Parser;
use common::{count, engine_name, micros, ms};
use egov_indicators::store::{self, DataElement, DataValue};
use egov_indicators::{Aggregation, Area, IndicatorDefinition};
use egov_kernel::Context;
use egov_store::DatabaseUrl;
use std::time::Instant;
use tower::ServiceExt;

#[derive(Parser, Debug)]
#[command(
    about = "Indicators engine: import rate, and an indicator over 16 districts × 120 months"
)]
struct Args {
    /// A fresh database: sqlite://PATH or postgres://USER@HOST/DB
    #[arg(long)]
    database_url: String,
    /// Values to store in all.
    #[arg(long, default_value_t = 10_000_000)]
    values: usize,
    /// Values per import call.
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    /// Indicator requests timed.
    #[arg(long, default_value_t = 50)]
    queries: usize,
}

const DISTRICTS: [&str; 16] = [
    "110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111", "110112",
    "110113", "110114", "110115", "110116", "110117", "110118", "110119",
];

fn months() -> Vec<String> {
    (2017..=2026)
        .flat_map(|y| (1..=12).map(move |m| format!("{y}{m:02}")))
        .collect()
}

/// A seasonal series with a trend, different per district and element.
fn value(element: usize, district: usize, month: usize) -> f64 {
    let season = ((month % 12) as f64 / 12.0 * std::f64::consts::TAU).sin();
    let base = 1000.0 + 37.0 * district as f64 + (element % 97) as f64;
    (base * (1.0 + 0.004 * month as f64) * (1.0 + 0.1 * season)).round()
}

async fn bench(args: Args) -> anyhow::Result<bool> {
    let url = DatabaseUrl::parse(&args.database_url)?;
    let db = common::demo_db(&url, 16).await?;
    let engine = engine_name(&db);
    let ctx = Context::system();
    let months = months();
    let per_element = DISTRICTS.len() * months.len();
    let elements = args.values.div_ceil(per_element).max(2);
    for e in 0..elements {
        store::define_element(
            &db,
            &ctx,
            &DataElement {
                code: format!("e{e:05}"),
                name: format!("指标项{e}"),
                name_en: None,
                unit: String::new(),
                aggregation: Aggregation::Sum,
            },
        )
        .await?;
    }
    let rate = IndicatorDefinition {
        code: "bench_rate".into(),
        name: "基准指标".into(),
        name_en: None,
        numerator: "#{e00000}".into(),
        denominator: "#{e00001}".into(),
        factor: 100.0,
        unit: "%".into(),
        decimals: 1,
        public: true,
        bands: None,
    };
    egov_indicators::definition::define(&db, &ctx, &rate).await?;

    // 1. import
    let all = (0..elements).flat_map(|e| {
        let months = &months;
        (0..DISTRICTS.len()).flat_map(move |d| {
            months.iter().enumerate().map(move |(m, period)| DataValue {
                element: format!("e{e:05}"),
                period: period.clone(),
                area: DISTRICTS[d].to_owned(),
                category: String::new(),
                value: value(e, d, m).to_string(),
            })
        })
    });
    let open = |_: &str| Area::Open;
    let started = Instant::now();
    let mut stored = 0usize;
    let mut batch = Vec::with_capacity(args.batch);
    let last_tenth_from = args.values - args.values / 10;
    let mut last_tenth: Option<(Instant, usize)> = None;
    for v in all.take(args.values) {
        batch.push(v);
        if batch.len() == args.batch {
            let n = store::import(&db, &ctx, &batch, &open, &|_, _| None).await?;
            stored += n.imported;
            batch.clear();
            if last_tenth.is_none() && stored >= last_tenth_from {
                last_tenth = Some((Instant::now(), stored));
            }
        }
    }
    if !batch.is_empty() {
        stored += store::import(&db, &ctx, &batch, &open, &|_, _| None)
            .await?
            .imported;
    }
    let took = started.elapsed().as_secs_f64();
    let tail = last_tenth
        .map(|(at, n)| (stored - n) as f64 / at.elapsed().as_secs_f64() * 60.0)
        .unwrap_or(0.0);
    let in_store = count(
        &db,
        "SELECT COUNT(*) FROM indicator_values WHERE superseded_at IS NULL",
    )
    .await?;
    println!(
        "indicators_load phase=import engine={engine} values={stored} stored={in_store} \
         seconds={took:.1} per_minute={:.0} last_tenth_per_minute={tail:.0} batch={}",
        stored as f64 / took * 60.0,
        args.batch
    );
    let mut ok = in_store as usize == stored && stored == args.values;

    // 1b. ceiling
    db.execute(egov_store::query(
        "CREATE TABLE bench_ceiling (element_id BIGINT NOT NULL, period TEXT NOT NULL, \
         area TEXT NOT NULL, category TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, \
         reported_by TEXT NOT NULL, reported_at TEXT NOT NULL, superseded_at TEXT)"
            .to_owned(),
    ))
    .await?;
    db.execute(egov_store::query(
        "CREATE UNIQUE INDEX bench_ceiling_current ON bench_ceiling \
         (element_id, period, area, category) WHERE superseded_at IS NULL"
            .to_owned(),
    ))
    .await?;
    db.execute(egov_store::query(
        "CREATE INDEX bench_ceiling_by_area ON bench_ceiling (element_id, area, period)".to_owned(),
    ))
    .await?;
    let ceiling_values = args.values.min(1_000_000);
    let rows: Vec<(i64, String, &'static str, f64)> = (0..elements)
        .flat_map(|e| {
            let months = &months;
            (0..DISTRICTS.len()).flat_map(move |d| {
                months
                    .iter()
                    .enumerate()
                    .map(move |(m, p)| (e as i64, p.clone(), DISTRICTS[d], value(e, d, m)))
            })
        })
        .take(ceiling_values)
        .collect();
    let started = Instant::now();
    for batch in rows.chunks(args.batch) {
        let batch = batch.to_vec();
        db.write(move |tx| {
            Box::pin(async move {
                for chunk in batch.chunks(1000) {
                    let sql = format!(
                        "INSERT INTO bench_ceiling (element_id, period, area, category, value, \
                         reported_by, reported_at) VALUES {}",
                        egov_store::values(chunk.len(), 7)
                    );
                    let mut q = egov_store::query(sql);
                    for (e, p, a, v) in chunk {
                        q = q
                            .bind(*e)
                            .bind(p.clone())
                            .bind(*a)
                            .bind(String::new())
                            .bind(*v)
                            .bind("bench")
                            .bind("2026-12-04T00:00:00Z");
                    }
                    tx.execute(q).await?;
                }
                Ok::<_, egov_store::StoreError>(())
            })
        })
        .await?;
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "indicators_load phase=ceiling engine={engine} values={ceiling_values} seconds={took:.1} \
         per_minute={:.0}",
        ceiling_values as f64 / took * 60.0
    );

    // 2. indicator
    egov_keyring::install_ephemeral();
    let router = egov_web::router(egov_web::AppState::new(
        db.clone(),
        egov_web::WebSettings::default(),
    ));
    let path = "/api/v1/indicators/bench_rate/data?area=110000&children=true&from=201701&to=202612";
    let (mut latencies, doc) = timed_gets(&router, path, args.queries).await?;
    let data = doc["data"].as_array().cloned().unwrap_or_default();
    let points = data.len();
    // The city in its last month: made of the districts, with growth.
    let city = data
        .iter()
        .find(|p| p["area"] == "110000" && p["period"] == "202612");
    ok &= city.is_some_and(|p| p["value"].is_number() && p["year_on_year"].is_number());
    latencies.sort_unstable();
    println!(
        "indicators_load phase=indicator engine={engine} points={points} queries={} \
         p50={} p90={} p99={}",
        args.queries,
        ms(&latencies, 50.0),
        ms(&latencies, 90.0),
        ms(&latencies, 99.0)
    );
    ok &= points == 17 * 120;

    // 3. forecast
    let city: Vec<f64> = doc["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["area"] == "110000")
        .filter_map(|p| p["value"].as_f64())
        .collect();
    ok &= city.len() == 120;
    let time = |f: &dyn Fn() -> bool| -> anyhow::Result<Vec<u32>> {
        let mut latencies = Vec::with_capacity(args.queries);
        for i in 0..args.queries + 3 {
            let t = Instant::now();
            if !f() {
                anyhow::bail!("no forecast");
            }
            if i >= 3 {
                latencies.push(micros(t.elapsed()));
            }
        }
        latencies.sort_unstable();
        Ok(latencies)
    };
    let model = time(&|| egov_indicators::forecast::outlook(&city, 12, 12).is_ok())?;
    let baseline = time(&|| {
        egov_indicators::forecast::seasonal_naive(&city, 12, 12)
            .point
            .len()
            == 12
    })?;
    let path =
        "/api/v1/indicators/bench_rate/forecast?area=110000&from=201701&to=202612&horizon=12";
    let (mut api, last) = timed_gets(&router, path, args.queries).await?;
    let method = last["forecasts"][0]["method"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    api.sort_unstable();
    ok &= method == "mstl_ets";
    for (what, latencies) in [("model", &model), ("baseline", &baseline), ("api", &api)] {
        println!(
            "indicators_load phase=forecast engine={engine} timing={what} months={} queries={} \
             p50={} p90={} p99={}",
            city.len(),
            args.queries,
            ms(latencies, 50.0),
            ms(latencies, 90.0),
            ms(latencies, 99.0)
        );
    }
    Ok(ok)
}

/// GETs `path` through the router `n` times after three that warm the
/// caches: the latencies (µs, unsorted) and the last answer.
async fn timed_gets(
    router: &axum::Router,
    path: &str,
    n: usize,
) -> anyhow::Result<(Vec<u32>, serde_json::Value)> {
    let mut latencies = Vec::with_capacity(n);
    let mut last = serde_json::Value::Null;
    for i in 0..n + 3 {
        let t = Instant::now();
        let res = router
            .clone()
            .oneshot(Request::get(path).body(Body::empty())?)
            .await?;
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
        let elapsed = t.elapsed();
        if status != StatusCode::OK {
            anyhow::bail!("{status}: {}", String::from_utf8_lossy(&body));
        }
        if i >= 3 {
            latencies.push(micros(elapsed));
        }
        last = serde_json::from_slice(&body)?;
    }
    Ok((latencies, last))
}

fn main() -> std::process::ExitCode {
    common::main_with("indicators_load", bench(Args::parse()))
}
