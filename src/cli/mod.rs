//! The command line. Every administrative task in the UI has a CLI form here
//! too, for operators and scripts. Each system's commands are a module of
//! their own (`identity`, `cases`, `services`); this one holds the
//! platform's (serve, migrate, backup, audit, server keys, calendar, demo)
//! and names theirs.

mod cases;
mod catalogue;
mod demo;
mod grid;
mod identity;
mod indicators;
mod notify;
mod services;
mod workplan;

use crate::config::{LogFormat, Overrides, Settings};
use crate::database;
use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use egov_kernel::Context;
use egov_store::Db;
use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "egov", version, about = "City e-government platform")]
pub struct Cli {
    /// Configuration file (TOML); missing is fine.
    #[arg(long, global = true, default_value = "egov.toml")]
    config: PathBuf,
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Debug, Clone, Default)]
struct DbArgs {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB` (default: SQLite under the data directory)
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Data directory for SQLite and files (default ./egov-data)
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the platform (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Write a backup (the database and the file store, with a manifest of
    /// digests) to FILE while the platform is in use.
    Backup { file: PathBuf },
    /// Check the backup in FILE, then replace the database and add its files
    /// to the file store (stop the server first).
    Restore { file: PathBuf },
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Administration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Demo data.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// The working-day calendar.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Process definitions.
    #[command(subcommand)]
    Process(cases::ProcessCommand),
    /// Electronic supervision.
    #[command(subcommand)]
    Supervision(cases::SupervisionCommand),
    /// Service items (政务服务事项) and their guides.
    #[command(subcommand)]
    Service(services::ServiceCommand),
    /// The search index.
    #[command(subcommand)]
    Search(services::SearchCommand),
    /// Text messages to phones.
    #[command(subcommand)]
    Sms(identity::SmsCommand),
    /// Emails and text messages on their way out, sent or waiting.
    Outbox(notify::OutboxArgs),
    /// The indicators engine's passes: warning-light watches, report
    /// reminders, the demonstration series.
    #[command(subcommand)]
    Indicators(indicators::IndicatorsCommand),
    /// Grid city management: the grid's layers, the classes of problems,
    /// received reports.
    #[command(subcommand)]
    Grid(grid::GridCommand),
    /// The information resource catalogue: data loads, the exchange's
    /// clients, sharing requests, the demonstration catalogue.
    #[command(subcommand)]
    Catalogue(catalogue::CatalogueCommand),
    /// Work-plan supervision: reminders and warnings of reports, the
    /// demonstration plan.
    #[command(subcommand)]
    Workplan(workplan::WorkplanCommand),
}

#[derive(Subcommand, Debug)]
enum CalendarCommand {
    /// One line per day: `YYYY-MM-DD workday|weekend|holiday|makeup`.
    Show { year: i32 },
    /// The deadline N units after START (START itself not counted).
    Due {
        /// A date (2026-09-24), or a date and time for hours (2026-09-24T10:30).
        start: String,
        n: u32,
        #[arg(long, default_value = "workday")]
        unit: String,
    },
    /// Load a calendar file (a newly published year, or corrections).
    Load { file: PathBuf },
}

#[derive(Args, Debug, Default)]
struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080
    #[arg(long)]
    bind: Option<SocketAddr>,
    /// Do not load demo data on first start.
    #[arg(long)]
    no_demo: bool,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Check the hash chain and its signed checkpoints (in the database, the
    /// anchor file, and any --anchor); exit 0 when intact, 1 naming the
    /// first bad record.
    Verify {
        /// A file of checkpoints kept elsewhere (from `egov audit export`).
        #[arg(long = "anchor")]
        anchors: Vec<PathBuf>,
    },
    /// Sign the chain's head now (the server does so every few seconds).
    Checkpoint,
    /// Print the signed checkpoints, one JSON object a line, to keep
    /// elsewhere and check with `audit verify --anchor FILE`.
    Export {
        /// Only those after this record.
        #[arg(long, default_value_t = 0)]
        since: i64,
    },
    /// Print the public keys that verify checkpoints: key id, created, Ed25519 key.
    PublicKeys,
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Accounts, API keys and single sign-on.
    #[command(flatten)]
    Identity(identity::AdminCommand),
    /// The server's own keys (audit checkpoints, secrets at rest).
    #[command(subcommand, name = "server-key")]
    ServerKey(ServerKeyCommand),
}

#[derive(Subcommand, Debug)]
enum ServerKeyCommand {
    /// Add a new server key: it signs and seals from now on; every sealed
    /// secret is sealed again under it; older keys stay to verify what they
    /// signed. Run it with the servers stopped, then give every node the
    /// new key file.
    Rotate,
    /// List the keys: id, created, public key.
    List,
}

#[derive(Subcommand, Debug)]
enum DemoCommand {
    /// Load (or update) the demo data shipped in the binary.
    Load {
        /// Also one account per role, printed with its password, and
        /// applications in every state (some past their deadline with
        /// warnings and cards): a tour of every page.
        #[arg(long)]
        people: bool,
    },
}

/// Ends a command's use of the database: the audit records it wrote are
/// linked into the chain first (PostgreSQL), as the server's appender would.
async fn close(db: egov_store::Db) {
    if let Err(e) = egov_audit::link_pending(&db).await {
        tracing::warn!(error = %egov_kernel::error::Chain(&e), "linking audit records");
    }
    db.close().await;
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let serve_args = match &cli.command {
        None => Some(ServeArgs::default()),
        Some(Command::Serve(a)) => Some(ServeArgs {
            bind: a.bind,
            no_demo: a.no_demo,
        }),
        _ => None,
    };
    let overrides = Overrides {
        bind: serve_args.as_ref().and_then(|a| a.bind),
        data_dir: cli.db.data_dir.clone(),
        database_url: cli.db.database_url.clone(),
        demo: serve_args.as_ref().filter(|a| a.no_demo).map(|_| false),
    };
    // Commands that need no database.
    if let Some(code) = match &cli.command {
        Some(Command::Process(command)) => cases::check(command)?,
        Some(Command::Service(command)) => services::check(command)?,
        _ => None,
    } {
        return Ok(code);
    }
    let settings = Settings::load(&cli.config, overrides).context("reading configuration")?;
    init_tracing(&settings);
    let url = settings.database_url()?;

    match cli.command {
        None | Some(Command::Serve(_)) => crate::serve::serve(settings, url).await,
        Some(Command::Migrate) => {
            let db = database::open(&settings, &url).await?;
            close(db).await;
            println!("migrations applied to {url}");
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Backup { file }) => {
            let db = database::open(&settings, &url).await?;
            // The keys stay out of the backup; it names the ones it needs.
            let keys = egov_keyring::current()?.ids();
            let manifest =
                egov_store::backup(&db, &url, &settings.files_dir(), keys, &file).await?;
            close(db).await;
            println!(
                "backup written to {}: the {} database and {} files",
                file.display(),
                manifest.engine,
                manifest.files.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Restore { file }) => {
            let _lock = crate::serve::lock_data_dir(&settings, &url)?;
            check_restore_keys(&settings, &file)?;
            let restored = egov_store::restore(&url, &settings.files_dir(), &file).await?;
            println!(
                "backup of {} checked: the database and {} files ({} added to the file store)",
                restored.manifest.created_at,
                restored.manifest.files.len(),
                restored.files_added
            );
            // Bring the restored copy up to this binary's schema.
            let db = database::open(&settings, &url).await?;
            close(db).await;
            println!("restored {} into {url}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Audit(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = audit_command(&db, &settings, command).await;
            close(db).await;
            code
        }
        Some(Command::Admin(AdminCommand::ServerKey(command))) => {
            let db = database::open(&settings, &url).await?;
            let code = server_key_command(&db, &settings, command).await;
            close(db).await;
            code
        }
        Some(Command::Admin(AdminCommand::Identity(command))) => {
            let db = database::open(&settings, &url).await?;
            let code = identity::admin(&db, command).await;
            close(db).await;
            code
        }
        Some(Command::Outbox(args)) => {
            let db = database::open(&settings, &url).await?;
            let code = notify::outbox(&db, &settings.public_base(), args).await;
            close(db).await;
            code
        }
        Some(Command::Sms(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = identity::sms(&db, command).await;
            close(db).await;
            code
        }
        Some(Command::Process(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = cases::process(&db, command).await;
            close(db).await;
            code
        }
        Some(Command::Supervision(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = cases::supervision(&db, &settings, command).await;
            close(db).await;
            code
        }
        Some(Command::Service(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = services::service(&db, command).await;
            close(db).await;
            code
        }
        Some(Command::Search(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = services::search(&db, &settings, command).await;
            close(db).await;
            code
        }
        Some(Command::Calendar(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = calendar_command(&db, command).await;
            close(db).await;
            code
        }
        Some(Command::Grid(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = grid::run(&db, command).await;
            close(db).await;
            code
        }
        Some(Command::Catalogue(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = catalogue::run(&db, command).await;
            close(db).await;
            code
        }
        Some(Command::Indicators(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = indicators::run(&db, command).await;
            close(db).await;
            code
        }
        Some(Command::Workplan(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = workplan::run(&db, command).await;
            close(db).await;
            code
        }
        Some(Command::Demo(DemoCommand::Load { people })) => {
            let db = database::open(&settings, &url).await?;
            for r in egov_org::load_demo(&db, &Context::system()).await? {
                println!("{} {}: {} rows", r.name, r.version, r.rows);
            }
            let n = egov_services::registry::seed_builtin(&db).await?;
            println!("service items: {n} published");
            let n = egov_indicators_web::demo::load(&db).await?;
            println!("demonstration indicator values: {n}");
            let n = egov_grid::demo::load(&db).await?;
            println!("demonstration grid areas: {n}");
            let n = egov_catalogue::demo::load(&db).await?;
            println!("demonstration catalogue resources: {n}");
            let n = egov_mailbox::demo::load(&db, &egov_cases::Processes::default()).await?;
            println!("demonstration letters: {n}");
            let n = egov_disclosure::demo::load(&db).await?;
            println!("demonstration disclosure documents: {n}");
            if people {
                demo::people(&db, &settings.files_dir()).await?;
            }
            close(db).await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A backup's sealed secrets open only with the keys that sealed them: the
/// target's key file must hold them before anything is replaced.
fn check_restore_keys(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    let manifest = egov_store::read_manifest(file)?;
    let path = settings.server_key_file();
    let have = if path.exists() {
        egov_keyring::Keyring::load(&path)?.ids()
    } else {
        Vec::new()
    };
    let missing: Vec<&String> = manifest
        .server_keys
        .iter()
        .filter(|k| !have.contains(k))
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "this backup needs server key {} to read its sealed secrets, and {} {}; \
             copy the server key file from the installation that made the backup \
             (the data directory's server-keys) to {} first",
            missing
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            path.display(),
            if path.exists() {
                "lacks it"
            } else {
                "does not exist"
            },
            path.display()
        );
    }
    Ok(())
}

async fn audit_command(
    db: &Db,
    settings: &Settings,
    command: AuditCommand,
) -> anyhow::Result<ExitCode> {
    let ring = egov_keyring::current()?;
    match command {
        AuditCommand::Verify { anchors } => {
            let mut kept = egov_audit::checkpoint::read_anchors(&settings.audit_anchor_file())
                .context("reading the audit anchor")?;
            for file in &anchors {
                kept.extend(
                    egov_audit::checkpoint::read_anchors(file)
                        .with_context(|| format!("reading {}", file.display()))?,
                );
            }
            match egov_audit::verify(db, &ring, &kept).await? {
                egov_audit::Verdict::Intact {
                    records,
                    checkpoints,
                    newest_signed,
                    pending,
                } => {
                    println!(
                        "audit chain intact: {records} records, {checkpoints} signed checkpoints{}{}",
                        match newest_signed {
                            Some(n) => format!(" (the newest at record {n})"),
                            None => String::new(),
                        },
                        match pending {
                            0 => String::new(),
                            n => format!("; {n} records written and waiting to be linked"),
                        }
                    );
                    Ok(ExitCode::SUCCESS)
                }
                egov_audit::Verdict::Broken { seq, reason } => {
                    println!("audit chain broken at record {seq}: {reason}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditCommand::Checkpoint => {
            match egov_audit::checkpoint(db, &ring).await? {
                Some(cp) => {
                    egov_audit::checkpoint::write_anchor(&settings.audit_anchor_file(), &cp)?;
                    println!(
                        "signed checkpoint at record {} with key {}",
                        cp.seq, cp.key_id
                    );
                }
                None => println!("the newest checkpoint already covers the chain"),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export { since } => {
            for cp in egov_audit::checkpoints(db, since).await? {
                println!("{}", serde_json::to_string(&cp)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::PublicKeys => {
            for k in ring.public_keys() {
                println!("{}\t{}\tEd25519\t{}", k.id, k.created_at, k.ed25519);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn server_key_command(
    db: &Db,
    settings: &Settings,
    command: ServerKeyCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        ServerKeyCommand::Rotate => {
            let path = settings.server_key_file();
            let mut ring = egov_keyring::Keyring::load(&path)?;
            let id = ring.rotate()?.id.clone();
            egov_keyring::install(ring);
            database::reseal(db).await?;
            let key_id = id.clone();
            db.write(move |tx| {
                Box::pin(async move {
                    egov_audit::append(
                        tx,
                        &Context::system(),
                        egov_audit::Event {
                            action: "server_key.rotate",
                            object_type: "server_key",
                            object_id: &key_id,
                            detail: serde_json::json!({}),
                        },
                    )
                    .await
                })
            })
            .await?;
            let ring = egov_keyring::current()?;
            if let Some(cp) = egov_audit::checkpoint(db, &ring).await? {
                egov_audit::checkpoint::write_anchor(&settings.audit_anchor_file(), &cp)?;
            }
            println!("new server key {id} in {}", path.display());
            println!("secrets sealed again under it; give every node this file before starting it");
        }
        ServerKeyCommand::List => {
            for k in egov_keyring::current()?.public_keys() {
                println!("{}\t{}\t{}", k.id, k.created_at, k.ed25519);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn calendar_command(db: &Db, command: CalendarCommand) -> anyhow::Result<ExitCode> {
    use chrono::{Datelike, NaiveDate, NaiveDateTime};
    match command {
        CalendarCommand::Show { year } => {
            let cal = egov_calendar::load_calendar(db).await?;
            if !cal.is_published(year) {
                eprintln!("note: no holiday notice loaded for {year}; only weekends are known");
            }
            let mut d = NaiveDate::from_ymd_opt(year, 1, 1)
                .ok_or_else(|| anyhow::anyhow!("{year} is not a year"))?;
            while d.year() == year {
                println!("{d} {}", cal.day_kind(d));
                d = d.succ_opt().expect("within range");
            }
            Ok(ExitCode::SUCCESS)
        }
        CalendarCommand::Due { start, n, unit } => {
            let unit = egov_calendar::Unit::parse(&unit)
                .ok_or_else(|| anyhow::anyhow!("unknown unit '{unit}' (workday, day or hour)"))?;
            let at = NaiveDateTime::parse_from_str(&start, "%Y-%m-%dT%H:%M")
                .or_else(|_| {
                    NaiveDate::parse_from_str(&start, "%Y-%m-%d")
                        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight"))
                })
                .map_err(|_| anyhow::anyhow!("START must be YYYY-MM-DD or YYYY-MM-DDTHH:MM"))?;
            let cal = egov_calendar::load_calendar(db).await?;
            let due = cal.due(at, n, unit);
            match unit {
                egov_calendar::Unit::Hour => println!("{}", due.at.format("%Y-%m-%dT%H:%M")),
                _ => println!("{}", due.date()),
            }
            if due.provisional {
                eprintln!(
                    "provisional: no holiday notice loaded for {:?}; recompute when it is",
                    due.unpublished_years
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CalendarCommand::Load { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let years = egov_calendar::load_file(db, &Context::system(), &text).await?;
            println!("loaded {} years: {years:?}", years.len());
            let cal = egov_calendar::load_calendar(db).await?;
            let processes = egov_cases::Processes::default();
            let n = egov_cases::supervision::recompute_provisional(
                db,
                &Context::system(),
                &processes,
                &cal,
            )
            .await?;
            println!("{n} provisional deadlines recomputed");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn init_tracing(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    if let Some(url) = &settings.database_url {
        // Secrets never reach the log; this only proves the value was set.
        tracing::debug!(
            set = !url.expose_secret().is_empty(),
            "database_url configured"
        );
    }
}
