//! Service-hall benchmark, straight against the library (no HTTP):
//! applications filed per second with their materials, the way an
//! applicant files one online (`egov_services::application`).
//!
//! ```sh
//! cargo run --release --example application_load -- --database-url URL \
//!     [--item 110105SCJGJ0001] [--seconds 10] [--warmup 1] [--concurrency 32] \
//!     [--material-kib 256] [--files-dir DIR]
//! ```
//!
//! Give it a fresh database (`sqlite://DIR/egov.db` or `postgres://...`): it
//! migrates it and loads the demo organisation, the built-in calendar, the
//! shipped process definitions and the shipped service items, then makes one
//! applicant account per task: a citizen (个人) or an enterprise (法人,
//! registered with its legal representative's account), as `--audience`
//! says; by default the item's first audience. Each account gets a resident
//! ID or credit code of its own with valid check characters.
//!
//! The materials are stored in a `FileStore` in a fresh directory:
//! `--files-dir`, or else `files/` beside the SQLite database, or else (for
//! PostgreSQL) a temporary directory removed at the end.
//!
//! Each of `--concurrency` tasks then loops, as its own applicant:
//! `application::draft` → `application::save` of the item's form (each field
//! given a valid sample value) → `application::add_file` for every material the
//! guide requires now (`required` and not `later`), a PDF of `--material-kib`
//! KiB of fresh random bytes each, so that no two files share a digest →
//! `application::submit` with a fresh submission key. A submission is the
//! whole draft + files + submit; it is counted when it finishes inside the
//! timed window (`--warmup` untimed, then `--seconds` timed).
//!
//! Durable writes per submission, counted from the code: the draft is one
//! transaction (the row and its audit record), so is saving the form; each file is stored under its
//! digest (written, `fsync`ed, renamed, its directory `fsync`ed: two fsyncs)
//! and then recorded in one transaction with its audit record; the filing is
//! one transaction (the case, its timeline event, each material attached with
//! an audit record, the application marked filed, its audit record). So a
//! submission with F files makes 3 + F database transactions, each durable
//! before it returns (SQLite's writer groups concurrent ones into one
//! `COMMIT`), and 2F file-store fsyncs.
//!
//! It prints one line starting `application_load phase=submit` with
//! key=value figures for scripts. At the end it checks the database: every
//! submission made, counted or not (warm-up, and those still in flight when
//! the window closed), opened exactly one case, filed exactly one
//! application and attached its files; no draft is left over. Any library
//! error or a wrong count exits with status 1.

mod common;

use clap::Parser;
use common::{count, engine_name, micros, ms, Window};
use egov_calendar::WorkCalendar;
use egov_cases::attachments::FileStore;
use egov_cases::Processes;
use egov_kernel::identifier::{
    credit_code_check, org_code_check, resident_id_check, CreditCode, MobileNumber, ResidentId,
};
use egov_kernel::{Actor, Context};
use egov_services::application;
use egov_store::{DatabaseUrl, Db};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Service-hall load: applications filed per second with their materials")]
struct Args {
    /// A fresh database: sqlite://PATH or postgres://USER@HOST/DB
    #[arg(long)]
    database_url: String,
    /// The service item applied for (a shipped one, see data/services/).
    #[arg(long, default_value = "110105SCJGJ0001")]
    item: String,
    /// Who applies: citizen (个人) or enterprise (法人); default: the
    /// item's first audience.
    #[arg(long)]
    audience: Option<String>,
    /// Timed length, in seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Untimed run before it, in seconds (0 to skip).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Concurrent applicants (one account each).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Size of each material file, in KiB.
    #[arg(long, default_value_t = 256)]
    material_kib: usize,
    /// The largest upload accepted, in bytes (egov's default: 10 MiB).
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    max_upload_bytes: usize,
    /// Where the materials are stored (a fresh directory). Default: files/
    /// beside the SQLite database, or a temporary directory for PostgreSQL.
    #[arg(long)]
    files_dir: Option<PathBuf>,
    /// Pool size (SQLite: readers; writes always go through one connection).
    /// egov serves with 16.
    #[arg(long, default_value_t = 16)]
    max_connections: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Audience {
    Citizen,
    Enterprise,
}

impl Audience {
    /// As the guides and `application::draft` name it.
    fn guide_name(self) -> &'static str {
        match self {
            Audience::Citizen => "个人",
            Audience::Enterprise => "法人",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Audience::Citizen => "citizen",
            Audience::Enterprise => "enterprise",
        }
    }
}

