//! The one SQLite write connection, with group commit.
//!
//! SQLite allows one writer, and a durable commit costs an fsync of the WAL
//! that the writer holds the connection through. Under load, transactions
//! queue for the connection while each in turn waits for its own fsync. So
//! the writer groups them the way server databases do: a transaction that
//! ends well while others are queued hands the connection on without
//! committing, and the first of the group to get the connection back
//! commits everyone's work with one `COMMIT`. Each transaction after the
//! first runs inside a savepoint, so one that fails rolls back alone. No
//! caller hears that its transaction committed before that `COMMIT` is on
//! disk; when it fails, every caller in the group gets the error.
//!
//! With nothing queued, a transaction gets the connection straight back and
//! commits alone, as without grouping.
//!
//! Transaction bodies run on the writer thread ([`crate::write`]); the
//! transactions here hold a lease of it while a group is open, so the two
//! connections never wait on each other's write lock.

use super::thread::{Lease, WriterThread};
use crate::StoreError;
use sqlx::{Executor, SqliteConnection};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Mutex, OwnedMutexGuard};

/// The most transactions one `COMMIT` covers, so that the first of a group
/// does not wait behind an unbounded queue.
const MAX_GROUP: usize = 64;

/// What a group's `COMMIT` came to, shared with everyone waiting on it.
type Outcome = Result<(), Arc<sqlx::Error>>;

/// Handed from transaction to transaction in arrival order (tokio's mutex is
/// fair). Not a pool of one: a pool pings the connection when it comes back
/// and wakes the next waiter from a spawned task, two more trips to the
/// connection's thread per transaction while the write lock is held.
#[derive(Clone, Debug)]
pub struct SqliteWriter {
    state: Arc<Mutex<WriterState>>,
    acquire_timeout: Duration,
    /// `COMMIT`s run: with the transactions committed, tells how well
    /// commits were grouped.
    commits: Arc<AtomicU64>,
    thread: WriterThread,
}

#[derive(Debug)]
pub(crate) struct WriterState {
    /// `None` once the database is closed.
    conn: Option<SqliteConnection>,
    /// The SQLite transaction open on the connection, if any.
    group: Option<Group>,
    /// A failure may have left a transaction open that no group owns: the
    /// next transaction rolls it back before it begins.
    stale: bool,
    next_group: u64,
    /// Held from the first write of a group until the connection is idle.
    lease: Option<Lease>,
}

impl WriterState {
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("checked by lock")
    }

    /// Lets the writer thread go on once nothing is open here.
    fn release_if_idle(&mut self) {
        if self.group.is_none() && !self.stale {
            self.lease = None;
        }
    }
}

/// The writer's state, held. On the way out (also when its holder is
/// cancelled midway) it gives the writer thread its turn back if nothing is
/// left open here, or first rolls back what a cancelled `BEGIN` left.
#[derive(Debug)]
pub(crate) struct Held(Option<OwnedMutexGuard<WriterState>>);

impl Deref for Held {
    type Target = WriterState;
    fn deref(&self) -> &WriterState {
        self.0.as_ref().expect("held until dropped")
    }
}

impl DerefMut for Held {
    fn deref_mut(&mut self) -> &mut WriterState {
        self.0.as_mut().expect("held until dropped")
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(mut state) = self.0.take() else {
            return;
        };
        if !(state.stale && state.group.is_none() && state.lease.is_some()) {
            return state.release_if_idle();
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                // Fails only when nothing was left open.
                if let Some(conn) = state.conn.as_mut() {
                    let _ = conn.execute("ROLLBACK").await;
                }
                state.stale = false;
                state.release_if_idle();
            });
        }
    }
}

#[derive(Debug)]
struct Group {
    id: u64,
    /// Transactions that ended well and wait for this group's `COMMIT`.
    waiting: usize,
    outcome: watch::Sender<Option<Outcome>>,
}

impl SqliteWriter {
    pub(crate) fn new(
        conn: SqliteConnection,
        acquire_timeout: Duration,
        thread: WriterThread,
    ) -> SqliteWriter {
        SqliteWriter {
            state: Arc::new(Mutex::new(WriterState {
                conn: Some(conn),
                group: None,
                stale: false,
                next_group: 0,
                lease: None,
            })),
            acquire_timeout,
            commits: Arc::new(AtomicU64::new(0)),
            thread,
        }
    }

