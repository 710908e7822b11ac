//! Where a [`Db`](crate::Db) handle keeps its copies of reference data,
//! by type, each with the flag a committed local change sets. What goes in
//! them, and when they are loaded, is the reference module's business.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a node serves its copy of reference data before it compares
/// the revision again, unless `PoolOptions::reference_recheck` says otherwise.
pub const RECHECK: Duration = Duration::from_secs(1);

/// The copies one handle holds, by type.
pub(crate) struct Caches {
    entries: Mutex<HashMap<TypeId, Entry>>,
    recheck: Duration,
}

struct Entry {
    /// Counts the committed local changes; a copy made before the latest
    /// is not served (the next read compares revisions).
    changes: Arc<AtomicU64>,
    cached: Arc<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for Caches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Caches")
    }
}

impl Caches {
    pub(crate) fn new(recheck: Duration) -> Caches {
        Caches {
            entries: Mutex::default(),
            recheck,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TypeId, Entry>> {
        self.entries
            .lock()
            .expect("never poisoned: no panics under it")
    }

    /// The copy kept under `key`, made by `make` (given its count of local
    /// changes and the recheck interval) the first time.
    pub(crate) fn entry<C: Any + Send + Sync>(
        &self,
        key: TypeId,
        make: impl FnOnce(Arc<AtomicU64>, Duration) -> C,
    ) -> Arc<C> {
        let cached = self
            .lock()
            .entry(key)
            .or_insert_with(|| {
                let changes = Arc::new(AtomicU64::new(0));
                Entry {
                    changes: changes.clone(),
                    cached: Arc::new(make(changes, self.recheck)),
                }
            })
            .cached
            .clone();
        cached
            .downcast::<C>()
            .expect("each key holds one type of copy")
    }

    /// Marks this node's copies of what a committed transaction changed.
    pub(crate) fn committed(&self, changed: &[TypeId]) {
        if changed.is_empty() {
            return;
        }
        let map = self.lock();
        for entry in changed.iter().filter_map(|id| map.get(id)) {
            entry.changes.fetch_add(1, Ordering::AcqRel);
        }
    }
}