struct Bench {
    db: Db,
    cal: Arc<WorkCalendar>,
    processes: Processes,
    files: FileStore,
    item: String,
    audience: Audience,
    /// The guide's materials to upload: (index, file name).
    materials: Vec<(usize, String)>,
    /// What each applicant types into the item's form.
    form: serde_json::Value,
    material_bytes: usize,
    max_upload: usize,
    /// Tells this run's submission keys from any other's.
    run_id: u64,
}

#[derive(Default)]
struct Tally {
    /// Latencies of counted submissions (draft + files + submit), µs.
    submissions: Vec<u32>,
    /// Latencies of the steps that finished inside the window, µs.
    drafts: Vec<u32>,
    saves: Vec<u32>,
    files: Vec<u32>,
    submits: Vec<u32>,
    /// Submissions finished before the window opened or after it closed.
    before: u64,
    after: u64,
    /// Files added in all (counted or not).
    files_added: u64,
    /// Tasks left with a draft not filed (after an error).
    open_drafts: u64,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.submissions.extend(other.submissions);
        self.drafts.extend(other.drafts);
        self.saves.extend(other.saves);
        self.files.extend(other.files);
        self.submits.extend(other.submits);
        self.before += other.before;
        self.after += other.after;
        self.files_added += other.files_added;
        self.open_drafts += other.open_drafts;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn error(&mut self, e: impl std::fmt::Display) {
        self.errors += 1;
        self.first_error.get_or_insert_with(|| e.to_string());
    }

    fn total(&self) -> u64 {
        self.submissions.len() as u64 + self.before + self.after
    }
}

/// SplitMix64: fast, and good enough that no two files share a digest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A PDF of about `size` bytes: one page, its content stream padded
    /// with random bytes (so no two are the same file).
    fn pdf(&mut self, size: usize) -> Vec<u8> {
        const FRAME: usize = 400; // the objects, the cross-reference table
        let mut noise = Vec::with_capacity(size.saturating_sub(FRAME));
        while noise.len() < size.saturating_sub(FRAME) {
            noise.extend_from_slice(&self.next().to_le_bytes());
        }
        noise.truncate(size.saturating_sub(FRAME));
        egov_cases::attachments::samples::pdf("bench", &noise)
    }
}

