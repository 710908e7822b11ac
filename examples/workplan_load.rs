//! Work-plan supervision at scale, in process: a public plan of `--tasks`
//! tasks under `--items` items with `--reports` progress reports, then,
//! one after another `--queries` times each, the plan's nodes read alone
//! (the ceiling of the roll-up), the roll-up (nodes read and every status
//! light worked out and rolled up the tree), the board page through the
//! router (the items with their tasks' lights rolled up, as a large plan
//! first shows), the board filtered to one item (its tasks in full, with
//! the timeline), and the year-end ranking.
//!
//! ```sh
//! cargo run --release --example workplan_load -- --database-url URL \
//!     [--items 100] [--tasks 10000] [--reports 100000] [--queries 200]
//! ```
//!
//! Give it a fresh database. It migrates it, loads the demo organisation,
//! drafts the plan through the checked path, then bulk-inserts the nodes
//! and reports (plain SQL, 500 a statement: the seeding is not measured)
//! and publishes it through the checked path (every department confirms;
//! its snapshot is timed). It prints lines starting `workplan_load`.

mod common;

use chrono::{Datelike, NaiveDate};
use clap::Parser;
use common::{engine_name, micros, ms};
use egov_store::{query, DatabaseUrl, Db};
use egov_workplan::{board, confirming, drafting, plan::NewPlan, scoring, versions};
use http_body_util::BodyExt;
use std::time::Instant;
use tower::ServiceExt;

#[derive(Parser, Debug)]
#[command(about = "the work-plan board and roll-up over a large plan")]
struct Args {
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 100)]
    items: usize,
    #[arg(long, default_value_t = 10_000)]
    tasks: usize,
    #[arg(long, default_value_t = 100_000)]
    reports: usize,
    #[arg(long, default_value_t = 200)]
    queries: usize,
}

fn main() -> std::process::ExitCode {
    common::main_with("workplan_load", run(Args::parse()))
}

/// Times `op` `n` times, one after another: (per second, sorted µs).
async fn measure<F, Fut>(n: usize, mut op: F) -> anyhow::Result<(f64, Vec<u32>)>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut took = Vec::with_capacity(n);
    let all = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        op(i).await?;
        took.push(micros(t.elapsed()));
    }
    let rate = n as f64 / all.elapsed().as_secs_f64();
    took.sort_unstable();
    Ok((rate, took))
}

fn line(engine: &str, phase: &str, args: &Args, rate: f64, took: &[u32], more: &str) {
    println!(
        "workplan_load engine={engine} phase={phase} tasks={} reports={} queries={} qps={rate:.1} \
         p50={} p90={} p99={}{more}",
        args.tasks,
        args.reports,
        args.queries,
        ms(took, 50.0),
        ms(took, 90.0),
        ms(took, 99.0),
    );
}

