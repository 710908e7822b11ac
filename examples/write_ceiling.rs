//! The ceiling of the case engine's joint approvals on SQLite, for the
//! benchmark: egov's own statements on egov's own schema, run bare on one
//! writer thread over rusqlite with group commit, and nothing of egov
//! around them. egov's figures (`case_load`) are reported as a share of it.
//!
//! ```sh
//! cargo run --release --example write_ceiling -- --dir DIR \
//!     [--seconds 10] [--warmup 1] [--concurrency 32] [--group 64]
//! ```
//!
//! The database is made as `case_load` makes its own (egov's migrations,
//! the demo organisation, the shipped processes). Each task then runs
//! joint approvals as `case_load` does, five commits each: start (check
//! the department, insert the case, set its number, insert its event and
//! audit record), accept (read the case, open three branches, update the
//! case, event, audit) and three branch approvals (read the case and its
//! branches, answer one, update the case, event, audit; the last one
//! closes it). Each statement is the engine's text with the values it
//! binds; the audit record is hashed in Rust and linked to the head as the
//! audit engine does. The writer takes up to `--group` waiting commits,
//! runs each in a savepoint of one `BEGIN IMMEDIATE` and commits once, as
//! egov's writer does: the `COMMIT` writes the WAL unsynced
//! (`synchronous=NORMAL`) and a second thread syncs the WAL once for every
//! group committed by then and only then answers them, while the writer
//! runs the next group. `--sync full` syncs in the `COMMIT` instead
//! (`synchronous=FULL`) and answers after it, the writer waiting.
//! What is left out is the engine's work itself: the process definition,
//! the deadline calendar, the checks.
//!
//! It prints one line starting `write_ceiling ` for scripts: commits
//! (`transactions_per_sec`) and instances per second inside the timed
//! window, commit latency percentiles, the commit groups' mean size (over
//! the whole run, warm-up included) and the process's CPU time per
//! counted commit.

mod common;

use clap::Parser;
use common::{cpu_time, micros, ms, Window};
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
    /// Who syncs the WAL: a syncer thread after the writer's `COMMIT`
    /// (`pipelined`, as egov does) or the `COMMIT` itself (`full`).
    #[arg(long, value_enum, default_value_t = WalSync::Pipelined)]
    sync: WalSync,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum WalSync {
    Pipelined,
    Full,
}

/// A committed group's answers, waiting for the sync.
type Answers = Vec<(oneshot::Sender<Result<i64, String>>, Result<i64, String>)>;

const LEAD: &str = "110105-SCJGJ";
const CO_DEPARTMENTS: [&str; 3] = ["110105-SCJGJ", "110105-SWZJ", "110105-GAJ"];

/// One commit of a joint approval.
#[derive(Clone, Copy)]
enum Step {
    Start,
    Accept,
    /// A co-department approves its branch; `last` closes the case.
    Approve {
        department: i64,
        last: bool,
    },
}

struct Request {
    step: Step,
    /// The case, once started.
    case_id: i64,
    answer: oneshot::Sender<Result<i64, String>>,
}

/// The departments of the joint approval, by id.
#[derive(Clone)]
struct Departments {
    lead: i64,
    co: Vec<i64>,
}

/// egov's database for the benchmark, made by egov, then closed.
async fn prepare(path: &std::path::Path) -> anyhow::Result<Departments> {
    let url = egov_store::DatabaseUrl::parse(&format!("sqlite://{}", path.display()))?;
    let db = common::demo_db(&url, 4).await?;
    let lead = egov_org::department(&db, LEAD).await?.id;
    let mut co = Vec::new();
    for code in CO_DEPARTMENTS {
        co.push(egov_org::department(&db, code).await?.id);
    }
    db.close().await;
    Ok(Departments { lead, co })
}

fn open(path: &std::path::Path, sync: WalSync) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    let synchronous = match sync {
        WalSync::Pipelined => "NORMAL",
        WalSync::Full => "FULL",
    };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON;"
    ))?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// A time as sqlx writes one to SQLite.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

