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
    /// A statement run on the SQLite writer thread failed.
    #[error("database statement failed")]
    Sqlite(#[from] rusqlite::Error),
    /// The `COMMIT` of the writer thread's group failed (or the group's
    /// transaction ended by itself): none of its bodies took effect.
    #[error("database commit failed")]
    Commit(#[source] std::sync::Arc<rusqlite::Error>),
    /// The group of log rows this one was written in failed
    /// ([`Db::insert_logged`](crate::Db::insert_logged)).
    #[error("the group of rows this one was written in failed")]
    Group(#[source] std::sync::Arc<StoreError>),
    /// A transaction body waited on something other than its transaction.
    #[error("a transaction body waited on something other than its transaction")]
    WaitedOutsideTheTransaction,
    #[error("a transaction body panicked")]
    BodyPanicked,
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
        match self {
            StoreError::Query(e) => is_unique_violation(e),
            StoreError::Sqlite(e) => sqlite_code(e)
                .is_some_and(|(_, extended)| extended == UNIQUE || extended == PRIMARY_KEY),
            _ => false,
        }
    }

    /// True when the database is out of reach or out of room (PostgreSQL
    /// down, the pool exhausted, the disk full), not when a query is wrong:
    /// a client may try again shortly and should be told so.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Connect { .. } => true,
            StoreError::Query(e) => is_unavailable(e),
            StoreError::Sqlite(e) => sqlite_unavailable(e),
            StoreError::Commit(e) => sqlite_unavailable(e),
            StoreError::Group(e) => e.is_unavailable(),
            StoreError::Io { source, .. } => io_unavailable(source),
            _ => false,
        }
    }
}

/// SQLite's extended result codes of a unique index's and a primary key's violation.
const UNIQUE: i32 = 2067;
const PRIMARY_KEY: i32 = 1555;

fn sqlite_code(e: &rusqlite::Error) -> Option<(i32, i32)> {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => Some((f.extended_code & 0xff, f.extended_code)),
        _ => None,
    }
}

/// SQLITE_BUSY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, as in [`is_unavailable`].
fn sqlite_unavailable(e: &rusqlite::Error) -> bool {
    sqlite_code(e).is_some_and(|(primary, _)| matches!(primary, 5 | 10 | 13 | 14))
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

/// Whether anything along `cause`'s chain says the database (or the disk
/// under it) is out of reach, wherever a domain error wrapped it (one
/// wrapping a [`StoreError`] transparently shows only what it wraps).
pub fn unavailable_in_chain(cause: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(cause);
    while let Some(e) = next {
        let here = if let Some(s) = e.downcast_ref::<StoreError>() {
            s.is_unavailable()
        } else if let Some(s) = e.downcast_ref::<sqlx::Error>() {
            is_unavailable(s)
        } else if let Some(s) = e.downcast_ref::<rusqlite::Error>() {
            sqlite_unavailable(s)
        } else if let Some(io) = e.downcast_ref::<std::io::Error>() {
            io_unavailable(io)
        } else {
            false
        };
        if here {
            return true;
        }
        next = e.source();
    }
    false
}

/// A full disk (or quota) under the database or the file store.
pub fn io_unavailable(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(28) | Some(122)) || e.kind() == std::io::ErrorKind::StorageFull
}

/// True when a driver error is a unique-constraint violation on either engine.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
