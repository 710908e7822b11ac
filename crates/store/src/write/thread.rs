//! The SQLite writer thread, with group commit.
//!
//! One thread owns the write connection and runs whole transaction bodies
//! on it, one after another. Bodies that arrive while others run are
//! committed together: the thread opens one SQLite transaction, runs each
//! body in a savepoint of its own (one that fails rolls back alone), and
//! when no body is waiting, or [`MAX_GROUP`] have run, commits them all
//! with one `COMMIT`. When it fails, every body of the group hears of it.
//!
//! The fsync is not the writer's to wait for. The `COMMIT` writes the WAL
//! without syncing it (`synchronous = NORMAL`) and hands the group to a
//! second thread, the syncer, which `fdatasync`s the WAL once for every
//! group handed over by then and only then tells their bodies how they
//! ended; meanwhile the writer runs the next group. So nobody hears of a
//! commit before it is on disk, as with `synchronous = FULL`, but the disk's
//! flush no longer stalls the writer. One thing differs: for the moment
//! between a `COMMIT` and its sync, readers on other connections already
//! see the group. A process killed then loses nothing (the WAL is written;
//! only the machine losing power could), and no body is answered on the
//! strength of a later group, since the WAL is synced in order.
//!
//! The migrations, which sqlx runs on a connection of its own, take a
//! [`Lease`] of the database first, which the thread grants between groups
//! and waits out, so the two never contend for SQLite's write lock.

use super::{Tx, WriteConn};
use crate::StoreError;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// The most bodies one `COMMIT` covers, so that the first of a group does
/// not wait behind an unbounded queue.
pub(crate) const MAX_GROUP: usize = 64;

/// How a group's `COMMIT` went, told to each body that ended well.
pub(crate) type Outcome = Result<(), Arc<rusqlite::Error>>;

/// What the thread does with one body's work once it ran.
pub(crate) struct Member {
    /// The body ended well: its savepoint is kept for the group's COMMIT.
    pub kept: bool,
    /// Tells the caller, once the group is committed (or not).
    pub settle: Box<dyn FnOnce(Outcome) + Send>,
}

/// A body as queued: run on the thread's transaction, or told why it
/// cannot be.
pub(crate) type Body = Box<dyn FnOnce(Result<&mut Tx, Arc<rusqlite::Error>>) -> Member + Send>;

enum Job {
    Body(Body),
    Lease {
        granted: tokio::sync::oneshot::Sender<()>,
        released: mpsc::Receiver<()>,
    },
}

/// Held while another connection writes; dropped, the thread goes on.
#[derive(Debug)]
pub(crate) struct Lease(#[allow(dead_code)] mpsc::Sender<()>);

/// A handle to the writer thread; cheap to clone.
#[derive(Clone, Debug)]
pub struct WriterThread {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// `None` once closed.
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    commits: AtomicU64,
    /// `COMMIT`s whose group the syncer has put on disk.
    synced: AtomicU64,
}

impl WriterThread {
    /// Opens the write connection on a thread of its own.
    pub(crate) fn start(path: &Path, busy_timeout: Duration) -> Result<WriterThread, StoreError> {
        let conn = open(path, busy_timeout)?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let (jobs, queue) = mpsc::channel();
        let shared = Arc::new(Shared {
            jobs: Mutex::new(Some(jobs)),
            thread: Mutex::new(None),
            commits: AtomicU64::new(0),
            synced: AtomicU64::new(0),
        });
        let for_thread = shared.clone();
        let handle = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, queue, PathBuf::from(wal), for_thread))
            .map_err(|source| StoreError::Io {
                path: path.to_owned(),
                source,
            })?;
        *shared.thread.lock().expect("not poisoned") = Some(handle);
        Ok(WriterThread { inner: shared })
    }

    /// `COMMIT`s run on this thread so far.
    pub(crate) fn commits(&self) -> u64 {
        self.inner.commits.load(Ordering::Relaxed)
    }

    /// `COMMIT`s synced to disk so far, each before its group was answered.
    pub(crate) fn synced(&self) -> u64 {
        self.inner.synced.load(Ordering::Acquire)
    }

    fn send(&self, job: Job) -> Result<(), StoreError> {
        let jobs = self.inner.jobs.lock().expect("not poisoned");
        jobs.as_ref()
            .and_then(|j| j.send(job).ok())
            .ok_or(StoreError::Query(sqlx::Error::PoolClosed))
    }

    /// Queues a body; it is told how it ended through its [`Member`].
    pub(crate) fn submit(&self, body: Body) -> Result<(), StoreError> {
        self.send(Job::Body(body))
    }

    /// Waits until the thread has committed what it holds and stops for
    /// the lease's holder.
    pub(crate) async fn lease(&self) -> Result<Lease, StoreError> {
        let (granted, on_grant) = tokio::sync::oneshot::channel();
        let (release, released) = mpsc::channel();
        self.send(Job::Lease { granted, released })?;
        on_grant
            .await
            .map_err(|_| StoreError::Query(sqlx::Error::WorkerCrashed))?;
        Ok(Lease(release))
    }

    /// Runs what is queued, commits it, and ends the thread.
    pub(crate) async fn close(&self) {
        drop(self.inner.jobs.lock().expect("not poisoned").take());
        let handle = self.inner.thread.lock().expect("not poisoned").take();
        if let Some(handle) = handle {
            let joined = tokio::task::spawn_blocking(move || handle.join()).await;
            if !matches!(joined, Ok(Ok(()))) {
                tracing::error!("the SQLite writer thread ended by a panic");
            }
        }
    }
}