fn later(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

const CASE_COLUMNS: &str = "SELECT id, number, title, process_id, process_version, \
     state, applicant_id, department_id, assigned_department_id, co_departments, data, \
     location_lat, location_lon, address, parent_id, version, state_entered_at, due_at, \
     due_provisional, due_from, due_amount, due_unit, extended, paused_at, paused_secs, \
     deadline_cycle, warn_at, red_at, alert_level, next_alert_at, overdue, created_at, \
     closed_at, deadlines FROM cases WHERE id = $1";

/// Runs one step of a joint approval, inside the caller's savepoint;
/// answers the case's id.
fn run_step(conn: &Connection, d: &Departments, step: Step, case_id: i64) -> rusqlite::Result<i64> {
    let at = now();
    match step {
        Step::Start => {
            conn.prepare_cached("SELECT id FROM departments WHERE id = $1")?
                .query_row([d.lead], |r| r.get::<_, i64>(0))?;
            let placeholder = format!("new-{at}-{:016x}", rand::random::<u64>());
            let co = serde_json::to_string(&d.co).expect("ids serialise");
            let id: i64 = conn
                .prepare_cached(
                    "INSERT INTO cases (number, title, process_id, process_version, state, \
                     applicant_id, department_id, co_departments, data, location_lat, \
                     location_lon, address, parent_id, version, state_entered_at, due_at, \
                     due_provisional, due_from, due_amount, due_unit, deadline_cycle, warn_at, \
                     red_at, next_alert_at, paused_at, created_at, deadlines) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, \
                     $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $14, $25) RETURNING id",
                )?
                .query_row(
                    params![
                        placeholder,
                        "并联审批 基准",
                        "joint_approval",
                        1,
                        "submitted",
                        None::<i64>,
                        d.lead,
                        co,
                        "{}",
                        None::<f64>,
                        None::<f64>,
                        None::<String>,
                        None::<i64>,
                        at,
                        later(7),
                        false,
                        at,
                        5,
                        "workday",
                        1,
                        later(5),
                        later(7),
                        later(5),
                        None::<String>,
                        None::<String>,
                    ],
                    |r| r.get(0),
                )?;
            let number = format!("2026{id:07}");
            conn.prepare_cached("UPDATE cases SET number = $1 WHERE id = $2")?
                .execute(params![number, id])?;
            event_and_audit(conn, id, &number, 1, "start", None, "submitted", "{}")?;
            Ok(id)
        }
        Step::Accept => {
            let (number, version) = read_case(conn, case_id)?;
            for department in &d.co {
                conn.prepare_cached(
                    "INSERT INTO case_branches (case_id, state, department_id, status) \
                     VALUES ($1, $2, $3, 'pending')",
                )?
                .execute(params![case_id, "joint_review", department])?;
            }
            save(conn, case_id, version, "joint_review", None)?;
            let (from, to) = (Some("submitted"), "joint_review");
            event_and_audit(
                conn,
                case_id,
                &number,
                version + 1,
                "accept",
                from,
                to,
                "{}",
            )?;
            Ok(case_id)
        }
        Step::Approve { department, last } => {
            let (number, version) = read_case(conn, case_id)?;
            let mut branches = conn.prepare_cached(
                "SELECT department_id, status, answered_at FROM case_branches \
                 WHERE case_id = $1 AND state = $2 ORDER BY department_id",
            )?;
            let rows = branches.query_map(params![case_id, "joint_review"], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })?;
            for row in rows {
                row?;
            }
            conn.prepare_cached(
                "UPDATE case_branches SET status = $1, answered_at = $2 \
                 WHERE case_id = $3 AND state = $4 AND department_id = $5",
            )?
            .execute(params!["approved", at, case_id, "joint_review", department])?;
            let to = if last { "approved" } else { "joint_review" };
            save(conn, case_id, version, to, last.then_some(at.as_str()))?;
            let fields = r#"{"opinion":"同意"}"#;
            let from = Some("joint_review");
            event_and_audit(
                conn,
                case_id,
                &number,
                version + 1,
                "branch_approve",
                from,
                to,
                fields,
            )?;
            Ok(case_id)
        }
    }
}

