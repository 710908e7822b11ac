use crate::sqlite_writer::{SqliteTx, SqliteWriter};
use crate::{DatabaseUrl, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection};
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Connections for reads (SQLite) or for everything (PostgreSQL).
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolOptions {
    /// A request waits at most a second for a connection: longer means the
    /// database is out of reach, and the client is better told "try again"
    /// (503) at once than kept hanging.
    fn default() -> Self {
        PoolOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(1),
        }
    }
}

impl PoolOptions {
    /// For tests and one-off commands on a busy machine: waits out a slow
    /// start instead of failing.
    pub fn patient() -> Self {
        PoolOptions {
            acquire_timeout: Duration::from_secs(10),
            ..PoolOptions::default()
        }
    }
}

/// The advisory lock key of [`Db::setup_lock`] ("egovinit" in ASCII).
const SETUP_LOCK_KEY: i64 = 0x6567_6f76_696e_6974;

/// See [`Db::setup_lock`]. Released by [`SetupLock::release`]; dropped
/// without it (an error on the way), its connection is closed, which ends
/// the lock with the session.
pub struct SetupLock(Option<PoolConnection<Postgres>>);

impl SetupLock {
    pub async fn release(mut self) -> Result<(), StoreError> {
        if let Some(mut conn) = self.0.take() {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(SETUP_LOCK_KEY)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

impl Drop for SetupLock {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(conn.detach());
        }
    }
}

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite allows one writer at a time, so writes go through one
    /// connection (no lock-upgrade deadlocks, no busy retries) and reads use
    /// their own pool, which WAL lets run beside the writer.
    Sqlite {
        writer: SqliteWriter,
        readers: SqlitePool,
    },
    Postgres(PgPool),
}