    /// `COMMIT`s run on this writer so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    async fn lock(&self) -> Result<Held, StoreError> {
        let state = tokio::time::timeout(self.acquire_timeout, self.state.clone().lock_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?;
        if state.conn.is_none() {
            return Err(sqlx::Error::PoolClosed.into());
        }
        Ok(Held(Some(state)))
    }

    /// Makes sure the writer thread stands still while this connection writes.
    async fn leased(&self, state: &mut WriterState) -> Result<(), StoreError> {
        if state.lease.is_none() {
            state.lease = Some(self.thread.lease().await?);
        }
        Ok(())
    }

    /// The connection with no transaction open, for work that must run
    /// outside one (migrations, closing): a group still open is committed.
    pub(crate) async fn exclusive(&self) -> Result<Held, StoreError> {
        let mut state = self.lock().await?;
        self.leased(&mut state).await?;
        if state.group.is_some() {
            self.commit_group(&mut state)
                .await
                .map_err(StoreError::GroupCommit)?;
        }
        Ok(state)
    }

    /// Takes the connection for closing, once any open group is committed
    /// (a failure is logged: its members hear of it).
    pub(crate) async fn close(&self) -> Option<SqliteConnection> {
        let mut state = self.state.lock().await;
        if state.group.is_some() {
            if let Err(e) = self.commit_group(&mut state).await {
                tracing::warn!(error = %e, "committing the last group before closing");
            }
        }
        state.conn.take()
    }

    pub(crate) async fn begin(&self) -> Result<SqliteTx, StoreError> {
        let mut state = self.lock().await?;
        let st = &mut *state;
        let joined = st.group.is_some();
        if !joined {
            self.leased(st).await?;
        }
        let conn = st.conn.as_mut().expect("checked by lock");
        if joined {
            conn.execute("SAVEPOINT member").await?;
        } else {
            if st.stale {
                // Fails only when SQLite already ended it (it rolls back by
                // itself after some I/O errors): nothing is left to undo.
                if let Err(e) = conn.execute("ROLLBACK").await {
                    tracing::debug!(error = %e, "rolling back an abandoned transaction");
                }
                st.stale = false;
            }
            // IMMEDIATE takes the write lock up front: a transaction that
            // reads before it writes then waits (busy timeout) for another
            // process's writer instead of failing at its first write.
            // Stale until it returns: a caller that stops waiting (a
            // cancelled request) does not stop the connection's thread from
            // running the BEGIN, and no group would own what it opened.
            st.stale = true;
            conn.execute("BEGIN IMMEDIATE").await?;
            st.stale = false;
            st.next_group += 1;
            st.group = Some(Group {
                id: st.next_group,
                waiting: 0,
                outcome: watch::Sender::new(None),
            });
        }
        Ok(SqliteTx {
            state: Some(state),
            joined,
            writer: self.clone(),
        })
    }

    /// Commits the open group on the connection held, and tells its members.
    async fn commit_group(&self, state: &mut WriterState) -> Outcome {
        let group = state.group.take().expect("a group to commit");
        let conn = state.conn.as_mut().expect("checked by lock");
        // Cleared once the COMMIT is known to have run.
        state.stale = true;
        let outcome = conn.execute("COMMIT").await.map(|_| ()).map_err(Arc::new);
        self.commits.fetch_add(1, Ordering::Relaxed);
        state.stale = outcome.is_err();
        state.release_if_idle();
        group.outcome.send_replace(Some(outcome.clone()));
        outcome
    }

    /// Waits for group `id` to be committed, committing it if this is the
    /// first of its members to get the connection back.
    async fn await_group(&self, id: u64, outcome: watch::Receiver<Option<Outcome>>) -> Outcome {
        let mut settled = outcome.clone();
        let state = tokio::select! {
            biased;
            done = settled.wait_for(Option::is_some) => {
                return match done {
                    Ok(done) => done.clone().expect("settled"),
                    Err(_) => Err(Arc::new(sqlx::Error::PoolClosed)),
                };
            }
            state = self.state.clone().lock_owned() => state,
        };
        let mut state = Held(Some(state));
        if state.group.as_ref().is_some_and(|g| g.id == id) {
            return self.commit_group(&mut state).await;
        }
        // Settled before the connection was handed on.
        let done = outcome.borrow().clone();
        done.unwrap_or_else(|| Err(Arc::new(sqlx::Error::PoolClosed)))
    }
}