/// Reads the whole case, as the engine does; answers its number and version.
fn read_case(conn: &Connection, case_id: i64) -> rusqlite::Result<(String, i64)> {
    conn.prepare_cached(CASE_COLUMNS)?
        .query_row([case_id], |r| {
            let mut columns = Vec::with_capacity(34);
            for i in 0..34 {
                columns.push(r.get_ref(i)?.data_type());
            }
            std::hint::black_box(columns);
            Ok((r.get("number")?, r.get("version")?))
        })
}

/// The engine's update of a case's moving parts, refused if the version moved.
fn save(
    conn: &Connection,
    case_id: i64,
    version: i64,
    state: &str,
    closed_at: Option<&str>,
) -> rusqlite::Result<()> {
    let at = now();
    let moved = conn
        .prepare_cached(
            "UPDATE cases SET state = $1, version = $2, state_entered_at = $3, due_at = $4, \
             due_provisional = $5, extended = $6, paused_at = $7, paused_secs = $8, \
             closed_at = $9, assigned_department_id = $10, due_from = $11, due_amount = $12, \
             due_unit = $13, deadline_cycle = $14, warn_at = $15, red_at = $16, \
             alert_level = $17, next_alert_at = $18, overdue = $19 \
             WHERE id = $20 AND version = $21",
        )?
        .execute(params![
            state,
            version + 1,
            at,
            closed_at.is_none().then(|| later(63)),
            false,
            false,
            None::<String>,
            0,
            closed_at,
            None::<i64>,
            at,
            45,
            "workday",
            1,
            later(60),
            later(63),
            0,
            later(60),
            false,
            case_id,
            version,
        ])?;
    if moved != 1 {
        return Err(rusqlite::Error::QueryReturnedNoRows);
    }
    Ok(())
}

