//! Writes that go in as groups on PostgreSQL, made to meet: the first is
//! held up by a lock until the rest wait behind it.

use super::TestApp;
use egov_store::{query, Db, Engine};
use std::future::Future;
use tokio::task::JoinHandle;

/// Starts `write(0)` alone and, on PostgreSQL, holds its group up with
/// `lock` (a statement taking a lock in a transaction of its own) until
/// `write(1..n)` all wait in the next group; then lets go and answers every
/// write's result in order. `counts` is the group's `(waiting, groups)`
/// (`Db::grouped_counts` or `Db::logged_counts`). On SQLite the writes
/// simply run.
pub async fn hold_first_group<T, W, F>(
    app: &TestApp,
    lock: &str,
    n: u64,
    counts: fn(&Db) -> (u64, u64),
    write: W,
) -> Vec<T>
where
    W: Fn(u64) -> F,
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let blocker = match app.db().engine() {
        Engine::Postgres => {
            let mut tx = app.db().begin_postgres().await.unwrap().unwrap();
            tx.execute(query(lock.to_owned())).await.unwrap();
            Some(tx)
        }
        Engine::Sqlite => None,
    };
    let mut tasks: Vec<JoinHandle<T>> = vec![tokio::spawn(write(0))];
    if blocker.is_some() {
        // The first is taken alone into a group before the others come.
        while counts(app.db()) != (0, 1) {
            tokio::task::yield_now().await;
        }
    }
    tasks.extend((1..n).map(|i| tokio::spawn(write(i))));
    if let Some(tx) = blocker {
        while counts(app.db()).0 != n - 1 {
            tokio::task::yield_now().await;
        }
        tx.commit().await.unwrap();
    }
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}
