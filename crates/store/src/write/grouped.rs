//! Items of one kind written together on PostgreSQL: those asked for while
//! the previous group's transaction ran go into the next one, written by
//! one body over all of them ([`Db::write_grouped`](crate::Db::write_grouped)).
//!
//! For writes that are many, small and alike and need a transaction of
//! more than one statement each (the audit chain's records with no change
//! of their own: a transaction that takes the chain's head, links them and
//! moves it). One transaction per group, one group per kind in flight.
//! SQLite's writer groups commits already, so there an item is a write of
//! its own.

use super::{BoxFuture, Tx, WriteConn};
use crate::caches::Caches;
use crate::StoreError;
use sqlx::PgPool;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Items in one group at most.
const MOST_ITEMS: usize = 2_000;

/// The body that writes a group, inside its transaction.
pub type GroupBody<T> = for<'t> fn(&'t mut Tx, Vec<T>) -> BoxFuture<'t, Result<(), StoreError>>;

type Waiting<T> = (T, oneshot::Sender<Result<(), StoreError>>);

/// The queues of one PostgreSQL handle, one per kind of item.
#[derive(Default)]
pub(crate) struct Queues {
    by_kind: Mutex<HashMap<TypeId, Box<dyn Any + Send>>>,
    counts: Arc<Counts>,
}

/// How items were grouped, for tests and measurements.
#[derive(Debug, Default)]
struct Counts {
    /// Items queued and not yet taken into a group.
    waiting: AtomicU64,
    /// Transactions the groups ran.
    groups: AtomicU64,
}

impl std::fmt::Debug for Queues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Queues")
    }
}

impl Queues {
    /// Items waiting for a group, and groups written so far.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.counts.waiting.load(Ordering::Relaxed),
            self.counts.groups.load(Ordering::Relaxed),
        )
    }

    /// Writes `item` with the others of its kind; answers once its group
    /// is committed, or with the group's failure.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        pool: &PgPool,
        caches: &Arc<Caches>,
        item: T,
        body: GroupBody<T>,
    ) -> Result<(), StoreError> {
        let (done, answer) = oneshot::channel();
        let refused = {
            let mut queues = self
                .by_kind
                .lock()
                .expect("never poisoned: no panics under it");
            let queue = queues
                .entry(TypeId::of::<T>())
                .or_insert_with(|| {
                    let (queue, items) = mpsc::unbounded_channel::<Waiting<T>>();
                    let counts = self.counts.clone();
                    tokio::spawn(write_groups(
                        pool.clone(),
                        caches.clone(),
                        counts,
                        items,
                        body,
                    ));
                    Box::new(queue)
                })
                .downcast_ref::<mpsc::UnboundedSender<Waiting<T>>>()
                .expect("each kind holds one type of queue");
            // Counted before it can be taken, so the count never goes below.
            self.counts.waiting.fetch_add(1, Ordering::Relaxed);
            match queue.send((item, done)) {
                Ok(()) => None,
                // Its task ended with the runtime it ran on: start afresh.
                Err(mpsc::error::SendError(waiting)) => {
                    self.counts.waiting.fetch_sub(1, Ordering::Relaxed);
                    queues.remove(&TypeId::of::<T>());
                    Some(waiting)
                }
            }
        };
        if let Some((item, done)) = refused {
            let mut group = vec![(item, done)];
            write_group(pool, caches, &mut group, body).await;
        }
        // A group's writer that stops before answering (its runtime shut
        // down) leaves the item's fate unknown: an error, as for a crash.
        answer
            .await
            .unwrap_or(Err(StoreError::Query(sqlx::Error::WorkerCrashed)))
    }
}

/// Writes the items of one kind in groups, as long as anyone can ask for more.
async fn write_groups<T: Send + 'static>(
    pool: PgPool,
    caches: Arc<Caches>,
    counts: Arc<Counts>,
    mut items: mpsc::UnboundedReceiver<Waiting<T>>,
    body: GroupBody<T>,
) {
    while let Some(first) = items.recv().await {
        let mut group = vec![first];
        while group.len() < MOST_ITEMS {
            match items.try_recv() {
                Ok(waiting) => group.push(waiting),
                Err(_) => break,
            }
        }
        counts
            .waiting
            .fetch_sub(group.len() as u64, Ordering::Relaxed);
        counts.groups.fetch_add(1, Ordering::Relaxed);
        write_group(&pool, &caches, &mut group, body).await;
    }
}

/// One transaction for the group, which stands or fails as one.
async fn write_group<T>(
    pool: &PgPool,
    caches: &Caches,
    group: &mut Vec<Waiting<T>>,
    body: GroupBody<T>,
) {
    let (items, waiting): (Vec<T>, Vec<_>) = group.drain(..).unzip();
    let result = async {
        let mut tx = Tx::new(WriteConn::Postgres(pool.begin().await?));
        body(&mut tx, items).await?;
        let changed = std::mem::take(&mut tx.changed);
        let WriteConn::Postgres(pg) = tx.into_conn() else {
            unreachable!("begun on PostgreSQL")
        };
        pg.commit().await?;
        caches.committed(&changed);
        Ok::<_, StoreError>(())
    }
    .await;
    super::logged::answer_all(waiting, result);
}