/// A transaction on the SQLite writer; it holds the writer until it ends.
pub struct SqliteTx {
    state: Option<Held>,
    /// Began inside an open group, in a savepoint.
    joined: bool,
    writer: SqliteWriter,
}

impl SqliteTx {
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        self.state.as_mut().expect("a live transaction").conn()
    }

    /// Returns once the transaction's work is committed: alone, or with the
    /// group it joined.
    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        let mut state = self.state.take().expect("a live transaction");
        let group = state.group.as_mut().expect("begun in a group");
        group.waiting += 1;
        let full = group.waiting >= MAX_GROUP;
        let (id, outcome) = (group.id, group.outcome.subscribe());
        // Spawned so that a caller who stops waiting (a cancelled request)
        // neither leaves the group uncommitted nor cuts its COMMIT short.
        let writer = self.writer.clone();
        let settled = if full {
            tokio::spawn(async move { writer.commit_group(&mut state).await })
        } else {
            // Hands the connection to whoever queued meanwhile, or back to us.
            drop(state);
            tokio::spawn(async move { writer.await_group(id, outcome).await })
        };
        match settled.await {
            Ok(outcome) => outcome.map_err(StoreError::GroupCommit),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

impl Drop for SqliteTx {
    /// Dropped without `commit` (an error, or a cancelled request): roll
    /// back now, holding the writer until done, so the write lock is not
    /// kept while nothing else writes and no group commits half of this
    /// transaction. Without a runtime (shutting down), the group fails and
    /// the next transaction rolls everything back instead.
    fn drop(&mut self) {
        let Some(mut state) = self.state.take() else {
            return;
        };
        let joined = self.joined;
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move { roll_back(&mut state, joined).await });
            }
            Err(_) => {
                let abandoned =
                    sqlx::Error::Protocol("a transaction of the group was abandoned".into());
                fail_group(&mut state, abandoned);
            }
        }
    }
}

/// Undoes one transaction: the whole SQLite transaction when it began it
/// (no one else's work is in it yet), else back to its savepoint.
async fn roll_back(state: &mut WriterState, joined: bool) {
    let Some(conn) = state.conn.as_mut() else {
        return;
    };
    if !joined {
        state.group = None;
        state.stale = conn.execute("ROLLBACK").await.is_err();
        state.release_if_idle();
        return;
    }
    if let Err(e) = conn.execute("ROLLBACK TO member; RELEASE member").await {
        // SQLite ended the transaction by itself: the group's work is gone.
        tracing::warn!(error = %e, "rolling back to a savepoint");
        fail_group(state, e);
    }
}

/// Tells the group's members that their work is lost; the next transaction
/// rolls back whatever is left of it.
fn fail_group(state: &mut WriterState, cause: sqlx::Error) {
    if let Some(group) = state.group.take() {
        group.outcome.send_replace(Some(Err(Arc::new(cause))));
    }
    state.stale = true;
}

#[cfg(test)]
mod tests {
    //! On tokio's single-threaded test runtime, spawned transactions run
    //! only when the test task yields, so which of them queue for the writer
    //! while another holds it is decided by the order of the code, not by
    //! timing.

    use super::MAX_GROUP;
    use crate::{run, DatabaseUrl, Db, PoolOptions};

