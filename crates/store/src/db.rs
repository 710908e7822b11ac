use crate::caches::{Caches, RECHECK};
use crate::write::grouped::Queues;
use crate::write::logged::Groups;
use crate::write::thread::{Member, Outcome, WriterThread};
use crate::write::{BoxFuture, GroupBody, Statement, Tx, WriteConn};
use crate::{DatabaseUrl, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection};
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
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
    /// How long reference data is served from memory before the database
    /// is asked whether it changed (see the `reference` module).
    pub reference_recheck: Duration,
    /// How PostgreSQL names this node's connections (`application_name`,
    /// seen in `pg_stat_activity`), unless the URL names them already.
    pub application_name: Option<String>,
}

impl Default for PoolOptions {
    /// A request waits at most a second for a connection: longer means the
    /// database is out of reach, and the client is better told "try again"
    /// (503) at once than kept hanging.
    fn default() -> Self {
        PoolOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(1),
            reference_recheck: RECHECK,
            application_name: None,
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

/// A handle to the database; cheap to clone. Its clones share the pools
/// and the reference copies ([`Db::reference`]).
#[derive(Clone, Debug)]
pub struct Db {
    pub(crate) pools: Pools,
    caches: Arc<Caches>,
    /// The queues of [`Db::insert_logged`] (PostgreSQL).
    logged: Arc<Groups>,
    /// The queues of [`Db::write_grouped`] (PostgreSQL).
    grouped: Arc<Queues>,
}

#[derive(Clone, Debug)]
pub(crate) enum Pools {
    /// SQLite allows one writer at a time, so writes go through one
    /// connection (no lock-upgrade deadlocks, no busy retries) and reads use
    /// their own pool, which WAL lets run beside the writer.
    Sqlite {
        /// Runs the bodies of [`Db::write`].
        thread: WriterThread,
        readers: SqlitePool,
        /// For the migrations' own connection.
        options: Arc<SqliteConnectOptions>,
    },
    Postgres(PgPool),
}

impl Db {
    fn new(pools: Pools, opts: &PoolOptions) -> Db {
        Db {
            pools,
            caches: Arc::new(Caches::new(opts.reference_recheck)),
            logged: Arc::default(),
            grouped: Arc::default(),
        }
    }

    pub(crate) fn caches(&self) -> &Caches {
        &self.caches
    }

    /// SQLite's writer thread, for the store's own tests.
    #[cfg(test)]
    pub(crate) fn writer_thread(&self) -> Option<&WriterThread> {
        match &self.pools {
            Pools::Sqlite { thread, .. } => Some(thread),
            Pools::Postgres(_) => None,
        }
    }

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
                // The writer's connection creates the file and turns WAL on
                // before the read-only ones open it.
                let thread = WriterThread::start(path, Duration::from_secs(10))?;
                // A local file cannot drop the connection the way a server
                // can: no ping on each acquire of a reader (a round trip to
                // the connection's thread, as long as a short query).
                let readers = SqlitePoolOptions::new()
                    .max_connections(opts.max_connections.clamp(1, 8))
                    .test_before_acquire(false)
                    .acquire_timeout(opts.acquire_timeout)
                    .connect_with(options.clone().read_only(true))
                    .await
                    .map_err(connect_err)?;
                Ok(Db::new(
                    Pools::Sqlite {
                        thread,
                        readers,
                        options: Arc::new(options),
                    },
                    opts,
                ))
            }
            DatabaseUrl::Postgres(_) => {
                let mut options = PgConnectOptions::from_str(&url.expose()).map_err(connect_err)?;
                if let Some(name) = opts
                    .application_name
                    .as_deref()
                    .filter(|_| options.get_application_name().is_none())
                {
                    options = options.application_name(name);
                }
                let pool = PgPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(opts.acquire_timeout)
                    .connect_with(options)
                    .await
                    .map_err(connect_err)?;
                Ok(Db::new(Pools::Postgres(pool), opts))
            }
        }
    }

    pub fn engine(&self) -> Engine {
        match &self.pools {
            Pools::Sqlite { .. } => Engine::Sqlite,
            Pools::Postgres(_) => Engine::Postgres,
        }
    }

    /// Applies the embedded migrations of this engine that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Sqlite {
                thread, options, ..
            } => {
                // On a connection of their own, while the writer thread
                // holds off: sqlx's migrator needs sqlx's connection.
                let _lease = thread.lease().await?;
                let mut conn = options.connect().await?;
                SQLITE_MIGRATIONS.run(&mut conn).await?;
                conn.close().await?;
            }
            Pools::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Runs `body` in one read-write transaction and commits it; a body that
    /// fails (or panics) changes nothing. Every state change runs in one,
    /// together with its audit record. See [`crate::write`].
    ///
    /// ```text
    /// db.write(move |tx| Box::pin(async move {
    ///     tx.execute(query("UPDATE t SET n = $1").bind(n)).await?;
    ///     Ok::<_, StoreError>(())
    /// })).await
    /// ```
    pub async fn write<T, E, F>(&self, body: F) -> Result<T, E>
    where
        F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match &self.pools {
            Pools::Sqlite { thread, .. } => {
                let (reply, answer) = tokio::sync::oneshot::channel();
                let caches = self.caches.clone();
                thread.submit(Box::new(move |tx| on_the_thread(tx, body, caches, reply)))?;
                // Answered once its group's COMMIT is done; a caller that
                // stops waiting leaves its body to run and commit as queued.
                answer
                    .await
                    .unwrap_or(Err(E::from(StoreError::Query(sqlx::Error::WorkerCrashed))))
            }
            Pools::Postgres(pool) => {
                let mut tx = Tx::new(WriteConn::Postgres(
                    pool.begin().await.map_err(StoreError::from)?,
                ));
                let value = body(&mut tx).await?;
                for work in tx.take_deferred() {
                    work(&mut tx).await?;
                }
                let changed = std::mem::take(&mut tx.changed);
                let WriteConn::Postgres(pg) = tx.into_conn() else {
                    unreachable!("begun on PostgreSQL")
                };
                pg.commit().await.map_err(StoreError::from)?;
                self.caches.committed(&changed);
                Ok(value)
            }
        }
    }

    /// Runs one statement in a transaction of its own and answers the rows
    /// it changed: for the writes that need no audit record and no other
    /// statement (a queued row claimed, a time touched).
    ///
    /// On PostgreSQL the statement runs alone, without `BEGIN` and `COMMIT`
    /// around it (one statement is a transaction by itself): one round trip
    /// instead of three.
    pub async fn execute(&self, statement: Statement<'static>) -> Result<u64, StoreError> {
        match &self.pools {
            Pools::Sqlite { .. } => {
                self.write(move |tx| Box::pin(async move { tx.execute(statement).await }))
                    .await
            }
            Pools::Postgres(pool) => {
                let (sql, args) = statement.postgres_params()?;
                let done = sqlx::query_with(&sql, args).execute(pool).await?;
                Ok(done.rows_affected())
            }
        }
    }

    /// Inserts one row into a log, with no other change beside it (a one-row
    /// `INSERT ... VALUES ($1, ..., $n)`); durable when this returns. On
    /// PostgreSQL the rows of the same statement asked for while the
    /// previous group was written go in together, as one multi-row `INSERT`
    /// (one round trip and one commit for them all), and a group stands or
    /// fails as one ([`crate::write::logged`]). On SQLite it is a write like
    /// [`Db::execute`]: the writer groups commits already.
    pub async fn insert_logged(&self, statement: Statement<'static>) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Sqlite { .. } => self.execute(statement).await.map(drop),
            Pools::Postgres(pool) => self.logged.insert(pool, statement).await,
        }
    }

    /// Writes `item` in one transaction with the others of its type asked
    /// for while the previous group was written, by `body` over them all;
    /// durable when this returns, and a group stands or fails as one
    /// ([`crate::write::grouped`]). On SQLite it is a write of its own (the
    /// writer groups commits already): `body` over the one item.
    pub async fn write_grouped<T: Send + 'static>(
        &self,
        item: T,
        body: GroupBody<T>,
    ) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Sqlite { .. } => self.write(move |tx| body(tx, vec![item])).await,
            Pools::Postgres(pool) => self.grouped.write(pool, &self.caches, item, body).await,
        }
    }

    /// Items of [`Db::write_grouped`] waiting for their group, and the
    /// groups written so far (PostgreSQL; zeros on SQLite).
    pub fn grouped_counts(&self) -> (u64, u64) {
        self.grouped.counts()
    }

    /// Rows of [`Db::insert_logged`] waiting for their group, and the
    /// statements the groups have run (PostgreSQL; zeros on SQLite): how
    /// well rows were grouped.
    pub fn logged_counts(&self) -> (u64, u64) {
        self.logged.counts()
    }

    /// A transaction held open across awaits, on PostgreSQL only (`None`
    /// on SQLite, whose writes all run as bodies on the writer thread): for
    /// the tests and tools that hold a lock while something else happens.
    /// Everything else writes with [`Db::write`].
    pub async fn begin_postgres(&self) -> Result<Option<Tx>, StoreError> {
        match &self.pools {
            Pools::Sqlite { .. } => Ok(None),
            Pools::Postgres(pool) => {
                let mut tx = Tx::new(WriteConn::Postgres(pool.begin().await?));
                tx.caches = Some(self.caches.clone());
                Ok(Some(tx))
            }
        }
    }

    /// Held while a process sets the database up (migrations, reference
    /// data, the first administrator), so that nodes starting together on
    /// one PostgreSQL database take turns. On SQLite the data directory's
    /// lock already keeps a second server out.
    pub async fn setup_lock(&self) -> Result<SetupLock, StoreError> {
        match &self.pools {
            Pools::Sqlite { .. } => Ok(SetupLock(None)),
            Pools::Postgres(pool) => {
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
        Ok(match &self.pools {
            Pools::Sqlite { readers, .. } => Reader::Sqlite(readers.acquire().await?),
            Pools::Postgres(pool) => Reader::Postgres(pool.acquire().await?),
        })
    }

    /// `COMMIT`s the SQLite writer has run (`None` on PostgreSQL): beside
    /// the transactions committed, how well commits were grouped.
    pub fn sqlite_commits(&self) -> Option<u64> {
        match &self.pools {
            Pools::Sqlite { thread, .. } => Some(thread.commits()),
            Pools::Postgres(_) => None,
        }
    }

    /// Of those, the `COMMIT`s already synced to disk (`None` on PostgreSQL).
    pub fn sqlite_synced_commits(&self) -> Option<u64> {
        match &self.pools {
            Pools::Sqlite { thread, .. } => Some(thread.synced()),
            Pools::Postgres(_) => None,
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
        match &self.pools {
            Pools::Sqlite {
                thread, readers, ..
            } => {
                readers.close().await;
                thread.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
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

/// Runs a body on the writer thread: polled once (it may wait on nothing
/// but its transaction), then its deferred work; kept for the group's
/// `COMMIT` if it ended well, told how it ended once the group is settled.
fn on_the_thread<T, E, F>(
    tx: Result<&mut Tx, std::sync::Arc<rusqlite::Error>>,
    body: F,
    caches: Arc<Caches>,
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
) -> Member
where
    F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let tx = match tx {
        Ok(tx) => tx,
        Err(cause) => return answered(reply, Err(E::from(StoreError::Commit(cause)))),
    };
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let value = match poll_once(body(tx)) {
            Some(Ok(value)) => value,
            Some(Err(e)) => return Err(e),
            None => return Err(E::from(StoreError::WaitedOutsideTheTransaction)),
        };
        for work in tx.take_deferred() {
            match poll_once(work(tx)) {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(E::from(e)),
                None => return Err(E::from(StoreError::WaitedOutsideTheTransaction)),
            }
        }
        Ok(value)
    }));
    let changed = std::mem::take(&mut tx.changed);
    match ran {
        Ok(Ok(value)) => Member {
            kept: true,
            settle: Box::new(move |outcome: Outcome| {
                if outcome.is_ok() {
                    caches.committed(&changed);
                }
                let answer = outcome
                    .map(|()| value)
                    .map_err(|e| E::from(StoreError::Commit(e)));
                let _ = reply.send(answer);
            }),
        },
        Ok(Err(e)) => answered(reply, Err(e)),
        Err(_) => answered(reply, Err(E::from(StoreError::BodyPanicked))),
    }
}

/// A body that ended badly: rolled back, and told so once its group is
/// settled (what it saw of the group's work is on disk by then).
fn answered<T: Send + 'static, E: Send + 'static>(
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
    answer: Result<T, E>,
) -> Member {
    Member {
        kept: false,
        settle: Box::new(move |_| {
            let _ = reply.send(answer);
        }),
    }
}

/// Polls a future once, with a waker that does nothing: on the writer
/// thread nothing would ever wake it.
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => Some(out),
        std::task::Poll::Pending => None,
    }
}
