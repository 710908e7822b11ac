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
use std::sync::atomic::{AtomicBool, Ordering};
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
    stale: Arc<AtomicBool>,
    recheck: Duration,
    /// One load at a time; the others wait for its copy.
    loading: tokio::sync::Mutex<()>,
}

struct Snapshot<T> {
    revision: i64,
    value: Arc<T>,
    checked: Instant,
}

impl<T: Reference> Cached<T> {
    fn new(stale: Arc<AtomicBool>, recheck: Duration) -> Self {
        Cached {
            copy: RwLock::new(None),
            stale,
            recheck,
            loading: tokio::sync::Mutex::new(()),
        }
    }

    /// The copy, if it may be served without asking the database.
    fn fresh(&self) -> Option<Arc<T>> {
        if self.stale.load(Ordering::Acquire) {
            return None;
        }
        let copy = self
            .copy
            .read()
            .expect("never poisoned: no panics under it");
        copy.as_ref()
            .filter(|c| c.checked.elapsed() < self.recheck)
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
        // Cleared before the revision is read: a change committed after
        // this point sets it again, and is seen on the next read.
        self.stale.store(false, Ordering::Release);
        let refreshed = self.refresh(db).await;
        if refreshed.is_err() {
            self.stale.store(true, Ordering::Release);
        }
        refreshed
    }

    async fn refresh(&self, db: &Db) -> Result<Arc<T>, T::Error> {
        let revision = revision(db, T::NAME).await?;
        let checked = Instant::now();
        {
            let mut copy = self
                .copy
                .write()
                .expect("never poisoned: no panics under it");
            if let Some(c) = copy.as_mut().filter(|c| c.revision == revision) {
                c.checked = checked;
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
        });
        Ok(value)
    }
}

impl Db {
    /// `T` as this node last loaded it; see the [module](crate::reference).
    pub async fn reference<T: Reference>(&self) -> Result<Arc<T>, T::Error> {
        let cached = self.caches().entry(TypeId::of::<T>(), |stale, recheck| {
            Cached::<T>::new(stale, recheck)
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