    async fn fresh() -> (Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&DatabaseUrl::sqlite_in(dir.path()), &PoolOptions::default())
            .await
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        run!(tx, |c| sqlx::query("CREATE TABLE t (n INTEGER NOT NULL)")
            .execute(&mut *c)
            .await
            .map(|_| ()))
        .unwrap();
        tx.commit().await.unwrap();
        (db, dir)
    }

    async fn insert(tx: &mut crate::Tx, n: i64) {
        run!(tx, |c| sqlx::query("INSERT INTO t (n) VALUES ($1)")
            .bind(n)
            .execute(&mut *c)
            .await
            .map(|_| ()))
        .unwrap();
    }

    /// What another connection sees: only committed rows.
    async fn committed(db: &Db) -> Vec<i64> {
        let mut r = db.reader().await.unwrap();
        run!(r, |c| sqlx::query_scalar("SELECT n FROM t ORDER BY n")
            .fetch_all(&mut *c)
            .await)
        .unwrap()
    }

    /// A transaction that inserts `n`, then commits or, if not `keep`,
    /// is dropped (an error midway), started now and run when the test
    /// yields.
    fn queue(db: &Db, n: i64, keep: bool) -> tokio::task::JoinHandle<()> {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            insert(&mut tx, n).await;
            if keep {
                tx.commit().await.unwrap();
            }
        })
    }

    /// Queues `queued` (row, whether it commits) behind a first transaction
    /// (row 0) that holds the writer meanwhile, then commits the first and
    /// waits for them all; answers the `COMMIT`s that took.
    async fn behind_a_first(db: &Db, queued: impl IntoIterator<Item = (i64, bool)>) -> u64 {
        let before = db.sqlite_commits().unwrap();
        let mut first = db.begin().await.unwrap();
        insert(&mut first, 0).await;
        let queued: Vec<_> = queued
            .into_iter()
            .map(|(n, keep)| queue(db, n, keep))
            .collect();
        tokio::task::yield_now().await;
        first.commit().await.unwrap();
        for t in queued {
            t.await.unwrap();
        }
        db.sqlite_commits().unwrap() - before
    }

    #[tokio::test]
    async fn transactions_queued_behind_one_commit_with_it() {
        let (db, _dir) = fresh().await;
        assert_eq!(behind_a_first(&db, [(1, true), (2, true)]).await, 1);
        assert_eq!(committed(&db).await, [0, 1, 2]);
        db.close().await;
    }

    /// A group stops at `MAX_GROUP`: its last member commits it, and the
    /// rest of the queue forms the next.
    #[tokio::test]
    async fn a_long_queue_commits_in_groups_of_at_most_max_group() {
        let (db, _dir) = fresh().await;
        let queue = (1..=MAX_GROUP as i64 + 5).map(|n| (n, true));
        assert_eq!(behind_a_first(&db, queue).await, 2);
        assert_eq!(committed(&db).await.len(), MAX_GROUP + 6);
        db.close().await;
    }

    #[tokio::test]
    async fn a_transaction_that_fails_in_a_group_rolls_back_alone() {
        let (db, _dir) = fresh().await;
        // One COMMIT: the failed one was in the group, not after it.
        assert_eq!(behind_a_first(&db, [(1, false), (2, true)]).await, 1);
        assert_eq!(committed(&db).await, [0, 2]);
        // The writer goes on.
        let mut next = db.begin().await.unwrap();
        insert(&mut next, 3).await;
        next.commit().await.unwrap();
        assert_eq!(committed(&db).await, [0, 2, 3]);
        db.close().await;
    }

    /// A caller that stops waiting for the group's commit (a cancelled
    /// request) does not leave its work uncommitted, nor the write lock
    /// held, when nothing else comes to write.
    #[tokio::test]
    async fn a_commit_no_one_waits_for_still_happens() {
        let (db, _dir) = fresh().await;
        let mut tx = db.begin().await.unwrap();
        insert(&mut tx, 1).await;
        let commit = tx.commit();
        tokio::select! {
            biased;
            _ = commit => {}
            _ = std::future::ready(()) => {}
        }
        tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while committed(&db).await.is_empty() {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("committed without anyone waiting");
        db.close().await;
    }

    /// A request cancelled while its `BEGIN` is on the connection's thread
    /// leaves a transaction open that no one owns; the next one to begin
    /// must not trip over it ("cannot start a transaction within a
    /// transaction"), and the abandoned one must not keep the write lock.
    #[tokio::test]
    async fn a_begin_no_one_waits_for_does_not_wedge_the_writer() {
        let (db, _dir) = fresh().await;
        let mut cancelled = 0;
        for n in 1..=20 {
            tokio::select! {
                biased;
                tx = db.begin() => drop(tx.unwrap()),
                _ = std::future::ready(()) => cancelled += 1,
            }
            let mut tx = db.begin().await.expect("the writer is usable");
            insert(&mut tx, n).await;
            tx.commit().await.unwrap();
        }
        assert!(cancelled > 0, "no begin was cut short");
        assert_eq!(committed(&db).await, (1..=20).collect::<Vec<_>>());
        db.close().await;
    }
}
