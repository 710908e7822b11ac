use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("cannot connect to the database at {url}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed")]
    Query(#[from] sqlx::Error),
    /// The `COMMIT` of a group of SQLite transactions failed (or the group
    /// was abandoned): none of its transactions took effect.
    #[error("database commit failed")]
    GroupCommit(#[source] std::sync::Arc<sqlx::Error>),
    #[error("backup or restore failed: {0}")]
    Backup(String),
    #[error("file {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// True when the failure is a unique-constraint violation, which domain
    /// code usually turns into a "already exists" error.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Query(e) if is_unique_violation(e))
    }
}

/// True when a driver error is a unique-constraint violation on either engine.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
