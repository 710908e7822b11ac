//! Case-engine benchmark, straight against the engine (no HTTP): case
//! creations per second, whole joint-approval (并联审批) instances per second,
//! and the electronic-supervision scan over many open cases.
//!
//! ```sh
//! cargo run --release --example case_load -- --database-url URL \
//!     [--seconds 10] [--concurrency 32] [--scan-cases 1000000] [--skip-scan]
//! ```
//!
//! Give it a fresh database (`sqlite://DIR/egov.db` or `postgres://...`): it
//! migrates it and loads the built-in calendar, the shipped process
//! definitions and the demo organisation. The lead department is 110105-SCJGJ
//! (market regulation); the co-handling departments are 110105-SCJGJ,
//! 110105-SWZJ (tax) and 110105-GAJ (police), as in the SpiffWorkflow peer.
//!
//! 1. `create`: `--concurrency` tasks each loop on `egov_cases::start` of
//!    `joint_approval`, acting as the lead department's handler.
//! 2. `instances`: the same number of tasks each run whole instances: start,
//!    `accept` (lead), then `branch_approve` by each co-handling department
//!    acting as its handler; the third approval joins and closes the case in
//!    `approved`. Five commits per instance, each with its timeline event and
//!    audit record, like the peer's five fsync'd saves.
//! 3. `scan` (unless `--skip-scan`): `--scan-cases` open cases are bulk
//!    inserted with plain SQL, 1% of them with `next_alert_at` in the past;
//!    then one `supervision::scan` raises their warnings, and a second scan
//!    finds nothing due (one scheduler tick in the steady state).
//!
//! Each department of the flow has `--handlers` handlers (3 by default), so
//! every case that comes to a department writes a message to each of them.
//!
//! Phases 1 and 2 run `--warmup` untimed, then `--seconds` timed; operations
//! that finish inside the timed window are counted. Each phase prints one
//! line starting `case_load phase=` for scripts. Any engine error or a wrong
//! count exits with status 1.

mod common;

use clap::Parser;
use common::{count, cpu_time, engine_name, micros, ms, Window};
use egov_calendar::WorkCalendar;
use egov_cases::{Acting, Case, CaseError, NewCase, ProcessDefinition};
use egov_kernel::{time, Context};
use egov_store::{query, DatabaseUrl, Db, Engine, StoreError};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Case-engine load: creations, joint-approval instances, supervision scan")]
struct Args {
    /// A fresh database: sqlite://PATH or postgres://USER@HOST/DB
    #[arg(long)]
    database_url: String,
    /// Timed length of each throughput phase, in seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Untimed run before each throughput phase, in seconds (0 to skip).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Concurrent tasks in the throughput phases.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Pool size (SQLite: readers; writes always go through one connection).
    /// egov serves with 16.
    #[arg(long, default_value_t = 16)]
    max_connections: u32,
    /// Open cases to insert for the supervision scan.
    #[arg(long, default_value_t = 1_000_000)]
    scan_cases: u64,
    /// Cases claimed per scan transaction (the scheduler uses 500).
    #[arg(long, default_value_t = 500)]
    scan_batch: i64,
    /// Skip the supervision-scan phase.
    #[arg(long)]
    skip_scan: bool,
    /// Handlers in each department of the flow, each told of every case
    /// that comes to their department (a message in the message centre).
    #[arg(long, default_value_t = 3)]
    handlers: usize,
}

const PROCESS: &str = "joint_approval";
const LEAD: &str = "110105-SCJGJ";
const CO_DEPARTMENTS: [&str; 3] = ["110105-SCJGJ", "110105-SWZJ", "110105-GAJ"];

struct Bench {
    db: Db,
    ctx: Context,
    cal: Arc<WorkCalendar>,
    def: Arc<ProcessDefinition>,
    lead: i64,
    co: Vec<i64>,
}

impl Bench {
    async fn create(&self) -> Result<Case, CaseError> {
        let new = NewCase {
            co_departments: self.co.clone(),
            ..NewCase::new(&self.def, self.lead, "并联审批 基准")
        };
        let acting = Acting::Handler {
            department_id: self.lead,
        };
        egov_cases::start(&self.db, &self.ctx, &self.cal, acting, new).await
    }

    async fn act(
        &self,
        case: &Case,
        department_id: i64,
        action: &str,
        fields: Value,
    ) -> Result<Case, CaseError> {
        egov_cases::act(
            &self.db,
            &self.ctx,
            &self.cal,
            &self.def,
            case.id,
            case.version,
            Acting::Handler { department_id },
            action,
            fields,
        )
        .await
    }
}