/// The timeline event and the audit record linked to the chain's head.
#[allow(clippy::too_many_arguments)]
fn event_and_audit(
    conn: &Connection,
    case_id: i64,
    number: &str,
    seq: i64,
    action: &str,
    from: Option<&str>,
    to: &str,
    fields: &str,
) -> rusqlite::Result<()> {
    let at = now();
    conn.prepare_cached(
        "INSERT INTO case_events (case_id, seq, at, actor, action, from_state, to_state, \
         fields) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )?
    .execute(params![
        case_id, seq, at, "system", action, from, to, fields
    ])?;
    let (record, prev): (i64, String) = conn
        .prepare_cached("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    let action = format!("case.{action}");
    let detail = format!(r#"{{"from":{from:?},"to":"{to}","version":{seq}}}"#);
    let mut h = Sha256::new();
    for part in [
        record.to_string().as_bytes(),
        at.as_bytes(),
        b"system",
        action.as_bytes(),
        b"case",
        number.as_bytes(),
        detail.as_bytes(),
        prev.as_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    let hash = hex::encode(h.finalize());
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, source, \
         request_id, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )?
    .execute(params![
        record,
        at,
        "system",
        action,
        "case",
        number,
        None::<String>,
        None::<String>,
        detail,
        prev,
        hash
    ])?;
    Ok(())
}

/// The five commits of one joint approval.
fn instance_steps(d: &Departments) -> Vec<Step> {
    let mut steps = vec![Step::Start, Step::Accept];
    for (i, &department) in d.co.iter().enumerate() {
        let last = i + 1 == d.co.len();
        steps.push(Step::Approve { department, last });
    }
    steps
}

/// The writer thread: a group of waiting transactions per commit, each in a
/// savepoint, answered once the commit is on disk (by `synced`, the
/// syncer, when there is one). Returns the groups committed and the
/// transactions in them.
fn writer(
    conn: Connection,
    d: Departments,
    requests: mpsc::Receiver<Request>,
    group: usize,
    synced: Option<mpsc::Sender<Answers>>,
) -> (u64, u64) {
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
                match run_step(&conn, &d, r.step, r.case_id) {
                    Ok(id) => {
                        conn.execute_batch("RELEASE member")?;
                        results.push(Ok(id));
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
        if let Err(e) = &committed {
            let _ = conn.execute_batch("ROLLBACK");
            results = batch.iter().map(|_| Err(e.to_string())).collect();
        }
        groups += 1;
        members += batch.len() as u64;
        let answers: Answers = batch.into_iter().map(|r| r.answer).zip(results).collect();
        match &synced {
            Some(syncer) if committed.is_ok() => {
                syncer.send(answers).expect("the syncer thread");
            }
            _ => answer(answers),
        }
    }
    (groups, members)
}

/// The syncer thread: one `fdatasync` of the WAL for every group committed
/// since the last, then their answers.
fn syncer(wal: PathBuf, groups: mpsc::Receiver<Answers>) {
    while let Ok(mut waiting) = groups.recv() {
        while let Ok(more) = groups.try_recv() {
            waiting.extend(more);
        }
        let synced = std::fs::OpenOptions::new()
            .write(true)
            .open(&wal)
            .and_then(|f| f.sync_data());
        match synced {
            Ok(()) => answer(waiting),
            Err(e) => answer(waiting.into_iter().map(|(a, _)| (a, Err(e.to_string())))),
        }
    }
}

fn answer(
    answers: impl IntoIterator<Item = (oneshot::Sender<Result<i64, String>>, Result<i64, String>)>,
) {
    for (to, result) in answers {
        let _ = to.send(result);
    }
}

async fn bench(args: Args) -> anyhow::Result<bool> {
    std::fs::create_dir_all(&args.dir)?;
    let path = args.dir.join("write-ceiling.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let departments = prepare(&path).await?;
    let conn = open(&path, args.sync)?;
    let (send, requests) = mpsc::channel::<Request>();
    let group = args.group.max(1);
    let steps = instance_steps(&departments);
    let (synced, syncer_thread) = match args.sync {
        WalSync::Full => (None, None),
        WalSync::Pipelined => {
            let (to_syncer, groups) = mpsc::channel();
            let wal = PathBuf::from(format!("{}-wal", path.display()));
            (
                Some(to_syncer),
                Some(std::thread::spawn(move || syncer(wal, groups))),
            )
        }
    };
    let thread = std::thread::spawn(move || writer(conn, departments, requests, group, synced));

    let start = Instant::now() + Duration::from_secs_f64(args.warmup);
    let window = Window {
        from: start,
        end: start + Duration::from_secs_f64(args.seconds),
    };
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (send, steps) = (send.clone(), steps.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut instances) = (Vec::new(), 0u64, 0u64);
            'instances: while Instant::now() < window.end {
                let mut case_id = 0;
                for &step in &steps {
                    let (answer, answered) = oneshot::channel();
                    let began = Instant::now();
                    if send
                        .send(Request {
                            step,
                            case_id,
                            answer,
                        })
                        .is_err()
                    {
                        errors += 1;
                        break 'instances;
                    }
                    match answered.await {
                        Ok(Ok(id)) => {
                            case_id = id;
                            let done = Instant::now();
                            if window.counts(done) {
                                latencies.push(micros(done - began));
                            }
                        }
                        _ => {
                            errors += 1;
                            continue 'instances;
                        }
                    }
                }
                if window.counts(Instant::now()) {
                    instances += 1;
                }
            }
            (latencies, errors, instances)
        }));
    }
    drop(send);
    tokio::time::sleep_until(start.into()).await;
    let cpu_from = cpu_time();
    let (mut latencies, mut errors, mut instances) = (Vec::new(), 0u64, 0u64);
    for t in tasks {
        let (l, e, i) = t.await?;
        latencies.extend(l);
        errors += e;
        instances += i;
    }
    let cpu = cpu_time().saturating_sub(cpu_from);
    let (groups, members) = thread.join().expect("the writer thread");
    if let Some(syncer) = syncer_thread {
        syncer.join().expect("the syncer thread");
    }
    latencies.sort_unstable();
    let n = latencies.len() as f64;
    println!(
        "write_ceiling engine=sqlite sync={} concurrency={} group={} seconds={:.2} transactions={} \
         errors={errors} transactions_per_sec={:.1} instances_per_sec={:.1} p50={} p90={} \
         p99={} mean_group={:.1} cpu_us_per_tx={:.0}",
        match args.sync {
            WalSync::Pipelined => "pipelined",
            WalSync::Full => "full",
        },
        args.concurrency,
        group,
        args.seconds,
        latencies.len(),
        n / args.seconds,
        instances as f64 / args.seconds,
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
