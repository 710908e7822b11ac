//! The ceiling of an audited case transition on SQLite, for the benchmark:
//! the statements of one transition run bare, on one writer thread over
//! rusqlite, with group commit, and nothing of egov around them. egov's own
//! transitions (`case_load`) are reported as a share of this figure.
//!
//! ```sh
//! cargo run --release --example write_ceiling -- --dir DIR \
//!     [--seconds 10] [--warmup 1] [--concurrency 32] [--group 64]
//! ```
//!
//! One transition, as the case engine makes it: read the case; update its
//! state and version (refused if the version moved); insert the timeline
//! event; take the audit head (`UPDATE … RETURNING`), hash the record in
//! Rust (SHA-256 over the previous hash and the record), insert it and move
//! the head's hash. The writer takes up to `--group` waiting transactions,
//! runs each in a savepoint of one `BEGIN IMMEDIATE`, commits once
//! (`synchronous=FULL`, WAL, as egov runs SQLite) and only then answers each
//! caller. `--concurrency` tasks submit transitions, each on cases of its
//! own, and wait for the answer.
//!
//! It prints one line starting `write_ceiling ` for scripts: transactions
//! per second inside the timed window, latency percentiles, the commit
//! groups' mean size (over the whole run, warm-up included) and the
//! process's CPU time per counted transaction.

mod common;

use clap::Parser;
use common::{micros, ms, Window};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

#[derive(Parser, Debug)]
#[command(about = "The bare writer-thread ceiling of an audited case transition on SQLite")]
struct Args {
    /// A directory for the database file (made fresh inside it).
    #[arg(long)]
    dir: PathBuf,
    /// Timed length, in seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Untimed run before it, in seconds.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Concurrent submitting tasks.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Most transactions in one commit.
    #[arg(long, default_value_t = 64)]
    group: usize,
}

/// Cases each task moves between, so no two tasks touch one case.
const CASES_PER_TASK: i64 = 16;

struct Request {
    case_id: i64,
    answer: oneshot::Sender<Result<(), String>>,
}

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    CREATE TABLE cases (id INTEGER PRIMARY KEY, state TEXT NOT NULL,
        version INTEGER NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE case_events (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL,
        seq INTEGER NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        from_state TEXT, to_state TEXT NOT NULL, fields TEXT NOT NULL);
    CREATE INDEX case_events_case ON case_events (case_id, seq);
    CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,
        action TEXT NOT NULL, object TEXT NOT NULL, detail TEXT NOT NULL,
        prev_hash BLOB NOT NULL, hash BLOB NOT NULL);
    CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,
        hash BLOB NOT NULL);
    INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
";