/// One applicant's loop.
async fn applicant(b: Arc<Bench>, w: Window, task: usize, user_id: i64) -> Tally {
    let mut t = Tally::default();
    let ctx = Context {
        actor: Actor::User(user_id),
        source: Some("127.0.0.1".into()),
        request_id: None,
    };
    let mut rng = Rng(b.run_id ^ (task as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let mut n = 0u64;
    // Whether this applicant has a draft not filed; `draft` resumes it.
    let mut open = false;
    while Instant::now() < w.end {
        n += 1;
        // The upload bodies arrive from the client: made before the clock.
        let bodies: Vec<Vec<u8>> = b
            .materials
            .iter()
            .map(|_| rng.pdf(b.material_bytes))
            .collect();
        let key = format!("bench-{:016x}-{task:05}-{n:08}", b.run_id);
        let started = Instant::now();
        match submission(&b, &ctx, user_id, bodies, &key, w, &mut t, &mut open).await {
            Ok(()) => {
                let finished = Instant::now();
                if finished < w.from {
                    t.before += 1;
                } else if finished <= w.end {
                    t.submissions.push(micros(finished - started));
                } else {
                    t.after += 1;
                }
            }
            Err(e) => {
                t.error(e);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    t.open_drafts = u64::from(open);
    t
}

/// Times a step, keeping its latency if it finished inside the window.
async fn timed<T, F>(w: Window, into: &mut Vec<u32>, f: F) -> T
where
    F: std::future::Future<Output = T>,
{
    let started = Instant::now();
    let out = f.await;
    let finished = Instant::now();
    if w.counts(finished) {
        into.push(micros(finished - started));
    }
    out
}

/// draft → add_file per material → submit.
#[allow(clippy::too_many_arguments)]
async fn submission(
    b: &Bench,
    ctx: &Context,
    user_id: i64,
    bodies: Vec<Vec<u8>>,
    key: &str,
    w: Window,
    t: &mut Tally,
    open: &mut bool,
) -> anyhow::Result<()> {
    // Each task is its own applicant, a person: no enterprise shares its drafts.
    let party = application::Party {
        user_id,
        enterprise_id: None,
    };
    let draft = timed(
        w,
        &mut t.drafts,
        application::draft(
            &b.db,
            ctx,
            &b.item,
            application::Applicant {
                party,
                audience: b.audience.guide_name(),
                assurance: 1,
            },
        ),
    )
    .await?;
    *open = true;
    if !draft.is_draft() {
        anyhow::bail!(
            "application {} came back {}, not a draft",
            draft.id,
            draft.status
        );
    }
    timed(
        w,
        &mut t.saves,
        application::save(&b.db, ctx, draft.id, party, &b.form, ""),
    )
    .await?;
    for ((material, name), bytes) in b.materials.iter().zip(bodies) {
        let sent = bytes.len();
        let (added, _) = timed(
            w,
            &mut t.files,
            application::add_file(
                &b.db,
                ctx,
                &b.files,
                draft.id,
                party,
                application::Given {
                    material: *material,
                    name,
                    bytes,
                    certificate: None,
                    identity_level: None,
                },
                b.max_upload,
            ),
        )
        .await?;
        t.files_added += 1;
        if added.size as usize != sent {
            anyhow::bail!("file {} of {sent} bytes stored as {}", added.id, added.size);
        }
    }
    let case = timed(
        w,
        &mut t.submits,
        application::submit(&b.db, ctx, &b.cal, &b.processes, draft.id, party, key),
    )
    .await?;
    *open = false;
    if case.applicant_id != Some(user_id) {
        anyhow::bail!("case {} opened for {:?}", case.number, case.applicant_id);
    }
    Ok(())
}

/// Values that satisfy a form schema's every field: the first choice, the
/// minimum, text of the shortest allowed length.
fn sample_form(schema: &serde_json::Value) -> serde_json::Value {
    use serde_json::{json, Value};
    let sample = |s: &Value| -> Value {
        if let Some(first) = s["enum"].as_array().and_then(|e| e.first()) {
            return first.clone();
        }
        match s["type"].as_str() {
            Some("integer") => json!(s["minimum"].as_i64().unwrap_or(1)),
            Some("number") => json!(s["minimum"].as_f64().unwrap_or(1.0)),
            Some("boolean") => json!(true),
            Some("array") => json!(["样例"]),
            _ => json!("样".repeat(s["minLength"].as_u64().unwrap_or(2).max(2) as usize)),
        }
    };
    let fields = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    Value::Object(fields.iter().map(|(k, s)| (k.clone(), sample(s))).collect())
}

/// A resident ID of its own for applicant `i`, with its check character.
fn resident_id(i: usize) -> ResidentId {
    // 朝阳区, born from 1960-01-01 on, sequence 001-999 per day.
    let born = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).expect("a date")
        + chrono::Duration::days((i / 999) as i64);
    let first17 = format!("110105{}{:03}", born.format("%Y%m%d"), i % 999 + 1);
    let check = resident_id_check(first17.as_bytes()) as char;
    ResidentId::parse(&format!("{first17}{check}")).expect("a valid resident ID")
}

/// A unified social credit code: market regulation (9), enterprise (1),
/// 朝阳区, an organisation code with its own check, and the check character.
fn credit_code(i: usize) -> CreditCode {
    let org8 = format!("B{:07}", i);
    let org_check = org_code_check(org8.as_bytes()).expect("an org code") as char;
    let first17 = format!("91110105{org8}{org_check}");
    let check = credit_code_check(first17.as_bytes()).expect("a credit code") as char;
    CreditCode::parse(&format!("{first17}{check}")).expect("a valid credit code")
}

const PASSWORD: &str = "Chang-Cheng-Wan-Li-9";

/// One applicant account; answers the user id that applies.
async fn register(db: &Db, audience: Audience, i: usize) -> anyhow::Result<i64> {
    let ctx = Context::system();
    let phone = MobileNumber::parse(&format!("139{:08}", i))?;
    let registered = match audience {
        Audience::Citizen => {
            egov_identity::register_citizen(
                db,
                &ctx,
                egov_identity::CitizenRegistration {
                    username: format!("bench.citizen.{i}"),
                    real_name: "王小明".into(),
                    resident_id: resident_id(i),
                    phone,
                    password: PASSWORD.to_owned().into(),
                },
            )
            .await?
        }
        Audience::Enterprise => {
            egov_identity::register_enterprise(
                db,
                &ctx,
                egov_identity::EnterpriseRegistration {
                    name: format!("北京基准餐饮有限公司{i}"),
                    credit_code: Some(credit_code(i)),
                    org_code: None,
                    legal_rep_name: "李四".into(),
                    legal_rep_id: resident_id(i),
                    username: format!("bench.enterprise.{i}"),
                    phone,
                    password: PASSWORD.to_owned().into(),
                },
            )
            .await?
            .1
        }
    };
    egov_identity::confirmation::confirm_from_outbox(db, &registered.pending).await?;
    registered
        .user_id
        .ok_or_else(|| anyhow::anyhow!("applicant {i} was registered already"))
}

/// Bytes this process has caused to be written to storage (Linux).
fn io_write_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/io").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
}

async fn run_bench(args: Args) -> anyhow::Result<bool> {
    let url = DatabaseUrl::parse(&args.database_url)?;
    // Where the materials go: a fresh directory.
    let mut _temp = None;
    let files_dir = match (&args.files_dir, &url) {
        (Some(d), _) => d.clone(),
        (None, DatabaseUrl::Sqlite(path)) => path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| std::path::Path::new("."))
            .join("files"),
        (None, DatabaseUrl::Postgres(_)) => {
            let t = tempfile::Builder::new()
                .prefix("egov-application-load.")
                .tempdir()?;
            let d = t.path().join("files");
            _temp = Some(t);
            d
        }
    };
    if files_dir.exists() && std::fs::read_dir(&files_dir)?.next().is_some() {
        anyhow::bail!(
            "{} is not empty; give a fresh directory",
            files_dir.display()
        );
    }
    std::fs::create_dir_all(&files_dir)?;

    let db = common::demo_db(&url, args.max_connections).await?;
    let published = egov_services::registry::seed_builtin(&db).await?;
    let cal = egov_calendar::load_calendar(&db).await?;
    let item = egov_services::registry::get(&db, &args.item).await?;
    let guide = &item.guide;
    let audience = match args.audience.as_deref() {
        Some("citizen" | "个人") => Audience::Citizen,
        Some("enterprise" | "法人") => Audience::Enterprise,
        Some(other) => anyhow::bail!("--audience {other}: give citizen or enterprise"),
        None => match guide.audiences.first().map(String::as_str) {
            Some("法人") => Audience::Enterprise,
            _ => Audience::Citizen,
        },
    };
    let materials: Vec<(usize, String)> = guide
        .materials
        .iter()
        .enumerate()
        .filter(|(_, m)| m.required && !m.later)
        .map(|(i, m)| (i, format!("材料{}-{}.pdf", i + 1, m.name)))
        .collect();
    let engine = engine_name(&db);
    let run_id = {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        nanos ^ (u64::from(std::process::id()) << 32)
    };

    // One applicant per task.
    let started = Instant::now();
    let mut users = Vec::with_capacity(args.concurrency);
    for chunk in (0..args.concurrency).collect::<Vec<_>>().chunks(4) {
        let mut set = tokio::task::JoinSet::new();
        for &i in chunk {
            let db = db.clone();
            set.spawn(async move { (i, register(&db, audience, i).await) });
        }
        while let Some(r) = set.join_next().await {
            let (i, id) = r?;
            users.push((i, id?));
        }
    }
    users.sort_unstable();
    let kind = if guide.is_joint() {
        format!("joint with {}", guide.co_departments.join(" "))
    } else {
        "single department".to_owned()
    };
    eprintln!(
        "application_load: {engine} ({url}); {published} items published; item {} v{} {} \
         ({kind}, lead {}), {} materials required now of {}; {} {} accounts in {:.1}s; \
         files in {}; {} tasks, {}s warm-up + {}s, {} KiB a file",
        guide.code,
        guide.version,
        guide.name,
        guide.department,
        materials.len(),
        guide.materials.len(),
        args.concurrency,
        audience.label(),
        started.elapsed().as_secs_f64(),
        files_dir.display(),
        args.concurrency,
        args.warmup,
        args.seconds,
        args.material_kib,
    );
    if !guide.audiences.iter().any(|a| a == audience.guide_name()) {
        anyhow::bail!(
            "item {} serves {}, not {}",
            guide.code,
            guide.audiences.join("、"),
            audience.guide_name()
        );
    }

    let b = Arc::new(Bench {
        db: db.clone(),
        cal: Arc::new(cal),
        processes: Processes::default(),
        files: FileStore::new(&files_dir),
        item: args.item.clone(),
        audience,
        materials,
        form: sample_form(guide.form_schema().as_json()),
        material_bytes: args.material_kib.max(1) * 1024,
        max_upload: args.max_upload_bytes,
        run_id,
    });

    let from = Instant::now() + Duration::from_secs_f64(args.warmup);
    let w = Window {
        from,
        end: from + Duration::from_secs_f64(args.seconds),
    };
    // This process's writes to storage over the window, and the COMMITs
    // SQLite's writer ran for the transactions of the window.
    let counted_db = b.db.clone();
    let io = tokio::spawn(async move {
        tokio::time::sleep_until(w.from.into()).await;
        let (a, ca) = (io_write_bytes(), counted_db.sqlite_commits());
        tokio::time::sleep_until(w.end.into()).await;
        let (z, cz) = (io_write_bytes(), counted_db.sqlite_commits());
        (
            a.zip(z).map(|(a, z)| z.saturating_sub(a)),
            ca.zip(cz).map(|(a, z)| z - a),
        )
    });
    let mut set = tokio::task::JoinSet::new();
    for &(task, user_id) in &users {
        set.spawn(applicant(b.clone(), w, task, user_id));
    }
    let mut t = Tally::default();
    while let Some(r) = set.join_next().await {
        t.merge(r?);
    }
    let (io_bytes, sqlite_commits) = io.await?;
    for v in [
        &mut t.submissions,
        &mut t.drafts,
        &mut t.saves,
        &mut t.files,
        &mut t.submits,
    ] {
        v.sort_unstable();
    }

    let mut ok = true;
    if let Some(e) = &t.first_error {
        eprintln!("application_load: {} errors, the first: {e}", t.errors);
        ok = false;
    }
    let seconds = args.seconds;
    let n = t.submissions.len() as f64;
    let files_per = b.materials.len() as f64;
    let commits_per = 3.0 + files_per;
    let fsyncs_per = 2.0 * files_per;
    let rate = n / seconds;
    let material_mb = n * files_per * b.material_bytes as f64 / 1e6;
    println!(
        "application_load phase=submit engine={engine} item={} joint={} audience={} \
         concurrency={} seconds={seconds:.2} files_per_submission={} material_kib={} \
         submissions={} errors={} submissions_per_sec={rate:.1} p50={} p90={} p99={} \
         db_commits_per_submission={commits_per} db_commits_per_sec={:.1} \
         sqlite_commits_run_per_sec={} \
         file_fsyncs_per_submission={fsyncs_per} file_fsyncs_per_sec={:.1} \
         material_mb={material_mb:.1} material_mb_per_sec={:.1} io_write_mb={} \
         io_write_mb_per_sec={} draft_p50={} draft_p99={} save_p50={} save_p99={} file_p50={} file_p99={} \
         submit_p50={} submit_p99={} before_window={} after_window={} total_submitted={}",
        guide.code,
        guide.is_joint(),
        audience.label(),
        args.concurrency,
        b.materials.len(),
        args.material_kib,
        t.submissions.len(),
        t.errors,
        ms(&t.submissions, 50.0),
        ms(&t.submissions, 90.0),
        ms(&t.submissions, 99.0),
        rate * commits_per,
        sqlite_commits.map_or("-".into(), |c| format!("{:.1}", c as f64 / seconds)),
        rate * fsyncs_per,
        material_mb / seconds,
        io_bytes.map_or("-".into(), |v| format!("{:.1}", v as f64 / 1e6)),
        io_bytes.map_or("-".into(), |v| format!("{:.1}", v as f64 / 1e6 / seconds)),
        ms(&t.drafts, 50.0),
        ms(&t.drafts, 99.0),
        ms(&t.saves, 50.0),
        ms(&t.saves, 99.0),
        ms(&t.files, 50.0),
        ms(&t.files, 99.0),
        ms(&t.submits, 50.0),
        ms(&t.submits, 99.0),
        t.before,
        t.after,
        t.total(),
    );

    // Every submission made opened one case with its files, and nothing else.
    let total = t.total() as i64;
    let files_total = total * b.materials.len() as i64;
    let cases = count(&db, "SELECT count(*) FROM cases").await?;
    let filed = count(
        &db,
        "SELECT count(*) FROM applications WHERE status = 'filed'",
    )
    .await?;
    let linked = count(
        &db,
        "SELECT count(*) FROM applications a JOIN cases c ON c.id = a.case_id \
         WHERE a.status = 'filed'",
    )
    .await?;
    let drafts = count(
        &db,
        "SELECT count(*) FROM applications WHERE status = 'draft'",
    )
    .await?;
    let attached = count(&db, "SELECT count(*) FROM case_attachments").await?;
    let filed_files = count(
        &db,
        "SELECT count(*) FROM application_files f JOIN applications a \
         ON a.id = f.application_id WHERE a.status = 'filed'",
    )
    .await?;
    let app_files = count(&db, "SELECT count(*) FROM application_files").await?;
    let stored = count_files(&files_dir)?;
    eprintln!(
        "application_load: {engine}: {total} submissions made (counted {} + {} before the \
         window + {} after it); in the database: {cases} cases, {filed} applications filed \
         ({linked} with their case), {drafts} drafts left, {app_files} application files, \
         {attached} case attachments; {stored} files in the store",
        t.submissions.len(),
        t.before,
        t.after,
    );
    let mut check = |good: bool, what: String| {
        if !good {
            eprintln!("application_load: WRONG: {what}");
            ok = false;
        }
    };
    check(
        cases == total,
        format!("{cases} cases; {total} submissions were made"),
    );
    check(
        filed == total && linked == total,
        format!("{filed} applications filed, {linked} with a case; {total} submissions were made"),
    );
    // A draft is left only where an applicant's last try failed after `draft`.
    check(
        drafts as u64 == t.open_drafts,
        format!(
            "{drafts} drafts left; {} applicants ended with one open",
            t.open_drafts
        ),
    );
    // Every file of a filed application is attached to its case; without
    // errors, exactly the files each submission added.
    check(
        attached == filed_files && (t.errors > 0 || attached == files_total),
        format!(
            "{attached} case attachments; the filed applications have {filed_files} files, \
             {total} submissions × {} files",
            b.materials.len()
        ),
    );
    check(
        app_files as u64 == t.files_added && stored as u64 == t.files_added,
        format!(
            "{app_files} application files and {stored} stored files; {} were added",
            t.files_added
        ),
    );
    db.close().await;
    Ok(ok)
}

/// Files in the store (its two-character subdirectories), temporaries aside.
fn count_files(root: &std::path::Path) -> std::io::Result<usize> {
    let mut n = 0;
    for dir in std::fs::read_dir(root)? {
        let dir = dir?;
        if !dir.file_type()?.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(dir.path())? {
            let f = f?;
            if !f.file_name().to_string_lossy().starts_with('.') {
                n += 1;
            }
        }
    }
    Ok(n)
}

fn main() -> std::process::ExitCode {
    common::main_with("application_load", run_bench(Args::parse()))
}
