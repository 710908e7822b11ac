//! `egov serve`: migrate, load demo data on first start, create the first
//! administrator, and serve until SIGINT or SIGTERM.

use crate::config::Settings;
use anyhow::Context as _;
use egov_kernel::Context;
use egov_store::DatabaseUrl;
use secrecy::ExposeSecret;
use std::fs::File;
use std::process::ExitCode;

/// Holds the data directory's lock file: one server (or restore) at a time
/// on a SQLite database. Released when dropped.
pub struct DataDirLock(#[allow(dead_code)] Option<File>);

pub fn lock_data_dir(settings: &Settings, url: &DatabaseUrl) -> anyhow::Result<DataDirLock> {
    let DatabaseUrl::Sqlite(path) = url else {
        return Ok(DataDirLock(None));
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(&settings.data_dir);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let lock_path = dir.join("egov.lock");
    let file =
        File::create(&lock_path).with_context(|| format!("opening {}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock(Some(file))),
        Err(_) => anyhow::bail!(
            "{} is in use by another egov process (stop it first)",
            dir.display()
        ),
    }
}

pub async fn serve(settings: Settings, url: DatabaseUrl) -> anyhow::Result<ExitCode> {
    let _lock = lock_data_dir(&settings, &url)?;
    egov_identity::password::configure(settings.hash_limits());
    egov_identity::configure_sessions(egov_identity::SessionLimits {
        idle: chrono::Duration::minutes(i64::from(settings.session_idle_minutes.max(1))),
    });
    let db = crate::database::connect(&settings, &url).await?;
    // Nodes starting together on one PostgreSQL database set it up in turn.
    let setup = db.setup_lock().await?;
    crate::database::install_keyring(&settings)?;
    crate::database::prepare(&db, &url).await?;
    if settings.demo && egov_org::counts(&db).await?.1 == 0 {
        for r in egov_org::load_demo(&db, &Context::system()).await? {
            tracing::info!(name = r.name, version = %r.version, rows = r.rows, "demo data loaded");
        }
    }
    if settings.demo {
        let n = egov_services::registry::seed_builtin(&db).await?;
        if n > 0 {
            tracing::info!(items = n, "demo service items published");
        }
        let n = egov_indicators_web::demo::load(&db).await?;
        if n > 0 {
            tracing::info!(values = n, "demonstration indicator series loaded");
        }
        let n = egov_grid::demo::load(&db).await?;
        if n > 0 {
            tracing::info!(areas = n, "demonstration grid of 东城区 and 西城区 loaded");
        }
        let n = egov_catalogue::demo::load(&db).await?;
        if n > 0 {
            tracing::info!(
                resources = n,
                "demonstration information resource catalogue loaded"
            );
        }
        let n = egov_mailbox::demo::load(&db, &egov_cases::Processes::default()).await?;
        if n > 0 {
            tracing::info!(letters = n, "demonstration letters to the mailboxes loaded");
        }
        let n = egov_disclosure::demo::load(&db).await?;
        if n > 0 {
            tracing::info!(
                documents = n,
                "demonstration disclosure documents published"
            );
        }
        let n = egov_workplan::demo::load(&db).await?;
        if n > 0 {
            tracing::info!(
                reports = n,
                "demonstration work plan (2009年北京市信息化工作要点) published with a year of reports"
            );
        }
        if let Some(t) = egov_grid::routing::store::seed_demo(&db).await? {
            tracing::info!(
                decisions = t.examples,
                held_out_accuracy = t.accuracy.share(),
                "dispatch classifier trained on the demonstration history"
            );
        }
    }
    let first_admin = egov_identity::ensure_first_admin(&db).await?;
    setup.release().await?;

    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .with_context(|| format!("binding {}", settings.bind))?;
    let addr = listener.local_addr()?;
    let mut state = egov_web::AppState::new(db.clone(), settings.web());
    if let Some(dir) = &settings.search_dir {
        state = egov_web::with_search_dir(state, dir)
            .with_context(|| format!("opening the search index in {}", dir.display()))?;
    }
    let state = egov_web::compose(state);
    // Build the search index now rather than at the first search.
    let search = state.part::<egov_services::search::ServiceSearch>().clone();
    let search_db = db.clone();
    tokio::spawn(async move {
        if let Err(e) = search.catch_up(&search_db).await {
            tracing::error!(error = %egov_kernel::error::Chain(&e), "building the search index failed");
        }
    });
    let app = egov_web::router(state);
    if let Some(bind) = settings.metrics_bind {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("binding {bind} for metrics"))?;
        tracing::info!(%bind, "metrics served on their own address");
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, egov_web::metrics_router()).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    if settings.supervision_scan_secs > 0 {
        let node = settings.node();
        let every = std::time::Duration::from_secs(settings.supervision_scan_secs);
        tokio::spawn(egov_cases::supervision::run_scheduler(
            db.clone(),
            node,
            every,
            settings.supervision_scan_batch.max(1),
        ));
    }

    let senders = settings.senders()?;
    tracing::info!(email = ?senders.email, sms = ?senders.sms, "message senders");
    if senders.email.is_none() || senders.sms.is_none() {
        tracing::warn!("a channel has no sender: its messages wait in the outbox (egov outbox)");
    }
    tokio::spawn(send_messages(db.clone(), senders, settings.public_base()));
    tokio::spawn(sweep_hourly(db.clone()));
    if settings.backchannel_logout_secs > 0 {
        tokio::spawn(egov_oidc::backchannel::run(
            db.clone(),
            std::time::Duration::from_secs(settings.backchannel_logout_secs),
        ));
    }
    let linking = tokio::spawn(egov_audit::link_as_written(db.clone()));
    let checkpoints = (settings.audit_checkpoint_secs > 0).then(|| {
        tokio::spawn(sign_checkpoints(
            db.clone(),
            settings.audit_anchor_file(),
            std::time::Duration::from_secs(settings.audit_checkpoint_secs),
        ))
    });

    if let Some(admin) = first_admin {
        println!("first administrator (shown once; change the password at first sign-in):");
        println!("  user name: {}", admin.username);
        println!("  password:  {}", admin.password.expose_secret());
    }
    // Last line of the banner: scripts wait for it.
    println!("egov is serving http://{addr}  ({url})");

    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("serving")?;
    linking.abort();
    link_audit(&db).await;
    if let Some(task) = checkpoints {
        task.abort();
        // What was written since the last tick is signed before we go.
        checkpoint_once(&db, &settings.audit_anchor_file()).await;
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Drops stale failure counts, sessions past their end and expired phone
/// confirmations, reminds units of statistical reports missing past their
/// due day, and recomputes every system's figures of this month and the
/// last (a case closed or rated late changes last month's), tells the
/// subscribers of warning lights that changed, and trains the dispatch
/// classifier again if reports were dispatched since, and deletes letters
/// never confirmed, once an hour.
async fn sweep_hourly(db: egov_store::Db) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match egov_identity::throttle::sweep(&db).await {
            Ok(swept) => tracing::debug!(?swept, "identity housekeeping"),
            Err(e) => {
                tracing::warn!(error = %egov_kernel::error::Chain(&e), "identity housekeeping")
            }
        }
        match egov_mailbox::writing::sweep(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(letters = n, "unconfirmed letters deleted"),
            Err(e) => tracing::warn!(
                error = %egov_kernel::error::Chain(&e),
                "deleting unconfirmed letters"
            ),
        }
        match egov_disclosure::sweep::give_up_unclarified(
            &db,
            &egov_kernel::Context::system(),
            &egov_cases::Processes::default(),
            &egov_calendar::CalendarCache::default(),
        )
        .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(requests = n, "requests not clarified in time given up"),
            Err(e) => tracing::warn!(
                error = %egov_kernel::error::Chain(&e),
                "giving up requests not clarified in time"
            ),
        }
        match egov_petitions::sweep::conclude_undisputed(
            &db,
            &egov_kernel::Context::system(),
            &egov_cases::Processes::default(),
            &egov_calendar::CalendarCache::default(),
        )
        .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(petitions = n, "petitions not disputed in time concluded"),
            Err(e) => tracing::warn!(
                error = %egov_kernel::error::Chain(&e),
                "concluding petitions not disputed in time"
            ),
        }
        let today = egov_kernel::time::beijing_today();
        match egov_workplan::alerts::run(&db, today).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(alerts = n, "work-plan reports reminded of or warned of"),
            Err(e) => tracing::warn!(
                error = %egov_kernel::error::Chain(&e),
                "reminding of work-plan reports"
            ),
        }
        match egov_indicators_web::reporting::remind(&db, today).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reports = n, "reminded of missing statistical reports"),
            Err(e) => tracing::warn!(
                error = %egov_kernel::error::Chain(&e),
                "reminding of missing statistical reports"
            ),
        }
        publish_figures(&db, today).await;
        match egov_grid::routing::store::retrain_if_new(&db, &egov_kernel::Context::system()).await
        {
            Ok(None) => {}
            Ok(Some(t)) => tracing::info!(
                decisions = t.examples,
                overrides = t.overrides,
                held_out_accuracy = t.accuracy.share(),
                "dispatch classifier trained again"
            ),
            Err(e) => tracing::warn!(
                error = %egov_kernel::error::Chain(&e),
                "training the dispatch classifier"
            ),
        }
        match egov_indicators_web::watch::watch(&db, today).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(changed = n, "warning lights changed"),
            Err(e) => tracing::warn!(
                error = %egov_kernel::error::Chain(&e),
                "watching warning lights"
            ),
        }
    }
}