fn open(path: &Path, busy_timeout: Duration) -> Result<rusqlite::Connection, StoreError> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // NORMAL: the syncer, not COMMIT, puts a group on disk, before anyone
    // is answered (SQLite still syncs around its checkpoints).
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )?;
    conn.busy_timeout(busy_timeout)?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// The thread's loop: a group per turn, until every handle is gone; then
/// it waits for the syncer to answer the last group.
fn run(conn: rusqlite::Connection, queue: mpsc::Receiver<Job>, wal: PathBuf, shared: Arc<Shared>) {
    let (to_sync, synced) = mpsc::channel();
    let wal_for_writer = wal.clone();
    let for_syncer = shared.clone();
    let syncer = std::thread::Builder::new()
        .name("sqlite-syncer".into())
        .spawn(move || sync(&wal, synced, &for_syncer.synced))
        .inspect_err(|e| {
            // Its end of the channel is gone with it: the writer syncs.
            tracing::error!(error = %e, "the SQLite syncer thread could not start");
        })
        .ok();
    let committer = Committer {
        to_sync,
        wal: &wal_for_writer,
        commits: &shared.commits,
        synced: &shared.synced,
    };
    write(conn, queue, &committer);
    drop(committer);
    if syncer.is_some_and(|s| s.join().is_err()) {
        tracing::error!("the SQLite syncer thread ended by a panic");
    }
}

/// Where a committed group goes, and the count of `COMMIT`s.
struct Committer<'a> {
    to_sync: mpsc::Sender<Vec<Member>>,
    /// Synced here instead should the syncer be gone.
    wal: &'a Path,
    commits: &'a AtomicU64,
    synced: &'a AtomicU64,
}

fn write(conn: rusqlite::Connection, queue: mpsc::Receiver<Job>, committer: &Committer<'_>) {
    let mut conn = Some(conn);
    while let Ok(first) = queue.recv() {
        let mut group = Group::default();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Body(body) => {
                    group.run(&mut conn, body);
                    if group.members.len() >= MAX_GROUP {
                        break;
                    }
                }
                Job::Lease { granted, released } => {
                    group.commit(&mut conn, committer);
                    group = Group::default();
                    if granted.send(()).is_ok() {
                        // Ends when the holder drops its lease.
                        let _ = released.recv();
                    }
                }
            }
            next = queue.try_recv().ok();
        }
        group.commit(&mut conn, committer);
    }
}

/// The bodies sharing one SQLite transaction.
#[derive(Default)]
struct Group {
    /// A transaction is open on the connection.
    open: bool,
    members: Vec<Member>,
}

