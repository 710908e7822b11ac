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

    /// True when the database is out of reach or out of room (PostgreSQL
    /// down, the pool exhausted, the disk full), not when a query is wrong:
    /// a client may try again shortly and should be told so.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Connect { .. } => true,
            StoreError::Query(e) => is_unavailable(e),
            StoreError::GroupCommit(e) => is_unavailable(e),
            StoreError::Io { source, .. } => io_unavailable(source),
            _ => false,
        }
    }
}

/// See [`StoreError::is_unavailable`].
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        // The connection to the server broke.
        sqlx::Error::Io(_) => true,
        sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // SQLite: SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, SQLITE_CANTOPEN
            // (extended codes keep the primary one in their low byte).
            Some(code) if code.parse::<i32>().is_ok() => {
                let primary = code.parse::<i32>().unwrap_or_default() & 0xff;
                matches!(primary, 5 | 10 | 13 | 14)
            }
            // PostgreSQL: connection exceptions (08), insufficient resources
            // (53: disk full, out of memory, too many connections), operator
            // intervention (57P01-57P05: shutting down, cannot connect now).
            Some(state) => {
                state.starts_with("08") || state.starts_with("53") || state.starts_with("57P")
            }
            None => false,
        },
        _ => false,
    }
}

/// A full disk (or quota) under the database or the file store.
pub fn io_unavailable(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(28) | Some(122)) || e.kind() == std::io::ErrorKind::StorageFull
}

/// True when a driver error is a unique-constraint violation on either engine.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