/// Inserts `rows` rows of `columns` values each, 500 a statement.
async fn insert<T>(
    db: &Db,
    head: &str,
    columns: usize,
    rows: &[T],
    bind: impl Fn(egov_store::Statement<'static>, &T) -> egov_store::Statement<'static>
        + Copy
        + Send
        + Sync
        + 'static,
) -> anyhow::Result<()>
where
    T: Clone + Send + Sync + 'static,
{
    for chunk in rows.chunks(500) {
        let sql = format!("{head} VALUES {}", egov_store::values(chunk.len(), columns));
        let chunk = chunk.to_vec();
        db.write(move |tx| {
            Box::pin(async move {
                let q = chunk.iter().fold(query(sql), bind);
                tx.execute(q).await?;
                Ok::<_, egov_store::StoreError>(())
            })
        })
        .await?;
    }
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let url = DatabaseUrl::parse(&args.database_url)?;
    let db = common::demo_db(&url, 8).await?;
    let engine = engine_name(&db);
    let ctx = egov_kernel::Context::system();
    let directory = egov_org::directory(&db).await?;
    let departments: Vec<i64> = directory.municipal_agencies().map(|d| d.id).collect();
    let year = egov_kernel::time::beijing_today().year();
    let office = directory
        .by_code("110000-JXJ")
        .map(|d| d.id)
        .ok_or_else(|| anyhow::anyhow!("no 110000-JXJ"))?;
    let plan = drafting::create_plan(
        &db,
        &ctx,
        office,
        None,
        NewPlan {
            title: format!("{year}年重点工作任务"),
            kind: "key_tasks".into(),
            year,
            doc_number: None,
            report_months: None,
            public: true,
        },
    )
    .await?;

    // The tree: items, then their tasks, due across the year.
    let today = egov_kernel::time::beijing_today();
    let seeded = Instant::now();
    let per_item = args.tasks.div_ceil(args.items);
    let end = NaiveDate::from_ymd_opt(year, 12, 31).expect("a date");
    // (id, parent, level, position, title, lead, due, progress, last period,
    // state, closed on)
    type NodeRow = (
        i64,
        Option<i64>,
        &'static str,
        i64,
        String,
        i64,
        NaiveDate,
        i64,
        Option<String>,
        &'static str,
        Option<NaiveDate>,
    );
    let items: Vec<NodeRow> = (0..args.items)
        .map(|i| {
            let id = i as i64 + 1;
            (
                id,
                None,
                "item",
                id,
                format!("重点工作{}", i + 1),
                departments[i % departments.len()],
                end,
                0,
                None,
                "open",
                None,
            )
        })
        .collect();
    let month = today.month();
    let tasks: Vec<NodeRow> = (0..args.tasks)
        .map(|t| {
            let id = (args.items + t) as i64 + 1;
            let item = (t / per_item) as i64 + 1;
            let due_month = 1 + (t as u32 * 7) % 12;
            let due = NaiveDate::from_ymd_opt(year, due_month, 28).expect("a date");
            let last = Some(format!("{year}-{:02}", 1 + (t as u32) % month.max(1)));
            // Most tasks past their date were closed, some after it.
            let (state, closed, progress) = match (due < today, t % 10) {
                (true, 0..=5) => ("done", Some(due - chrono::Duration::days(3)), 100),
                (true, 6) => ("done", Some(due + chrono::Duration::days(9)), 100),
                _ => ("open", None, ((t * 13) % 101) as i64),
            };
            (
                id,
                Some(item),
                "task",
                id,
                format!("任务{}-{}", item, t % per_item + 1),
                departments[(t * 3) % departments.len()],
                due,
                progress,
                last,
                state,
                closed,
            )
        })
        .collect();
    let head = "INSERT INTO workplan_nodes (id, plan_id, parent_id, level, position, title, \
                lead_department_id, responsible, due_on, outcome, progress, last_period, state, \
                closed_on)";
    let all: Vec<NodeRow> = items.into_iter().chain(tasks).collect();
    insert(&db, head, 14, &all, move |q, r| {
        q.bind(r.0)
            .bind(plan)
            .bind(r.1)
            .bind(r.2)
            .bind(r.3)
            .bind(r.4.clone())
            .bind(r.5)
            .bind("张明")
            .bind(r.6)
            .bind("按期完成并通过验收")
            .bind(r.7)
            .bind(r.8.clone())
            .bind(r.9)
            .bind(r.10)
    })
    .await?;
    if let egov_store::Engine::Postgres = db.engine() {
        // The ids were given: move the sequence past them.
        db.write(|tx| {
            Box::pin(async move {
                tx.execute(query(
                    "SELECT setval('workplan_nodes_id_seq', (SELECT MAX(id) FROM workplan_nodes))",
                ))
                .await?;
                Ok::<_, egov_store::StoreError>(())
            })
        })
        .await?;
    }
    let partners: Vec<(i64, i64)> = (0..args.tasks)
        .filter(|t| t % 3 == 0)
        .map(|t| {
            let lead = (t * 3) % departments.len();
            (
                (args.items + t) as i64 + 1,
                departments[(lead + 1) % departments.len()],
            )
        })
        .collect();
    insert(
        &db,
        "INSERT INTO workplan_partners (node_id, department_id)",
        2,
        &partners,
        |q, r| q.bind(r.0).bind(r.1),
    )
    .await?;
    let now = egov_kernel::time::now();
    let reports: Vec<(i64, i64, String, i64, bool)> = (0..args.reports)
        .map(|r| {
            let t = r % args.tasks;
            let id = (args.items + t) as i64 + 1;
            let lead = departments[(t * 3) % departments.len()];
            let m = 1 + (r / args.tasks) as u32 % 12;
            (
                id,
                lead,
                format!("{year}-{m:02}"),
                ((r * 7) % 101) as i64,
                r % 9 == 0,
            )
        })
        .collect();
    insert(
        &db,
        "INSERT INTO workplan_reports (node_id, department_id, period, progress, text, links, \
         late, reported_at)",
        8,
        &reports,
        move |q, r| {
            q.bind(r.0)
                .bind(r.1)
                .bind(r.2.clone())
                .bind(r.3)
                .bind("按计划推进")
                .bind("[]")
                .bind(r.4)
                .bind(now)
        },
    )
    .await?;
    let seed_seconds = seeded.elapsed().as_secs_f64();

    // Published through the checked path: every department confirms, then
    // the whole tree is kept as version 1.
    let share = board::nodes(&db, plan).await?;
    let mut confirmers: Vec<i64> = share
        .iter()
        .flat_map(|n| std::iter::once(n.lead_department_id).chain(n.partners.iter().copied()))
        .collect();
    confirmers.sort_unstable();
    confirmers.dedup();
    for d in confirmers {
        confirming::decide(&db, &ctx, plan, d, None, "confirmed", None).await?;
    }
    let t = Instant::now();
    let first = NaiveDate::from_ymd_opt(year, 1, 6).expect("a date");
    versions::publish(&db, &ctx, plan, None, "印发", first).await?;
    let publish_seconds = t.elapsed().as_secs_f64();
    println!(
        "workplan_load engine={engine} phase=seed nodes={} reports={} seed_seconds={seed_seconds:.1} \
         publish_seconds={publish_seconds:.2}",
        all.len(),
        args.reports
    );

    let calendar = std::sync::Arc::new(egov_calendar::load_calendar(&db).await?);
    let head = drafting::plan(&db, plan)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no plan"))?;

    // The ceiling: the nodes read alone.
    let (rate, took) = measure(args.queries, |_| {
        let db = db.clone();
        async move {
            board::nodes(&db, plan).await?;
            Ok(())
        }
    })
    .await?;
    line(engine, "nodes", &args, rate, &took, "");

    // The roll-up: read, lit and rolled up.
    let tally: Vec<String> = board::load(&db, &calendar, head.clone(), today)
        .await?
        .tally()
        .iter()
        .map(|(l, n)| format!("{}:{n}", l.as_str()))
        .collect();
    let (rate, took) = measure(args.queries, |_| {
        let (db, calendar, head) = (db.clone(), calendar.clone(), head.clone());
        async move {
            board::load(&db, &calendar, head, today).await?;
            Ok(())
        }
    })
    .await?;
    line(
        engine,
        "rollup",
        &args,
        rate,
        &took,
        &format!(" lights={}", tally.join(",")),
    );

    // The board page through the router, as anyone opens a public plan.
    let router = egov_web::router(egov_web::AppState::new(
        db.clone(),
        egov_web::WebSettings::default(),
    ));
    let get = |uri: String| {
        let router = router.clone();
        async move {
            let req = axum::http::Request::get(&uri).body(axum::body::Body::empty())?;
            let res = router.oneshot(req).await?;
            let status = res.status();
            let body = res.into_body().collect().await?.to_bytes();
            anyhow::ensure!(status.is_success(), "{uri}: {status}");
            anyhow::Ok(body.len())
        }
    };
    let size = get(format!("/workplans/{plan}")).await?;
    let (rate, took) = measure(args.queries, |_| {
        let page = get(format!("/workplans/{plan}"));
        async move {
            page.await?;
            Ok(())
        }
    })
    .await?;
    line(
        engine,
        "board",
        &args,
        rate,
        &took,
        &format!(" bytes={size}"),
    );
    let size = get(format!("/workplans/{plan}?item=1")).await?;
    let (rate, took) = measure(args.queries, |i| {
        let page = get(format!("/workplans/{plan}?item={}", i % args.items + 1));
        async move {
            page.await?;
            Ok(())
        }
    })
    .await?;
    line(
        engine,
        "board_item",
        &args,
        rate,
        &took,
        &format!(" bytes={size}"),
    );

    // The year-end ranking.
    let (rate, took) = measure(args.queries, |_| {
        let (db, calendar, head) = (db.clone(), calendar.clone(), head.clone());
        async move {
            let b = board::load(&db, &calendar, head, today).await?;
            let d = scoring::deductions(&db, plan).await?;
            let ranked = scoring::rank(
                &b,
                &egov_workplan::settings::Settings::shipped().scoring,
                &d,
            );
            anyhow::ensure!(!ranked.is_empty(), "nobody ranked");
            Ok(())
        }
    })
    .await?;
    line(engine, "ranking", &args, rate, &took, "");
    Ok(true)
}
