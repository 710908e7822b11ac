//! Open311 reads over many stored cases, straight against the request
//! store (no HTTP): the queries behind `GET /open311/v2/requests` and
//! `GET /open311/v2/requests/{id}` with the spec's filters.
//!
//! ```sh
//! cargo run --release --example open311_read -- --database-url URL \
//!     [--cases 10000000] [--seconds 10] [--concurrency 32]
//! ```
//!
//! Give it a fresh database. It migrates it, loads the demo organisation,
//! the shipped processes and the grid classes, then bulk-inserts `--cases`
//! grid cases with their reports (plain SQL, 1,000 rows a statement):
//! received over the last 365 days, six classes, spread over 东城区, one in
//! four open; the newest hundredth are left as reports waiting to be filed
//! (no case yet, as the command centre finds them). Each phase then runs `--concurrency` tasks for `--seconds`
//! after `--warmup`, every query a fresh filter, and prints one line
//! starting `open311_read phase=`:
//!
//! 1. `page`: a client's page: one class, open, received in a random
//!    30-day window of the last 90 days, newest first, 50 a page.
//! 2. `default`: the spec's defaults: the last 90 days, any class and
//!    status, up to 1,000 requests.
//! 3. `one`: one request by its id.
//! 4. `near`: the open requests of one class within 250 m of a point (what
//!    a resident is offered before reporting again).

mod common;

use clap::Parser;
use common::{count, engine_name, micros, ms, Window};
use egov_cases::registry::Processes;
use egov_grid::classes::Classification;
use egov_grid::coords::Point;
use egov_grid::requests::{find, Filter, Status};
use egov_kernel::time;
use egov_store::{query, DatabaseUrl, Db, Engine, StoreError};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Open311 reads over many stored grid cases")]
struct Args {
    /// A fresh database: sqlite://PATH or postgres://USER@HOST/DB
    #[arg(long)]
    database_url: String,
    /// Grid cases (with their reports) to store first.
    #[arg(long, default_value_t = 10_000_000)]
    cases: u64,
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Pool size (SQLite: readers). egov serves with 16.
    #[arg(long, default_value_t = 16)]
    max_connections: u32,
    /// Measure the cases already stored (a database filled before).
    #[arg(long)]
    skip_fill: bool,
}

const CODES: [&str; 6] = ["e0102", "e0504", "c0101", "e0201", "e0301", "c0108"];
const DAYS: i64 = 365;

fn main() -> std::process::ExitCode {
    common::main_with("open311_read", run(Args::parse()))
}