impl Db {
    pub async fn connect(url: &DatabaseUrl, opts: &PoolOptions) -> Result<Db, StoreError> {
        let connect_err = |source| StoreError::Connect {
            url: url.to_string(),
            source,
        };
        match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                        path: dir.to_owned(),
                        source,
                    })?;
                }
                // FULL: a commit is on disk before we answer, in WAL mode too.
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                // A local file cannot drop the connection the way a server
                // can: no ping on each acquire of a reader (a round trip to
                // the connection's thread, as long as a short query).
                let writer = SqliteWriter::new(
                    options.connect().await.map_err(connect_err)?,
                    opts.acquire_timeout,
                );
                let readers = SqlitePoolOptions::new()
                    .max_connections(opts.max_connections.clamp(1, 8))
                    .test_before_acquire(false)
                    .acquire_timeout(opts.acquire_timeout)
                    .connect_with(options.read_only(true))
                    .await
                    .map_err(connect_err)?;
                Ok(Db::Sqlite { writer, readers })
            }
            DatabaseUrl::Postgres(_) => {
                let options = PgConnectOptions::from_str(&url.expose()).map_err(connect_err)?;
                let pool = PgPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(opts.acquire_timeout)
                    .connect_with(options)
                    .await
                    .map_err(connect_err)?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite { .. } => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Applies the embedded migrations of this engine that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite { writer, .. } => {
                let mut state = writer.exclusive().await?;
                SQLITE_MIGRATIONS.run(state.conn()).await?
            }
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Starts a read-write transaction. Every state change runs in one,
    /// together with its audit record.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite { writer, .. } => Tx::new(TxConn::Sqlite(writer.begin().await?)),
            Db::Postgres(pool) => Tx::new(TxConn::Postgres(pool.begin().await?)),
        })
    }

    /// Held while a process sets the database up (migrations, reference
    /// data, the first administrator), so that nodes starting together on
    /// one PostgreSQL database take turns. On SQLite the data directory's
    /// lock already keeps a second server out.
    pub async fn setup_lock(&self) -> Result<SetupLock, StoreError> {
        match self {
            Db::Sqlite { .. } => Ok(SetupLock(None)),
            Db::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(SETUP_LOCK_KEY)
                    .execute(&mut *conn)
                    .await?;
                Ok(SetupLock(Some(conn)))
            }
        }
    }

    /// A connection for reads that need no transaction.
    pub async fn reader(&self) -> Result<Reader, StoreError> {
        Ok(match self {
            Db::Sqlite { readers, .. } => Reader::Sqlite(readers.acquire().await?),
            Db::Postgres(pool) => Reader::Postgres(pool.acquire().await?),
        })
    }

    /// Returns once every transaction that has already ended well is
    /// committed and seen by readers. SQLite's writer may still be holding
    /// some for one shared `COMMIT` (group commit), and a transaction joined
    /// to that group sees their work before readers do. Code that met such
    /// work inside its transaction (another's row at a unique key, a row
    /// already changed) and reads it back on a reader settles first. Nothing
    /// to wait for on PostgreSQL.
    pub async fn settle(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite { writer, .. } => writer.exclusive().await.map(drop),
            Db::Postgres(_) => Ok(()),
        }
    }

    /// `COMMIT`s the SQLite writer has run (`None` on PostgreSQL): beside
    /// the transactions committed, how well commits were grouped.
    pub fn sqlite_commits(&self) -> Option<u64> {
        match self {
            Db::Sqlite { writer, .. } => Some(writer.commits()),
            Db::Postgres(_) => None,
        }
    }

    /// Checks that the database answers; used by `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut r = self.reader().await?;
        crate::run!(r, |c| sqlx::query("SELECT 1")
            .execute(&mut *c)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { writer, readers } => {
                readers.close().await;
                if let Some(conn) = writer.close().await {
                    if let Err(e) = conn.close().await {
                        tracing::warn!(error = %e, "closing the SQLite writer");
                    }
                }
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Work a transaction runs just before it commits, in the order it was
/// deferred; see [`Tx::defer`].
pub type Deferred = Box<
    dyn for<'c> FnOnce(
            AnyConn<'c>,
        ) -> Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'c>>
        + Send,
>;

/// A read-write transaction on either engine. Dropped without `commit`, it
/// rolls back.
pub struct Tx {
    conn: TxConn,
    deferred: Vec<Deferred>,
}

enum TxConn {
    Sqlite(SqliteTx),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    fn new(conn: TxConn) -> Tx {
        Tx {
            conn,
            deferred: Vec::new(),
        }
    }

    pub fn conn(&mut self) -> AnyConn<'_> {
        match &mut self.conn {
            TxConn::Sqlite(t) => AnyConn::Sqlite(t.conn()),
            TxConn::Postgres(t) => AnyConn::Postgres(t),
        }
    }

    /// Runs `work` at commit, after everything else the transaction does.
    /// What must be serialised across transactions (the audit chain's head)
    /// is then held from there to the commit only, not for the whole
    /// transaction.
    pub fn defer(&mut self, work: Deferred) {
        self.deferred.push(work);
    }

    pub async fn commit(mut self) -> Result<(), StoreError> {
        for work in std::mem::take(&mut self.deferred) {
            work(self.conn()).await?;
        }
        match self.conn {
            TxConn::Sqlite(t) => t.commit().await?,
            TxConn::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// A pooled connection for reads.
pub enum Reader {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Reader {
    pub fn conn(&mut self) -> AnyConn<'_> {
        match self {
            Reader::Sqlite(c) => AnyConn::Sqlite(c),
            Reader::Postgres(c) => AnyConn::Postgres(c),
        }
    }
}

/// A borrowed concrete connection; what [`run!`](crate::run) matches on.
pub enum AnyConn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl AnyConn<'_> {
    /// Lets helpers take `impl` either a transaction or a reader.
    pub fn conn(&mut self) -> AnyConn<'_> {
        match self {
            AnyConn::Sqlite(c) => AnyConn::Sqlite(c),
            AnyConn::Postgres(c) => AnyConn::Postgres(c),
        }
    }
}
