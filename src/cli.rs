//! The command line. Every administrative task in the UI has a CLI form here
//! too, for operators and scripts.

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
    Process(ProcessCommand),
    /// Electronic supervision.
    #[command(subcommand)]
    Supervision(SupervisionCommand),
    /// Service items (政务服务事项) and their guides.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// The search index.
    #[command(subcommand)]
    Search(SearchCommand),
    /// Text messages to phones.
    #[command(subcommand)]
    Sms(SmsCommand),
}

#[derive(Subcommand, Debug)]
enum SmsCommand {
    /// The newest messages (sent or waiting), newest first.
    Outbox {
        /// Only those to this number.
        #[arg(long)]
        phone: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

#[derive(Subcommand, Debug)]
enum SearchCommand {
    /// Rebuild the search index from the database (in `search_dir`, with
    /// the server stopped; without one, build it in memory as a check) and
    /// print what it holds.
    Rebuild,
}

#[derive(Subcommand, Debug)]
enum ServiceCommand {
    /// Check a guide file; exit 1 naming what is wrong.
    Check { file: PathBuf },
    /// Load a guide file as a new version (a draft until published).
    Load {
        file: PathBuf,
        /// Publish it at once.
        #[arg(long)]
        publish: bool,
    },
    /// Offer the newest loaded version of an item.
    Publish { code: String },
    /// Stop offering an item; applications filed go on.
    Withdraw { code: String },
    /// Every item: code, version, status, name.
    List,
}

#[derive(Subcommand, Debug)]
enum ProcessCommand {
    /// Check a process definition file; exit 1 naming what is wrong.
    Check { file: PathBuf },
    /// Load a definition file as a new version; running cases keep theirs.
    Load { file: PathBuf },
    /// The newest version of every loaded process.
    List,
}

#[derive(Subcommand, Debug)]
enum SupervisionCommand {
    /// Raise every warning and card that is due now, once, and exit.
    Scan,
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
    #[command(subcommand)]
    User(UserCommand),
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Single sign-on clients (relying parties).
    #[command(subcommand, name = "oidc-client")]
    OidcClient(OidcClientCommand),
    /// The keys that sign ID tokens.
    #[command(subcommand, name = "oidc-key")]
    OidcKey(OidcKeyCommand),
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
enum OidcClientCommand {
    /// Register a client; prints its id and secret (the secret only this once).
    Create {
        #[arg(long)]
        name: String,
        /// A redirect URI (repeatable); matched exactly.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Where the client may send users after logout (repeatable).
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// ID token signing algorithm: RS256 (default) or ES256.
        #[arg(long, default_value = "RS256")]
        alg: String,
        /// A public client (an app on a phone, a page in a browser): no
        /// secret; PKCE required.
        #[arg(long)]
        public: bool,
        /// Do not require PKCE of this confidential client.
        #[arg(long)]
        no_pkce: bool,
        /// Where to send logout tokens when a user's session ends
        /// (OpenID Connect Back-Channel Logout).
        #[arg(long)]
        backchannel_logout_uri: Option<String>,
    },
    /// Every registered client.
    List,
    /// A new secret for a client, printed once; the old one stops working.
    RotateSecret { client_id: String },
    /// Remove a client and revoke every token it holds.
    Delete { client_id: String },
}

#[derive(Subcommand, Debug)]
enum OidcKeyCommand {
    /// Make new signing keys; the old ones keep verifying until retired.
    Rotate,
    /// Retire every key but the newest of each algorithm.
    Retire,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Disable an account: it can no longer sign in; its sessions and the
    /// single sign-on tokens issued in them end.
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[arg(long)]
        username: String,
    },
    /// A civil servant leaves: disable the account, revoke every role and
    /// end every session, in one step.
    Offboard {
        #[arg(long)]
        username: String,
    },
    /// Record how well a holder's identity is established: 2 verified in
    /// person at a counter, 3 by a digital certificate.
    Verify {
        #[arg(long)]
        username: String,
        #[arg(long)]
        level: i32,
    },
    /// Create a staff account; prints a one-time password to change at first sign-in.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// The department's code, e.g. 110105-SCJGJ.
        #[arg(long)]
        department: Option<String>,
        /// A role (repeatable): handler, department_admin, dispatcher, supervisor,
        /// catalogue_admin, auditor, system_admin. Department roles apply to --department.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Grant a role that may be either (supervisor) for every department,
        /// not only --department.
        #[arg(long)]
        city_wide: bool,
    },
}

#[derive(Subcommand, Debug)]
enum ApiKeyCommand {
    /// Create an API key and print it (shown once).
    Create {
        #[arg(long)]
        name: String,
        /// A scope the key holds (repeatable): org:write, audit:read, reference:write
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// The key stops working after this many days.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Every key: id, prefix, name, scopes, state.
    List,
    /// Revoke a key at once.
    Revoke { id: i64 },
}

#[derive(Subcommand, Debug)]
enum DemoCommand {
    /// Load (or update) the demo data shipped in the binary.
    Load,
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
    if let Some(Command::Process(ProcessCommand::Check { file })) = &cli.command {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let d = egov_cases::ProcessDefinition::parse(&text)?;
        println!(
            "ok: {} version {} ({}, {} states)",
            d.id,
            d.version,
            d.name,
            d.states().count()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(Command::Service(ServiceCommand::Check { file })) = &cli.command {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let g = egov_services::Guide::parse(&text)?;
        println!("ok: {} version {} ({})", g.code, g.version, g.name);
        return Ok(ExitCode::SUCCESS);
    }
    let settings = Settings::load(&cli.config, overrides).context("reading configuration")?;
    init_tracing(&settings);
    let url = settings.database_url()?;

    match cli.command {
        None | Some(Command::Serve(_)) => crate::serve::serve(settings, url).await,
        Some(Command::Migrate) => {
            let db = database::open(&settings, &url).await?;
            db.close().await;
            println!("migrations applied to {url}");
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Backup { file }) => {
            let db = database::open(&settings, &url).await?;
            // The keys stay out of the backup; it names the ones it needs.
            let keys = egov_keyring::current()?.ids();
            let manifest =
                egov_store::backup(&db, &url, &settings.files_dir(), keys, &file).await?;
            db.close().await;
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
            db.close().await;
            println!("restored {} into {url}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Audit(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = audit_command(&db, &settings, command).await;
            db.close().await;
            code
        }
        Some(Command::Admin(AdminCommand::ServerKey(command))) => {
            let db = database::open(&settings, &url).await?;
            let code = server_key_command(&db, &settings, command).await;
            db.close().await;
            code
        }
        Some(Command::Admin(AdminCommand::User(UserCommand::Create {
            username,
            display_name,
            department,
            roles,
            city_wide,
        }))) => {
            let db = database::open(&settings, &url).await?;
            let department_id = match &department {
                Some(code) => Some(egov_org::department(&db, code).await?.id),
                None => None,
            };
            let grants = roles
                .iter()
                .map(|r| {
                    let role = r
                        .parse::<egov_identity::Role>()
                        .map_err(anyhow::Error::msg)?;
                    let scoped = match role.scope() {
                        egov_identity::roles::Scope::City => false,
                        egov_identity::roles::Scope::Optional => !city_wide,
                        egov_identity::roles::Scope::Department => true,
                    };
                    Ok(egov_identity::RoleGrant {
                        role,
                        department_id: if scoped { department_id } else { None },
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let password = egov_identity::random_secret()[..20].to_owned();
            let id = egov_identity::create_staff(
                &db,
                &Context::system(),
                egov_identity::Grantor::Operator,
                egov_identity::NewStaff {
                    username: username.clone(),
                    display_name,
                    department_id,
                    roles: grants,
                    password: password.clone().into(),
                    must_change_password: true,
                },
            )
            .await?;
            db.close().await;
            println!("user {username} created (id {id})");
            println!("one-time password: {password}");
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Admin(AdminCommand::ApiKey(ApiKeyCommand::Create {
            name,
            scopes,
            expires_in_days,
        }))) => {
            let scopes = scopes
                .iter()
                .map(|s| s.parse::<egov_identity::Scope>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(anyhow::Error::msg)?;
            let expires = expires_in_days
                .map(|d| egov_kernel::time::now() + chrono::Duration::days(i64::from(d)));
            let db = database::open(&settings, &url).await?;
            let issued =
                egov_identity::create_api_key(&db, &Context::system(), &name, &scopes, expires)
                    .await?;
            db.close().await;
            eprintln!("API key {} created; it is shown only this once:", issued.id);
            println!("{}", issued.key);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Admin(AdminCommand::ApiKey(ApiKeyCommand::List))) => {
            let db = database::open(&settings, &url).await?;
            for k in egov_identity::list_api_keys(&db).await? {
                let state = match (&k.revoked_at, &k.expires_at) {
                    (Some(_), _) => "revoked".to_owned(),
                    (None, Some(t)) if !k.live() => format!("expired {}", t.format("%Y-%m-%d")),
                    (None, Some(t)) => format!("live until {}", t.format("%Y-%m-%d")),
                    (None, None) => "live".to_owned(),
                };
                println!("{}\t{}\t{}\t{}\t{state}", k.id, k.prefix, k.name, k.scopes);
            }
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Admin(AdminCommand::ApiKey(ApiKeyCommand::Revoke { id }))) => {
            let db = database::open(&settings, &url).await?;
            let done = egov_identity::revoke_api_key(&db, &Context::system(), id).await;
            db.close().await;
            match done {
                Ok(()) => println!("API key {id} revoked"),
                Err(egov_identity::IdentityError::NotFound) => {
                    anyhow::bail!("no live API key {id}")
                }
                Err(e) => return Err(e.into()),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Admin(AdminCommand::User(
            command @ (UserCommand::Disable { .. }
            | UserCommand::Enable { .. }
            | UserCommand::Offboard { .. }
            | UserCommand::Verify { .. }),
        ))) => {
            let db = database::open(&settings, &url).await?;
            let code = user_state_command(&db, command).await;
            db.close().await;
            code
        }
        Some(Command::Admin(AdminCommand::OidcClient(OidcClientCommand::Create {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            alg,
            public,
            no_pkce,
            backchannel_logout_uri,
        }))) => {
            let alg = egov_oidc::keys::Alg::parse(&alg)
                .ok_or_else(|| anyhow::anyhow!("unknown algorithm '{alg}' (RS256 or ES256)"))?;
            let db = database::open(&settings, &url).await?;
            let (client, secret) = egov_oidc::create_client(
                &db,
                &Context::system(),
                egov_oidc::NewClient {
                    name,
                    redirect_uris,
                    post_logout_redirect_uris,
                    id_token_alg: alg,
                    public,
                    require_pkce: !no_pkce,
                    backchannel_logout_uri,
                },
            )
            .await?;
            db.close().await;
            println!("client_id: {}", client.client_id);
            if !client.public {
                println!("client_secret: {secret}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Admin(AdminCommand::OidcClient(command))) => {
            let db = database::open(&settings, &url).await?;
            let ctx = Context::system();
            let done: anyhow::Result<()> = async {
                match command {
                    OidcClientCommand::Create { .. } => unreachable!("handled above"),
                    OidcClientCommand::List => {
                        for c in egov_oidc::client::list_clients(&db).await? {
                            println!(
                                "{}\t{}\t{}\t{}{}",
                                c.client_id,
                                c.name,
                                if c.public { "public" } else { "confidential" },
                                if c.pkce_required() { "pkce" } else { "-" },
                                c.backchannel_logout_uri
                                    .map(|u| format!("\tbackchannel {u}"))
                                    .unwrap_or_default()
                            );
                        }
                    }
                    OidcClientCommand::RotateSecret { client_id } => {
                        let secret = egov_oidc::rotate_secret(&db, &ctx, &client_id).await?;
                        println!("client_secret: {secret}");
                    }
                    OidcClientCommand::Delete { client_id } => {
                        egov_oidc::delete_client(&db, &ctx, &client_id).await?;
                        println!("client {client_id} deleted; its tokens are revoked");
                    }
                }
                Ok(())
            }
            .await;
            db.close().await;
            done.map(|()| ExitCode::SUCCESS)
        }
        Some(Command::Admin(AdminCommand::OidcKey(command))) => {
            let db = database::open(&settings, &url).await?;
            match command {
                OidcKeyCommand::Rotate => {
                    for kid in egov_oidc::keys::rotate(&db, &Context::system()).await? {
                        println!("new signing key {kid}");
                    }
                }
                OidcKeyCommand::Retire => {
                    let n = egov_oidc::keys::retire_old(&db, &Context::system()).await?;
                    println!("{n} keys retired");
                }
            }
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Process(ProcessCommand::Check { .. })) => {
            unreachable!("handled before configuration")
        }
        Some(Command::Process(ProcessCommand::Load { file })) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let db = database::open(&settings, &url).await?;
            let (d, new) = egov_cases::registry::load(&db, &Context::system(), &text).await?;
            db.close().await;
            match new {
                true => println!("loaded {} version {}", d.id, d.version),
                false => println!("{} version {} was already loaded", d.id, d.version),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Process(ProcessCommand::List)) => {
            let db = database::open(&settings, &url).await?;
            for p in egov_cases::registry::list(&db).await? {
                println!("{}\t{}\t{}", p.id, p.version, p.name);
            }
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Supervision(SupervisionCommand::Scan)) => {
            let db = database::open(&settings, &url).await?;
            let node = settings
                .node_name
                .clone()
                .unwrap_or_else(crate::serve::node_name);
            let r =
                egov_cases::supervision::scan(&db, &node, egov_kernel::time::now(), 500).await?;
            db.close().await;
            println!(
                "examined {} cases: {} warnings, {} yellow cards, {} red cards",
                r.examined, r.warnings, r.yellow_cards, r.red_cards
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Calendar(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = calendar_command(&db, command).await;
            db.close().await;
            code
        }
        Some(Command::Service(command)) => {
            let db = database::open(&settings, &url).await?;
            let code = service_command(&db, command).await;
            db.close().await;
            code
        }
        Some(Command::Search(SearchCommand::Rebuild)) => {
            let db = database::open(&settings, &url).await?;
            let index = match &settings.search_dir {
                Some(dir) => egov_search::SearchIndex::open(dir)
                    .with_context(|| format!("opening the search index in {}", dir.display()))?,
                None => egov_search::SearchIndex::in_memory()?,
            };
            let search = egov_services::search::ServiceSearch::new(index);
            let started = std::time::Instant::now();
            search.catch_up(&db).await?;
            db.close().await;
            println!(
                "indexed {} service items in {:.2} s",
                search.index().len(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Sms(SmsCommand::Outbox { phone, limit })) => {
            let db = database::open(&settings, &url).await?;
            for m in egov_identity::sms::outbox(&db, phone.as_deref(), limit).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    m.created_at.format("%Y-%m-%d %H:%M:%S"),
                    m.phone,
                    if m.sent_at.is_some() {
                        "sent"
                    } else {
                        "waiting"
                    },
                    m.body
                );
            }
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo(DemoCommand::Load)) => {
            let db = database::open(&settings, &url).await?;
            for r in egov_org::load_demo(&db, &Context::system()).await? {
                println!("{} {}: {} rows", r.name, r.version, r.rows);
            }
            let n = egov_services::registry::seed_builtin(&db).await?;
            println!("service items: {n} published");
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn user_state_command(db: &Db, command: UserCommand) -> anyhow::Result<ExitCode> {
    let username = match &command {
        UserCommand::Disable { username }
        | UserCommand::Enable { username }
        | UserCommand::Offboard { username }
        | UserCommand::Verify { username, .. } => username.clone(),
        UserCommand::Create { .. } => unreachable!("handled elsewhere"),
    };
    let user = egov_identity::list_users(db, &Default::default())
        .await?
        .into_iter()
        .find(|u| u.username == username)
        .ok_or_else(|| anyhow::anyhow!("no account named {username}"))?;
    let ctx = Context::system();
    match command {
        UserCommand::Disable { .. } => {
            egov_identity::set_disabled(db, &ctx, user.id, true).await?;
            println!("{username} disabled; its sessions and single sign-on tokens ended");
        }
        UserCommand::Enable { .. } => {
            egov_identity::set_disabled(db, &ctx, user.id, false).await?;
            println!("{username} enabled");
        }
        UserCommand::Offboard { .. } => {
            egov_identity::offboard(db, &ctx, egov_identity::Grantor::Operator, user.id).await?;
            println!("{username} offboarded: disabled, roles revoked, sessions ended");
        }
        UserCommand::Verify { level, .. } => {
            egov_identity::set_assurance(db, &ctx, user.id, level).await?;
            println!("{username}: assurance level {level}");
        }
        UserCommand::Create { .. } => unreachable!("handled elsewhere"),
    }
    Ok(ExitCode::SUCCESS)
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
                } => {
                    println!(
                        "audit chain intact: {records} records, {checkpoints} signed checkpoints{}",
                        match newest_signed {
                            Some(n) => format!(" (the newest at record {n})"),
                            None => String::new(),
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
            let mut tx = db.begin().await?;
            egov_audit::append(
                &mut tx,
                &Context::system(),
                egov_audit::Event {
                    action: "server_key.rotate",
                    object_type: "server_key",
                    object_id: &id,
                    detail: serde_json::json!({}),
                },
            )
            .await?;
            tx.commit().await?;
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

async fn service_command(db: &Db, command: ServiceCommand) -> anyhow::Result<ExitCode> {
    use egov_services::registry::{self, Browse, Loaded};
    let ctx = Context::system();
    match command {
        ServiceCommand::Check { .. } => unreachable!("handled before configuration"),
        ServiceCommand::Load { file, publish } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let (g, loaded) = registry::load(db, &ctx, &text).await?;
            match loaded {
                Loaded::New => println!("loaded {} version {}", g.code, g.version),
                Loaded::Unchanged => {
                    println!("{} version {} was already loaded", g.code, g.version)
                }
            }
            if publish {
                registry::publish(db, &ctx, &g.code).await?;
                println!("published {} version {}", g.code, g.version);
            }
        }
        ServiceCommand::Publish { code } => {
            let g = registry::publish(db, &ctx, &code).await?;
            println!("published {} version {}", g.code, g.version);
        }
        ServiceCommand::Withdraw { code } => {
            registry::withdraw(db, &ctx, &code).await?;
            println!("withdrew {code}");
        }
        ServiceCommand::List => {
            let all = Browse {
                all: true,
                ..Browse::default()
            };
            for item in registry::browse(db, &all).await? {
                println!(
                    "{}\t{}\t{:?}\t{}",
                    item.guide.code, item.guide.version, item.status, item.guide.name
                );
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