/// Every system's figures for this month and the last, into the indicators
/// engine (also `egov indicators figures`); what fails is logged and the
/// rest go on. Answers how many systems' figures failed.
pub(crate) async fn publish_figures(db: &egov_store::Db, today: chrono::NaiveDate) -> usize {
    let calendar = match egov_calendar::load_calendar(db).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %egov_kernel::error::Chain(&e), "loading the calendar");
            return 1;
        }
    };
    let month = egov_indicators::Period::month_of(today);
    let mut failed = 0;
    if let Err(e) = egov_workplan::figures::publish_all(db, today).await {
        tracing::warn!(error = %egov_kernel::error::Chain(&e), "work-plan figures");
        failed += 1;
    }
    for m in [month.previous(), month] {
        if let Err(e) = egov_cases::figures::publish(db, &calendar, m).await {
            tracing::warn!(error = %egov_kernel::error::Chain(&e), month = %m, "case figures");
            failed += 1;
        }
        if let Err(e) = egov_grid::figures::publish(db, m).await {
            tracing::warn!(error = %egov_kernel::error::Chain(&e), month = %m, "grid figures");
            failed += 1;
        }
        if let Err(e) = egov_catalogue::figures::publish(db, m).await {
            tracing::warn!(error = %egov_kernel::error::Chain(&e), month = %m, "sharing figures");
            failed += 1;
        }
    }
    failed
}