impl Group {
    fn run(&mut self, slot: &mut Option<rusqlite::Connection>, body: Body) {
        let conn = slot.as_mut().expect("the thread holds its connection");
        if !self.open {
            // IMMEDIATE takes the write lock up front: a body that reads
            // before it writes waits (busy timeout) for another process's
            // writer instead of failing at its first write.
            if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
                return refuse(body, e);
            }
            self.open = true;
        }
        if let Err(e) = conn.execute_batch("SAVEPOINT member") {
            return refuse(body, e);
        }
        let mut tx = Tx::new(WriteConn::Sqlite(slot.take().expect("held")));
        let member = body(Ok(&mut tx));
        let WriteConn::Sqlite(conn) = tx.into_conn() else {
            unreachable!("lent as SQLite")
        };
        let conn = slot.insert(conn);
        let ended = match member.kept {
            true => conn.execute_batch("RELEASE member"),
            false => conn.execute_batch("ROLLBACK TO member; RELEASE member"),
        };
        self.members.push(member);
        // Some failures (a full disk, an I/O error) end the whole SQLite
        // transaction by themselves: the group's work is gone.
        if let Err(e) = ended {
            self.fail(slot, Arc::new(e));
        } else if conn.is_autocommit() {
            let ended = rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("the transaction ended by itself".into()),
            );
            self.fail(slot, Arc::new(ended));
        }
    }

    /// Commits the group and tells its members.
    fn commit(&mut self, slot: &mut Option<rusqlite::Connection>, committer: &Committer<'_>) {
        if !self.open {
            return self.settle(Ok(()));
        }
        let conn = slot.as_mut().expect("the thread holds its connection");
        let outcome = conn.execute_batch("COMMIT").map_err(Arc::new);
        committer.commits.fetch_add(1, Ordering::Relaxed);
        self.open = false;
        if outcome.is_err() {
            roll_back(conn);
            return self.settle(outcome);
        }
        // Every member waits for the sync, a failed one too: what it
        // answers may rest on what this group or an earlier one wrote.
        let members = std::mem::take(&mut self.members);
        if let Err(mpsc::SendError(members)) = committer.to_sync.send(members) {
            // The syncer is gone (it panicked): the writer syncs itself.
            let outcome = sync_wal(committer.wal).map_err(sync_failed);
            committer.synced.fetch_add(1, Ordering::Release);
            for member in members {
                (member.settle)(outcome.clone());
            }
        }
    }

    fn fail(&mut self, slot: &mut Option<rusqlite::Connection>, cause: Arc<rusqlite::Error>) {
        if let Some(conn) = slot.as_mut() {
            roll_back(conn);
        }
        self.open = false;
        self.settle(Err(cause));
    }

    fn settle(&mut self, outcome: Outcome) {
        for member in self.members.drain(..) {
            (member.settle)(outcome.clone());
        }
    }
}

/// The syncer's loop: syncs the WAL once for every group handed over
/// since the last sync, then tells their members, until the writer ends.
fn sync(wal: &Path, groups: mpsc::Receiver<Vec<Member>>, synced: &AtomicU64) {
    while let Ok(mut waiting) = groups.recv() {
        let mut commits = 1;
        while let Ok(more) = groups.try_recv() {
            waiting.extend(more);
            commits += 1;
        }
        let outcome = sync_wal(wal).map_err(sync_failed);
        synced.fetch_add(commits, Ordering::Release);
        for member in waiting {
            (member.settle)(outcome.clone());
        }
    }
}

/// A failed sync, logged, as the error its members hear. What they wrote
/// may still reach the disk later: they are told it failed, never that it
/// stands when it might not.
fn sync_failed(e: std::io::Error) -> Arc<rusqlite::Error> {
    tracing::error!(error = %e, "syncing the SQLite WAL failed");
    Arc::new(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR_FSYNC),
        Some(format!("syncing the WAL failed: {e}")),
    ))
}

/// Opened afresh each time, so the sync reaches the WAL SQLite writes now.
fn sync_wal(wal: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(wal)?
        .sync_data()
}

/// A body that could not start: it is told why, and runs on nothing.
fn refuse(body: Body, cause: rusqlite::Error) {
    let member = body(Err(Arc::new(cause)));
    (member.settle)(Ok(()));
}

fn roll_back(conn: &mut rusqlite::Connection) {
    if !conn.is_autocommit() {
        if let Err(e) = conn.execute_batch("ROLLBACK") {
            tracing::warn!(error = %e, "rolling back the writer's transaction");
        }
    }
}