fn open(path: &std::path::Path, cases: i64) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch(SCHEMA)?;
    let tx = conn.unchecked_transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO cases (id, state, version, updated_at) VALUES (?1, 'received', 1, ?2)",
        )?;
        for id in 1..=cases {
            insert.execute(params![id, now()])?;
        }
    }
    tx.commit()?;
    Ok(conn)
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// One audited transition of `case_id`, inside the caller's savepoint.
fn transition(conn: &Connection, case_id: i64) -> rusqlite::Result<()> {
    let (state, version): (String, i64) = conn
        .prepare_cached("SELECT state, version FROM cases WHERE id = ?1")?
        .query_row([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let to = if state == "received" {
        "reviewing"
    } else {
        "received"
    };
    let at = now();
    let moved = conn
        .prepare_cached(
            "UPDATE cases SET state = ?1, version = version + 1, updated_at = ?2 \
             WHERE id = ?3 AND version = ?4",
        )?
        .execute(params![to, at, case_id, version])?;
    if moved != 1 {
        return Err(rusqlite::Error::QueryReturnedNoRows);
    }
    let fields = r#"{"opinion":"材料齐全，予以受理"}"#;
    conn.prepare_cached(
        "INSERT INTO case_events (case_id, seq, at, actor, action, from_state, to_state, fields) \
         VALUES (?1, ?2, ?3, 'user:7', 'accept', ?4, ?5, ?6)",
    )?
    .execute(params![case_id, version + 1, at, state, to, fields])?;
    let (seq, prev): (i64, Vec<u8>) = conn
        .prepare_cached("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    let object = format!("case:{case_id}");
    let detail = format!(
        r#"{{"from":"{state}","to":"{to}","version":{}}}"#,
        version + 1
    );
    let mut h = Sha256::new();
    for part in [
        &seq.to_be_bytes()[..],
        at.as_bytes(),
        b"user:7",
        b"case.accept",
        object.as_bytes(),
        detail.as_bytes(),
        &prev,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    let hash = h.finalize().to_vec();
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, actor, action, object, detail, prev_hash, hash) \
         VALUES (?1, ?2, 'user:7', 'case.accept', ?3, ?4, ?5, ?6)",
    )?
    .execute(params![seq, at, object, detail, prev, hash])?;
    conn.prepare_cached("UPDATE audit_head SET hash = ?1 WHERE id = 1")?
        .execute([&hash])?;
    Ok(())
}

/// The writer thread: a group of waiting transactions per commit, each in a
/// savepoint, answered once the commit is on disk. Returns the groups
/// committed and the transactions in them.
fn writer(conn: Connection, requests: mpsc::Receiver<Request>, group: usize) -> (u64, u64) {
    let (mut groups, mut members) = (0u64, 0u64);
    while let Ok(first) = requests.recv() {
        let mut batch = vec![first];
        while batch.len() < group {
            match requests.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let mut results = Vec::with_capacity(batch.len());
        let committed = (|| -> rusqlite::Result<()> {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            for r in &batch {
                conn.execute_batch("SAVEPOINT member")?;
                match transition(&conn, r.case_id) {
                    Ok(()) => {
                        conn.execute_batch("RELEASE member")?;
                        results.push(Ok(()));
                    }
                    // A failed member rolls back alone.
                    Err(e) => {
                        conn.execute_batch("ROLLBACK TO member; RELEASE member")?;
                        results.push(Err(e.to_string()));
                    }
                }
            }
            conn.execute_batch("COMMIT")
        })();
        if let Err(e) = committed {
            let _ = conn.execute_batch("ROLLBACK");
            results = batch.iter().map(|_| Err(e.to_string())).collect();
        }
        groups += 1;
        members += batch.len() as u64;
        for (r, result) in batch.into_iter().zip(results) {
            let _ = r.answer.send(result);
        }
    }
    (groups, members)
}

/// This process's CPU time (user and system) so far.
fn cpu_time() -> Duration {
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

async fn bench(args: Args) -> anyhow::Result<bool> {
    std::fs::create_dir_all(&args.dir)?;
    let path = args.dir.join("write-ceiling.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let conn = open(&path, CASES_PER_TASK * args.concurrency as i64)?;
    let (send, requests) = mpsc::channel::<Request>();
    let group = args.group.max(1);
    let thread = std::thread::spawn(move || writer(conn, requests, group));

    let start = Instant::now() + Duration::from_secs_f64(args.warmup);
    let window = Window {
        from: start,
        end: start + Duration::from_secs_f64(args.seconds),
    };
    let mut tasks = Vec::new();
    for task in 0..args.concurrency as i64 {
        let send = send.clone();
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut n) = (Vec::new(), 0u64, 0i64);
            while Instant::now() < window.end {
                let case_id = task * CASES_PER_TASK + n % CASES_PER_TASK + 1;
                n += 1;
                let (answer, answered) = oneshot::channel();
                let began = Instant::now();
                if send.send(Request { case_id, answer }).is_err() {
                    errors += 1;
                    break;
                }
                match answered.await {
                    Ok(Ok(())) => {
                        let done = Instant::now();
                        if window.counts(done) {
                            latencies.push(micros(done - began));
                        }
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    drop(send);
    tokio::time::sleep_until(start.into()).await;
    let cpu_from = cpu_time();
    let (mut latencies, mut errors) = (Vec::new(), 0u64);
    for t in tasks {
        let (l, e) = t.await?;
        latencies.extend(l);
        errors += e;
    }
    let cpu = cpu_time().saturating_sub(cpu_from);
    let (groups, members) = thread.join().expect("the writer thread");
    latencies.sort_unstable();
    let n = latencies.len() as f64;
    println!(
        "write_ceiling engine=sqlite concurrency={} group={} seconds={:.2} transactions={} \
         errors={errors} transactions_per_sec={:.1} p50={} p90={} p99={} mean_group={:.1} \
         cpu_us_per_tx={:.0}",
        args.concurrency,
        group,
        args.seconds,
        latencies.len(),
        n / args.seconds,
        ms(&latencies, 50.0),
        ms(&latencies, 90.0),
        ms(&latencies, 99.0),
        members as f64 / groups.max(1) as f64,
        cpu.as_secs_f64() * 1e6 / n.max(1.0),
    );
    Ok(errors == 0 && !latencies.is_empty())
}

fn main() -> std::process::ExitCode {
    common::main_with("write_ceiling", bench(Args::parse()))
}