#[derive(Default)]
struct Tally {
    /// Latencies of counted commits (start or act), in microseconds.
    steps: Vec<u32>,
    /// Of those, the acts (transitions after the start).
    transitions: u64,
    /// Latencies of counted whole instances, in microseconds.
    instances: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
    /// The process's CPU time over the timed window.
    cpu: Duration,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.steps.extend(other.steps);
        self.transitions += other.transitions;
        self.instances.extend(other.instances);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn error(&mut self, e: impl std::fmt::Display) {
        self.errors += 1;
        self.first_error.get_or_insert_with(|| e.to_string());
    }
}

/// One commit, timed and counted if it finishes inside the window.
async fn step<F>(t: &mut Tally, w: Window, transition: bool, f: F) -> Result<Case, CaseError>
where
    F: std::future::Future<Output = Result<Case, CaseError>>,
{
    let started = Instant::now();
    let case = f.await?;
    let finished = Instant::now();
    if w.counts(finished) {
        t.steps.push(micros(finished - started));
        if transition {
            t.transitions += 1;
        }
    }
    Ok(case)
}

async fn creator(b: Arc<Bench>, w: Window) -> Tally {
    let mut t = Tally::default();
    while Instant::now() < w.end {
        if let Err(e) = step(&mut t, w, false, b.create()).await {
            t.error(e);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    t
}

/// One joint approval from start to `approved`: five commits.
async fn instance(b: &Bench, t: &mut Tally, w: Window) -> anyhow::Result<()> {
    let mut case = step(t, w, false, b.create()).await?;
    case = step(t, w, true, b.act(&case, b.lead, "accept", json!({}))).await?;
    for &d in &b.co {
        let opinion = json!({ "opinion": "同意" });
        case = step(t, w, true, b.act(&case, d, "branch_approve", opinion)).await?;
    }
    if case.state != "approved" || case.is_open() {
        anyhow::bail!(
            "case {} ended in state '{}' (closed: {})",
            case.number,
            case.state,
            !case.is_open()
        );
    }
    Ok(())
}

async fn runner(b: Arc<Bench>, w: Window) -> Tally {
    let mut t = Tally::default();
    while Instant::now() < w.end {
        let started = Instant::now();
        match instance(&b, &mut t, w).await {
            Ok(()) => {
                let finished = Instant::now();
                if w.counts(finished) {
                    t.instances.push(micros(finished - started));
                }
            }
            Err(e) => {
                t.error(e);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    t
}

/// Runs `concurrency` copies of `task` over a warm-up and a timed window.
async fn phase<F, Fut>(b: &Arc<Bench>, args: &Args, task: F) -> anyhow::Result<Tally>
where
    F: Fn(Arc<Bench>, Window) -> Fut,
    Fut: std::future::Future<Output = Tally> + Send + 'static,
{
    let from = Instant::now() + Duration::from_secs_f64(args.warmup);
    let w = Window {
        from,
        end: from + Duration::from_secs_f64(args.seconds),
    };
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        set.spawn(task(b.clone(), w));
    }
    tokio::time::sleep_until(from.into()).await;
    let cpu_from = cpu_time();
    let mut all = Tally::default();
    while let Some(t) = set.join_next().await {
        all.merge(t?);
    }
    all.cpu = cpu_time().saturating_sub(cpu_from);
    all.steps.sort_unstable();
    all.instances.sort_unstable();
    Ok(all)
}

/// Inserts `n` open joint-approval cases in `joint_review` with plain SQL,
/// 1000 rows a statement, 10 statements a transaction. Every 100th case is
/// due (its next alert, a warning, lies in the past); the others' next
/// alerts are spread over the coming 20 days. Answers how many are due.
async fn insert_open_cases(b: &Bench, n: u64) -> anyhow::Result<u64> {
    const ROWS: u64 = 1000;
    const STATEMENTS_PER_TX: u64 = 10;
    let now = time::now();
    let entered = now - chrono::Duration::days(10);
    let due_at = now + chrono::Duration::days(30);
    let red_at = now + chrono::Duration::days(35);
    let co = serde_json::to_string(&b.co)?;
    let version = b.def.version;
    let mut due = 0;
    let mut i = 0;
    while i < n {
        let mut statements = Vec::new();
        for _ in 0..STATEMENTS_PER_TX {
            if i >= n {
                break;
            }
            let rows = ROWS.min(n - i);
            let mut sql = String::with_capacity(256 * rows as usize);
            sql.push_str(
                "INSERT INTO cases (number, title, process_id, process_version, state, \
                 department_id, co_departments, data, version, state_entered_at, due_at, \
                 due_provisional, extended, created_at, due_from, due_amount, due_unit, \
                 deadline_cycle, warn_at, red_at, alert_level, next_alert_at, overdue, \
                 paused_secs) VALUES ",
            );
            let mut next_alerts = Vec::with_capacity(rows as usize);
            for k in 0..rows {
                let idx = i + k;
                let at = if idx % 100 == 0 {
                    due += 1;
                    now - chrono::Duration::seconds(60 + (idx / 100 % 86_400) as i64)
                } else {
                    // A stride coprime to the range spreads them evenly.
                    now + chrono::Duration::seconds(3600 + (idx * 7919 % (20 * 86_400)) as i64)
                };
                next_alerts.push(at);
                let p = 4 + k;
                let dept = b.co[(idx % b.co.len() as u64) as usize];
                let sep = if k == 0 { "" } else { ", " };
                write!(
                    sql,
                    "{sep}('B{idx:010}', '监察基准', '{PROCESS}', {version}, 'joint_review', \
                     {dept}, '{co}', '{{}}', 2, $1, $2, FALSE, FALSE, $1, $1, 45, 'workday', \
                     1, ${p}, $3, 0, ${p}, FALSE, 0)"
                )?;
            }
            statements.push((sql, next_alerts));
            i += rows;
        }
        b.db.write(move |tx| {
            Box::pin(async move {
                for (sql, next_alerts) in statements {
                    let mut q = query(&sql).bind(entered).bind(due_at).bind(red_at);
                    for at in next_alerts {
                        q = q.bind(at);
                    }
                    tx.execute(q).await?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .await?;
    }
    if b.db.engine() == Engine::Postgres {
        // What autovacuum would do shortly after such a load; done here so
        // the timing does not depend on whether it got there yet.
        b.db.execute(query("ANALYZE cases")).await?;
    }
    Ok(due)
}

/// Phase 3. Answers whether every count came out right.
async fn scan_phase(b: &Bench, args: &Args) -> anyhow::Result<bool> {
    use egov_cases::supervision::scan;
    let engine = engine_name(&b.db);
    let alerts_before = count(&b.db, "SELECT count(*) FROM supervision_alerts").await?;
    let started = Instant::now();
    let due = insert_open_cases(b, args.scan_cases).await?;
    let insert_seconds = started.elapsed().as_secs_f64();
    let open = count(&b.db, "SELECT count(*) FROM cases WHERE closed_at IS NULL").await?;
    eprintln!(
        "case_load: {engine}: inserted {} open cases in {insert_seconds:.1}s ({due} due); \
         {open} open cases in all",
        args.scan_cases
    );

    let started = Instant::now();
    let first = scan(&b.db, "case_load", time::now(), args.scan_batch).await?;
    let scan_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let idle = scan(&b.db, "case_load", time::now(), args.scan_batch).await?;
    let idle_seconds = started.elapsed().as_secs_f64();
    // The steady state, a few more times: the median of nine ticks.
    let mut ticks = Vec::new();
    let mut idle_raised = idle.raised();
    for _ in 0..9 {
        let started = Instant::now();
        idle_raised += scan(&b.db, "case_load", time::now(), args.scan_batch)
            .await?
            .raised();
        ticks.push(started.elapsed().as_secs_f64());
    }
    ticks.sort_by(f64::total_cmp);
    let alerts = count(&b.db, "SELECT count(*) FROM supervision_alerts").await? - alerts_before;

    println!(
        "case_load phase=scan engine={engine} inserted={} insert_seconds={insert_seconds:.2} \
         open_cases={open} due={due} raised={} warnings={} yellow={} red={} examined={} \
         alerts_stored={alerts} scan_seconds={scan_seconds:.3} idle_raised={idle_raised} \
         idle_examined={} idle_scan_seconds={idle_seconds:.6} idle_scan_median_seconds={:.6} \
         batch={}",
        args.scan_cases,
        first.raised(),
        first.warnings,
        first.yellow_cards,
        first.red_cards,
        first.examined,
        idle.examined,
        ticks[ticks.len() / 2],
        args.scan_batch,
    );
    let mut ok = true;
    let mut check = |good: bool, what: String| {
        if !good {
            eprintln!("case_load: WRONG: {what}");
            ok = false;
        }
    };
    check(
        first.raised() == due && first.warnings == due && first.examined == due,
        format!(
            "the first scan raised {} alerts ({} warnings) over {} cases; {due} were due",
            first.raised(),
            first.warnings,
            first.examined
        ),
    );
    check(
        alerts == due as i64,
        format!("{alerts} alerts stored; {due} were due"),
    );
    check(
        idle_raised == 0 && idle.examined == 0,
        format!(
            "the idle scans raised {idle_raised} alerts (first one examined {})",
            idle.examined
        ),
    );
    Ok(ok)
}

/// `per_department` handlers in each of `departments`, written directly (a
/// benchmark's staff need no password), so notices fan out as they would.
async fn add_handlers(db: &Db, departments: &[i64], per_department: usize) -> anyhow::Result<()> {
    let departments = departments.to_vec();
    db.write(move |tx| {
        Box::pin(async move {
            for d in &departments {
                for n in 0..per_department {
                    let id: i64 = tx
                        .fetch_scalar(
                            query(
                                "INSERT INTO users (username, display_name, kind, department_id, \
                                 password_hash, created_at) VALUES ($1, $1, 'staff', $2, '-', $3) \
                                 RETURNING id",
                            )
                            .bind(format!("bench.handler.{d}.{n}"))
                            .bind(*d)
                            .bind(time::now()),
                        )
                        .await?;
                    tx.execute(
                        query(
                            "INSERT INTO role_grants (user_id, role, department_id, granted_at) \
                             VALUES ($1, 'handler', $2, $3)",
                        )
                        .bind(id)
                        .bind(*d)
                        .bind(time::now()),
                    )
                    .await?;
                }
            }
            Ok::<_, StoreError>(())
        })
    })
    .await?;
    Ok(())
}

async fn run_bench(args: Args) -> anyhow::Result<bool> {
    let url = DatabaseUrl::parse(&args.database_url)?;
    let db = common::demo_db(&url, args.max_connections).await?;
    let ctx = Context::system();
    let cal = egov_calendar::load_calendar(&db).await?;
    let def = egov_cases::Processes::default()
        .latest(&db, PROCESS)
        .await?;
    // As a node does: audit records are linked into the chain as written
    // (PostgreSQL), so the linking's cost is in the figures.
    tokio::spawn(egov_audit::link_as_written(db.clone()));
    let lead = egov_org::department(&db, LEAD).await?.id;
    let mut co = Vec::new();
    for code in CO_DEPARTMENTS {
        co.push(egov_org::department(&db, code).await?.id);
    }
    add_handlers(&db, &co, args.handlers).await?;
    let engine = engine_name(&db);
    eprintln!(
        "case_load: {engine} ({url}), {PROCESS} v{}, lead {LEAD}, co-handling {}; \
         {} tasks, {}s warm-up + {}s per phase",
        def.version,
        CO_DEPARTMENTS.join(" "),
        args.concurrency,
        args.warmup,
        args.seconds
    );
    let b = Arc::new(Bench {
        db: db.clone(),
        ctx,
        cal: Arc::new(cal),
        def,
        lead,
        co,
    });
    let mut ok = true;
    let seconds = args.seconds;
    let conc = args.concurrency;

    let t = phase(&b, &args, creator).await?;
    if let Some(e) = &t.first_error {
        eprintln!("case_load: create: {} errors, the first: {e}", t.errors);
        ok = false;
    }
    println!(
        "case_load phase=create engine={engine} concurrency={conc} seconds={seconds:.2} \
         cases={} errors={} creations_per_sec={:.1} p50={} p90={} p99={}",
        t.steps.len(),
        t.errors,
        t.steps.len() as f64 / seconds,
        ms(&t.steps, 50.0),
        ms(&t.steps, 90.0),
        ms(&t.steps, 99.0),
    );

    let t = phase(&b, &args, runner).await?;
    if let Some(e) = &t.first_error {
        eprintln!("case_load: instances: {} errors, the first: {e}", t.errors);
        ok = false;
    }
    println!(
        "case_load phase=instances engine={engine} concurrency={conc} seconds={seconds:.2} \
         instances={} commits={} transitions={} errors={} instances_per_sec={:.1} \
         commits_per_sec={:.1} transitions_per_sec={:.1} step_p50={} step_p90={} step_p99={} \
         instance_p50={} instance_p99={} cpu_us_per_commit={:.0}",
        t.instances.len(),
        t.steps.len(),
        t.transitions,
        t.errors,
        t.instances.len() as f64 / seconds,
        t.steps.len() as f64 / seconds,
        t.transitions as f64 / seconds,
        ms(&t.steps, 50.0),
        ms(&t.steps, 90.0),
        ms(&t.steps, 99.0),
        ms(&t.instances, 50.0),
        ms(&t.instances, 99.0),
        t.cpu.as_secs_f64() * 1e6 / (t.steps.len() as f64).max(1.0),
    );

    if !args.skip_scan {
        ok &= scan_phase(&b, &args).await?;
    }
    db.close().await;
    Ok(ok)
}

fn main() -> std::process::ExitCode {
    common::main_with("case_load", run_bench(Args::parse()))
}
