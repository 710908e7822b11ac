//! Opening the database for a command or the server: connect, migrate and
//! load the reference data every deployment needs.

use crate::config::Settings;
use anyhow::Context as _;
use egov_store::{DatabaseUrl, Db, PoolOptions};

/// Loads the server's keys (made on first start) and makes them the
/// process's.
pub fn install_keyring(settings: &Settings) -> anyhow::Result<()> {
    let path = settings.server_key_file();
    let (ring, created) = egov_keyring::Keyring::load_or_create(&path)
        .with_context(|| format!("reading the server keys in {}", path.display()))?;
    if created {
        tracing::warn!(
            path = %path.display(),
            key = ring.newest().id,
            "server key made: back this file up apart from the database backups"
        );
    }
    egov_keyring::install(ring);
    Ok(())
}

/// Connects, migrates and loads the reference data every deployment needs,
/// so every command works on an up-to-date schema.
pub async fn open(settings: &Settings, url: &DatabaseUrl) -> anyhow::Result<Db> {
    let db = connect(settings, url).await?;
    let setup = db.setup_lock().await?;
    // Only once the database answers (a wrong URL makes no key anywhere),
    // and under the setup lock (nodes starting together make one).
    install_keyring(settings)?;
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
            application_name: Some(format!("egov {}", settings.node())),
            ..PoolOptions::default()
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
    egov_cases::registry::seed(db, &egov_web::shipped_processes()).await?;
    egov_grid::layers::seed_classes(db).await?;
    let wrapped = egov_identity::mfa::upgrade_recovery_codes(db).await?;
    if wrapped > 0 {
        tracing::info!(codes = wrapped, "recovery codes moved to the salted hash");
    }
    reseal(db).await
}

/// Seals every secret that is in the clear (older releases) or sealed with
/// a server key that is no longer the newest.
pub async fn reseal(db: &Db) -> anyhow::Result<()> {
    let totp = egov_identity::mfa::reseal_secrets(db).await?;
    let keys = egov_oidc::keys::reseal_keys(db).await?;
    if totp + keys > 0 {
        tracing::info!(
            totp,
            oidc_keys = keys,
            "secrets sealed under the newest server key"
        );
    }
    Ok(())
}