/// Stores `n` grid cases and their reports, 1,000 a statement, ten
/// statements a transaction.
async fn fill(db: &Db, n: u64, version: u32, department: i64) -> anyhow::Result<()> {
    const ROWS: u64 = 1000;
    const PER_TX: u64 = 10;
    let now = time::now();
    // egov_grid::coords::zone, as the migrations write it.
    let zone = match db.engine() {
        Engine::Sqlite => {
            "CAST((39.88 + (c.id % 997) * 0.00008 + 90.0) * 400.0 AS INTEGER) * 1000000 \
             + CAST((116.38 + (c.id % 991) * 0.00008 + 180.0) * 300.0 AS INTEGER)"
        }
        Engine::Postgres => {
            "FLOOR(((39.88 + (c.id % 997) * 0.00008)::DOUBLE PRECISION + 90.0) * 400.0)::BIGINT \
             * 1000000 + FLOOR(((116.38 + (c.id % 991) * 0.00008)::DOUBLE PRECISION + 180.0) \
             * 300.0)::BIGINT"
        }
    };
    let mut i = 0;
    while i < n {
        let mut statements = Vec::new();
        for _ in 0..PER_TX {
            if i >= n {
                break;
            }
            let rows = ROWS.min(n - i);
            let mut sql = String::with_capacity(300 * rows as usize);
            sql.push_str(
                "INSERT INTO cases (number, title, process_id, process_version, state, \
                 department_id, co_departments, data, version, state_entered_at, created_at, \
                 closed_at, deadline_cycle, overdue, paused_secs) VALUES ",
            );
            let mut times = Vec::with_capacity(rows as usize);
            for k in 0..rows {
                let idx = i + k;
                // Spread over the year, the newest last as they would come;
                // one in four open (the class goes by id / 4, so each class
                // has its open ones).
                let at = now
                    - chrono::Duration::seconds(((n - idx) * (DAYS as u64 * 86_400) / n) as i64);
                times.push(at);
                let open = idx % 4 == 0;
                let state = if open { "handling" } else { "closed" };
                let p = 1 + k;
                let sep = if k == 0 { "" } else { ", " };
                write!(
                    sql,
                    "{sep}('G{idx:011}', '城市管理基准', 'city_grid_case', {version}, '{state}', \
                     {department}, '[]', '{{}}', 3, ${p}, ${p}, {}, 1, FALSE, 0)",
                    if open {
                        "NULL".to_owned()
                    } else {
                        format!("${p}")
                    }
                )?;
            }
            let first = format!("G{i:011}");
            let last = format!("G{:011}", i + rows - 1);
            statements.push((sql, times, first, last));
            i += rows;
        }
        db.write(move |tx| {
            Box::pin(async move {
                for (sql, times, first, last) in statements {
                    let mut q = query(&sql);
                    for at in times {
                        q = q.bind(at);
                    }
                    tx.execute(q).await?;
                    tx.execute(
                        query(format!(
                            "INSERT INTO grid_reports (token, channel, service_code, \
                             classes_version, lat, lon, district, description, attributes, \
                             reporter, received_at, opened_at, case_id, zone) \
                             SELECT 'T' || c.number, 'open311', \
                             CASE (c.id / 4) % 6 WHEN 0 THEN 'e0102' WHEN 1 THEN 'e0504' \
                             WHEN 2 THEN 'c0101' WHEN 3 THEN 'e0201' WHEN 4 THEN 'e0301' \
                             ELSE 'c0108' END, '2026-12', \
                             39.88 + (c.id % 997) * 0.00008, 116.38 + (c.id % 991) * 0.00008, \
                             '110101', '路边问题', '{{}}', '{{}}', c.created_at, c.created_at, c.id, \
                             {zone} FROM cases c WHERE c.number BETWEEN $1 AND $2",
                        ))
                        .bind(first)
                        .bind(last),
                    )
                    .await?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .await?;
    }
    // The newest hundredth wait to be filed: reports the centre has not
    // decided on have no case (theirs stay behind, unread).
    db.execute(
        query(
            "UPDATE grid_reports SET case_id = NULL, opened_at = NULL \
             WHERE id > (SELECT MAX(id) FROM grid_reports) - $1",
        )
        .bind((n / 100) as i64),
    )
    .await?;
    if db.engine() == Engine::Postgres {
        db.execute(query("ANALYZE cases")).await?;
        db.execute(query("ANALYZE grid_reports")).await?;
    }
    Ok(())
}

struct Bench {
    db: Db,
    processes: Processes,
    calendar: egov_calendar::CalendarCache,
    classes: Arc<Classification>,
    /// The ids of some stored requests, to look up.
    ids: Vec<String>,
}

/// A small fast generator per task: the queries differ, nothing to share.
struct Dice(u64);

impl Dice {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn filter_for(phase: &str, dice: &mut Dice, b: &Bench) -> Filter {
    let now = time::now();
    let code = CODES[dice.next(6) as usize].to_owned();
    match phase {
        "page" => {
            let back = dice.next(60) as i64;
            Filter {
                service_codes: vec![code],
                status: Some(Status::Open),
                start: Some(now - chrono::Duration::days(back + 30)),
                end: Some(now - chrono::Duration::days(back)),
                page: 1,
                page_size: 50,
                ..Filter::default()
            }
        }
        "default" => Filter {
            start: Some(now - chrono::Duration::days(90)),
            end: Some(now),
            page: 1,
            page_size: 1000,
            ..Filter::default()
        },
        "one" => Filter {
            ids: vec![b.ids[dice.next(b.ids.len() as u64) as usize].clone()],
            page: 1,
            page_size: 1,
            ..Filter::default()
        },
        _ => {
            let point = Point {
                lat: 39.88 + dice.next(997) as f64 * 0.00008,
                lon: 116.38 + dice.next(991) as f64 * 0.00008,
            };
            Filter {
                service_codes: vec![code],
                status: Some(Status::Open),
                start: Some(now - chrono::Duration::days(90)),
                end: Some(now),
                near: Some((point, 250.0)),
                page: 1,
                page_size: 50,
                ..Filter::default()
            }
        }
    }
}

async fn phase(b: Arc<Bench>, args: &Args, phase: &'static str) -> anyhow::Result<()> {
    let started = Instant::now();
    let window = Window {
        from: started + Duration::from_secs_f64(args.warmup),
        end: started + Duration::from_secs_f64(args.warmup + args.seconds),
    };
    let mut tasks = Vec::new();
    for t in 0..args.concurrency {
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            let mut dice = Dice(0x9E37_79B9_7F4A_7C15 ^ ((t as u64 + 1) * 0x1000_0001));
            let (mut latencies, mut rows) = (Vec::new(), 0u64);
            while Instant::now() < window.end {
                let filter = filter_for(phase, &mut dice, &b);
                let began = Instant::now();
                let found = find(&b.db, &b.processes, &b.calendar, &b.classes, &filter).await?;
                let done = Instant::now();
                if window.counts(done) {
                    latencies.push(micros(done - began));
                    rows += found.len() as u64;
                }
            }
            Ok::<_, anyhow::Error>((latencies, rows))
        }));
    }
    let (mut all, mut rows) = (Vec::new(), 0);
    for t in tasks {
        let (l, r) = t.await??;
        all.extend(l);
        rows += r;
    }
    all.sort_unstable();
    let qps = all.len() as f64 / args.seconds;
    let per = if all.is_empty() {
        0.0
    } else {
        rows as f64 / all.len() as f64
    };
    println!(
        "open311_read phase={phase} engine={} cases={} queries={} qps={qps:.0} rows_per_query={per:.1} p50={} p90={} p99={}",
        engine_name(&b.db),
        args.cases,
        all.len(),
        ms(&all, 50.0),
        ms(&all, 90.0),
        ms(&all, 99.0),
    );
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let url = DatabaseUrl::parse(&args.database_url)?;
    let db = common::demo_db(&url, args.max_connections).await?;
    egov_grid::layers::seed_classes(&db).await?;
    let processes = Processes::default();
    let def = processes.latest(&db, egov_grid::intake::PROCESS).await?;
    let centre = egov_org::department(&db, "110101-CGZX").await?.id;
    let began = Instant::now();
    if !args.skip_fill {
        fill(&db, args.cases, def.version, centre).await?;
    }
    let stored = count(&db, "SELECT COUNT(*) FROM grid_reports").await?;
    println!(
        "open311_read phase=fill engine={} cases={stored} seconds={:.1}",
        engine_name(&db),
        began.elapsed().as_secs_f64()
    );
    if stored as u64 != args.cases {
        eprintln!("open311_read: stored {stored} reports, not {}", args.cases);
        return Ok(false);
    }
    let classes = egov_grid::layers::grid(&db).await?.classes.clone();
    // Request ids are the reports' own: a thousand spread over them all.
    let first = count(&db, "SELECT COALESCE(MIN(id), 0) FROM grid_reports").await?;
    let step = (stored / 1000).max(1);
    let ids = (0..stored.min(1000))
        .map(|k| (first + k * step).to_string())
        .collect();
    let b = Arc::new(Bench {
        db,
        processes,
        calendar: egov_calendar::CalendarCache::default(),
        classes,
        ids,
    });
    // A phase that fails (a pool that timed out under the load) is
    // reported, and the next runs.
    let mut all_ran = true;
    for p in ["page", "default", "one", "near"] {
        if let Err(e) = phase(b.clone(), &args, p).await {
            println!(
                "open311_read phase={p} engine={} failed=\"{e:#}\"",
                engine_name(&b.db)
            );
            all_ran = false;
        }
    }
    Ok(all_ran)
}
