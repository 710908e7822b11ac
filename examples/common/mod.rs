//! What the load examples share: the timed window, latency percentiles,
//! a throughput phase run on many tasks, the engine's name for the report
//! lines, a count query, and `main`.
#![allow(dead_code)] // each example uses its own part

use egov_store::{run, Db, Engine};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The timed window of a throughput phase: what finishes inside it counts.
#[derive(Clone, Copy)]
pub struct Window {
    pub from: Instant,
    pub end: Instant,
}

impl Window {
    pub fn counts(&self, finished: Instant) -> bool {
        finished >= self.from && finished <= self.end
    }
}

pub fn micros(d: Duration) -> u32 {
    d.as_micros().min(u32::MAX as u128) as u32
}

/// The latency at percentile `p` of `sorted` (µs) in milliseconds.
pub fn ms(sorted: &[u32], p: f64) -> String {
    if sorted.is_empty() {
        return "-".into();
    }
    let i = ((sorted.len() as f64 * p / 100.0).ceil() as usize).clamp(1, sorted.len()) - 1;
    format!("{:.2}ms", sorted[i] as f64 / 1000.0)
}

/// Runs `op` on `concurrency` tasks for `seconds`; answers how many
/// finished inside the timed window and their latencies, sorted.
pub async fn timed<F, Fut>(
    concurrency: usize,
    seconds: u64,
    op: F,
) -> anyhow::Result<(usize, Vec<u32>)>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let from = Instant::now() + Duration::from_millis(500);
    let window = Window {
        from,
        end: from + Duration::from_secs(seconds),
    };
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut took = Vec::new();
            while Instant::now() < window.end {
                let t = Instant::now();
                op().await?;
                let done = Instant::now();
                if window.counts(done) && t >= window.from {
                    took.push(micros(done - t));
                }
            }
            anyhow::Ok(took)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort_unstable();
    Ok((all.len(), all))
}

/// This process's CPU time (user and system) so far.
pub fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let after = stat.rsplit_once(')').map(|(_, a)| a).unwrap_or_default();
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the line (11 and 12 here), in
    // clock ticks of 1/100 s on Linux.
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

pub fn engine_name(db: &Db) -> &'static str {
    match db.engine() {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    }
}

pub async fn count(db: &Db, sql: &str) -> anyhow::Result<i64> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(sql)
        .fetch_one(&mut *c)
        .await)?)
}

/// Runs a benchmark on a multi-threaded runtime: success when it answers
/// that every check held.
pub fn main_with<F>(name: &str, bench: F) -> std::process::ExitCode
where
    F: Future<Output = anyhow::Result<bool>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(bench) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{name}: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A database migrated and loaded with what the benchmarks run against:
/// the demo organisation, the built-in calendar and the shipped process
/// definitions.
pub async fn demo_db(url: &egov_store::DatabaseUrl, max_connections: u32) -> anyhow::Result<Db> {
    let db = Db::connect(
        url,
        &egov_store::PoolOptions {
            max_connections,
            ..Default::default()
        },
    )
    .await?;
    db.migrate().await?;
    let system = egov_kernel::Context::system();
    egov_org::load_demo(&db, &system).await?;
    egov_calendar::seed_builtin(&db).await?;
    egov_cases::registry::seed(&db, &egov_web::shipped_processes()).await?;
    Ok(db)
}
