//! Opening the database for a command or the server: connect, migrate and
//! load the reference data every deployment needs.

use crate::config::Settings;
use anyhow::Context as _;
use egov_store::{DatabaseUrl, Db, PoolOptions};

/// Connects, migrates and loads the reference data every deployment needs,
/// so every command works on an up-to-date schema.
pub async fn open(settings: &Settings, url: &DatabaseUrl) -> anyhow::Result<Db> {
    let db = connect(settings, url).await?;
    let setup = db.setup_lock().await?;
    prepare(&db, url).await?;
    setup.release().await?;
    Ok(db)
}

pub async fn connect(settings: &Settings, url: &DatabaseUrl) -> anyhow::Result<Db> {
    Ok(Db::connect(
        url,
        &PoolOptions {
            max_connections: settings.max_connections,
            acquire_timeout: std::time::Duration::from_millis(settings.db_acquire_timeout_ms),
        },
    )
    .await?)
}

/// Migrations and built-in reference data; run under [`Db::setup_lock`].
pub async fn prepare(db: &Db, url: &DatabaseUrl) -> anyhow::Result<()> {
    db.migrate()
        .await
        .with_context(|| format!("migrating {url}"))?;
    // The statutory calendar is reference data every deployment needs.
    egov_calendar::seed_builtin(db).await?;
    egov_cases::registry::seed_builtin(db).await?;
    let wrapped = egov_identity::mfa::upgrade_recovery_codes(db).await?;
    if wrapped > 0 {
        tracing::info!(codes = wrapped, "recovery codes moved to the salted hash");
    }
    Ok(())
}