/// Sends what waits in the outbox every few seconds.
async fn send_messages(
    db: egov_store::Db,
    senders: egov_notify::sender::Senders,
    public_url: String,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let sent = match egov_notify::templates::current(&db).await {
            Ok(templates) => {
                egov_notify::outbox::deliver(&db, &senders, &templates, &public_url).await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            tracing::warn!(error = %egov_kernel::error::Chain(&e), "sending messages");
        }
    }
}

/// Signs the audit chain's head every `every` (once the records waiting
/// are linked), keeping the newest checkpoint in the anchor file too.
async fn sign_checkpoints(
    db: egov_store::Db,
    anchor: std::path::PathBuf,
    every: std::time::Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        checkpoint_once(&db, &anchor).await;
    }
}

async fn link_audit(db: &egov_store::Db) {
    if let Err(e) = egov_audit::link_pending(db).await {
        tracing::warn!(error = %egov_kernel::error::Chain(&e), "linking audit records");
    }
}

async fn checkpoint_once(db: &egov_store::Db, anchor: &std::path::Path) {
    let ring = match egov_keyring::current() {
        Ok(r) => r,
        Err(e) => return tracing::error!(error = %e, "no server key to sign audit checkpoints"),
    };
    match egov_audit::checkpoint(db, &ring).await {
        Ok(Some(cp)) => {
            if let Err(e) = egov_audit::checkpoint::write_anchor(anchor, &cp) {
                tracing::error!(error = %e, path = %anchor.display(), "writing the audit anchor");
            }
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %egov_kernel::error::Chain(&e), "signing an audit checkpoint")
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
