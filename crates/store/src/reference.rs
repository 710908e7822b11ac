//! Reference data (departments, divisions and the like) kept in memory.
//!
//! Read on nearly every page and changed a few times a year, such a table
//! set is served from a copy each node holds ([`Db::reference`]). A
//! transaction that changes one records it with [`changed`]: that bumps the
//! set's revision in `reference_revisions` (in the same transaction) and,
//! once committed, drops this node's copy. Other nodes compare the revision
//! at most once a [`RECHECK`] and load the set again when it moved, so a
//! change made on one node shows on every other within that time.

use crate::{query, Db, StoreError, Tx};
use std::any::TypeId;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub use crate::caches::RECHECK;

/// A set of reference tables, loaded whole.
pub trait Reference: Send + Sync + Sized + 'static {
    /// Its row in `reference_revisions`.
    const NAME: &'static str;

    /// What loading it can fail with.
    type Error: From<StoreError> + Send;

    /// Reads the set from the database.
    fn load(db: &Db) -> impl Future<Output = Result<Self, Self::Error>> + Send;
}

/// Records, inside `tx`, that it changes `T`'s tables: every node loads
/// them again once `tx` is committed.
pub async fn changed<T: Reference>(tx: &mut Tx) -> Result<(), StoreError> {
    tx.execute(
        query(
            "INSERT INTO reference_revisions (name, revision) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET revision = reference_revisions.revision + 1",
        )
        .bind(T::NAME),
    )
    .await?;
    tx.changed.push(TypeId::of::<T>());
    Ok(())
}

/// A copy of one reference set, as the last check found it.
struct Cached<T> {
    copy: RwLock<Option<Snapshot<T>>>,
    /// This node's committed changes to the set so far.
    changes: Arc<AtomicU64>,
    recheck: Duration,
    /// One load at a time; the others wait for its copy.
    loading: tokio::sync::Mutex<()>,
}

struct Snapshot<T> {
    revision: i64,
    value: Arc<T>,
    checked: Instant,
    /// The count of local changes when the revision was read: a copy that
    /// predates a local change is not served, even while another reader
    /// loads its successor.
    changes: u64,
}

impl<T: Reference> Cached<T> {
    fn new(changes: Arc<AtomicU64>, recheck: Duration) -> Self {
        Cached {
            copy: RwLock::new(None),
            changes,
            recheck,
            loading: tokio::sync::Mutex::new(()),
        }
    }

    /// The copy, if it may be served without asking the database.
    fn fresh(&self) -> Option<Arc<T>> {
        let changes = self.changes.load(Ordering::Acquire);
        let copy = self
            .copy
            .read()
            .expect("never poisoned: no panics under it");
        copy.as_ref()
            .filter(|c| c.changes == changes && c.checked.elapsed() < self.recheck)
            .map(|c| c.value.clone())
    }

    async fn get(&self, db: &Db) -> Result<Arc<T>, T::Error> {
        if let Some(value) = self.fresh() {
            return Ok(value);
        }
        let _loading = self.loading.lock().await;
        if let Some(value) = self.fresh() {
            return Ok(value);
        }
        // Counted before the revision is read: a change committed after
        // this point counts again, and is seen on the next read.
        let changes = self.changes.load(Ordering::Acquire);
        self.refresh(db, changes).await
    }

    async fn refresh(&self, db: &Db, changes: u64) -> Result<Arc<T>, T::Error> {
        let revision = revision(db, T::NAME).await?;
        let checked = Instant::now();
        {
            let mut copy = self
                .copy
                .write()
                .expect("never poisoned: no panics under it");
            if let Some(c) = copy.as_mut().filter(|c| c.revision == revision) {
                c.checked = checked;
                c.changes = changes;
                return Ok(c.value.clone());
            }
        }
        // Read after the revision: a change landing in between is in the
        // copy already, and its newer revision loads it once more, later.
        let value = Arc::new(T::load(db).await?);
        *self
            .copy
            .write()
            .expect("never poisoned: no panics under it") = Some(Snapshot {
            revision,
            value: value.clone(),
            checked,
            changes,
        });
        Ok(value)
    }
}

impl Db {
    /// `T` as this node last loaded it; see the [module](crate::reference).
    pub async fn reference<T: Reference>(&self) -> Result<Arc<T>, T::Error> {
        let cached = self.caches().entry(TypeId::of::<T>(), |changes, recheck| {
            Cached::<T>::new(changes, recheck)
        });
        cached.get(self).await
    }
}

async fn revision(db: &Db, name: &str) -> Result<i64, StoreError> {
    let mut r = db.reader().await?;
    let revision: Option<i64> = crate::run!(r, |c| sqlx::query_scalar(
        "SELECT revision FROM reference_revisions WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(revision.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run;
    use std::sync::atomic::AtomicBool;
    use std::sync::OnceLock;
    use tokio::sync::Notify;

    /// The sum of `t`'s rows; while `HOLD` is set its load waits for `GO`
    /// after saying it began (`ENTERED`).
    struct Sum(i64);

    static HOLD: AtomicBool = AtomicBool::new(false);

    fn entered() -> &'static Notify {
        static N: OnceLock<Notify> = OnceLock::new();
        N.get_or_init(Notify::new)
    }

    fn go() -> &'static Notify {
        static N: OnceLock<Notify> = OnceLock::new();
        N.get_or_init(Notify::new)
    }

    impl Reference for Sum {
        const NAME: &'static str = "test.sum";
        type Error = StoreError;

        async fn load(db: &Db) -> Result<Self, StoreError> {
            if HOLD.load(Ordering::Acquire) {
                entered().notify_one();
                go().notified().await;
            }
            let mut r = db.reader().await?;
            let sum: i64 = run!(r, |c| sqlx::query_scalar(
                "SELECT COALESCE(SUM(n), 0) FROM t"
            )
            .fetch_one(&mut *c)
            .await)?;
            Ok(Sum(sum))
        }
    }

    async fn add(db: &Db, n: i64) {
        db.write(move |tx| {
            Box::pin(async move {
                tx.execute(query("INSERT INTO t (n) VALUES ($1)").bind(n))
                    .await?;
                changed::<Sum>(tx).await
            })
        })
        .await
        .unwrap();
    }

    /// A reader arriving while another loads the set after a local change
    /// waits for the new copy: it is never handed the copy from before the
    /// change (a grid from before its areas were imported refused every
    /// report as outside the city for a second after start).
    #[tokio::test]
    async fn after_a_local_change_no_reader_gets_the_copy_from_before() {
        let (db, _dir) = crate::scratch::sqlite_with(&[
            "CREATE TABLE t (n BIGINT NOT NULL)",
            "CREATE TABLE reference_revisions (name TEXT PRIMARY KEY, revision BIGINT NOT NULL)",
        ])
        .await;
        add(&db, 1).await;
        assert_eq!(db.reference::<Sum>().await.unwrap().0, 1);

        add(&db, 2).await;
        HOLD.store(true, Ordering::Release);
        let loading = tokio::spawn({
            let db = db.clone();
            async move { db.reference::<Sum>().await.map(|s| s.0) }
        });
        entered().notified().await;
        // The load is under way and holds the set's loading turn.
        let mut second = std::pin::pin!(db.reference::<Sum>());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match second.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(got) => {
                panic!("served {} while the new copy loads", got.unwrap().0)
            }
            std::task::Poll::Pending => {}
        }
        HOLD.store(false, Ordering::Release);
        go().notify_one();
        assert_eq!(loading.await.unwrap().unwrap(), 3);
        assert_eq!(second.await.unwrap().0, 3);
    }
}
