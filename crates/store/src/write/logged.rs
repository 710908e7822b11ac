//! Rows appended to a log on their own, with no other change beside them
//! (an audit record of a view, of a token handed out; later the exchange
//! log), grouped on PostgreSQL.
//!
//! Each row there would otherwise be a round trip and a commit of its own;
//! the rows asked for while the previous group was being written go
//! together as one multi-row `INSERT`, so a burst of them costs a few
//! statements. One group per statement text is in flight at a time. SQLite's
//! writer groups commits already, so there a row is an ordinary write.

use super::statement::{values, BoxedParam, Statement};
use crate::StoreError;
use sqlx::postgres::PgArguments;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Rows in one group at most, well under PostgreSQL's 65,535 parameters.
const MOST_ROWS: usize = 500;

/// A row waiting for its group, and who waits for it.
struct Row {
    params: Vec<BoxedParam<'static>>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The queues of one PostgreSQL handle, one per statement text.
#[derive(Default)]
pub(crate) struct Groups {
    queues: Mutex<HashMap<String, mpsc::UnboundedSender<Row>>>,
    counts: Arc<Counts>,
}

/// How rows were grouped, for tests and measurements.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    /// Rows queued and not yet taken into a group.
    pub(crate) waiting: AtomicU64,
    /// Statements the groups ran.
    pub(crate) statements: AtomicU64,
}

impl std::fmt::Debug for Groups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Groups")
    }
}

/// The text before a one-row statement's `VALUES ($1, ..., $n)`, if that
/// is how it ends.
fn values_prefix(sql: &str, columns: usize) -> Option<&str> {
    let (head, tail) = sql.rsplit_once("VALUES")?;
    (tail.trim() == values(1, columns)).then_some(head)
}

impl Groups {
    /// Rows waiting for a group, and statements run so far.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.counts.waiting.load(Ordering::Relaxed),
            self.counts.statements.load(Ordering::Relaxed),
        )
    }

    /// Inserts the row of `statement` (a one-row `INSERT ... VALUES ($1,
    /// ..., $n)`) in a group with others of the same text; answers once its
    /// group is committed. A statement of another shape runs alone.
    pub(crate) async fn insert(
        &self,
        pool: &PgPool,
        statement: Statement<'static>,
    ) -> Result<(), StoreError> {
        let columns = statement.params.len();
        if columns == 0 || values_prefix(&statement.sql, columns).is_none() {
            return alone(pool, statement).await;
        }
        let (done, answer) = oneshot::channel();
        let sql = statement.sql;
        let row = Row {
            params: statement.params,
            done,
        };
        let refused = {
            let mut queues = self
                .queues
                .lock()
                .expect("never poisoned: no panics under it");
            // Looked up by the borrowed text: a key is made once per text.
            if !queues.contains_key(sql.as_ref()) {
                let (queue, rows) = mpsc::unbounded_channel();
                let counts = self.counts.clone();
                tokio::spawn(write_groups(
                    pool.clone(),
                    sql.to_string(),
                    columns,
                    rows,
                    counts,
                ));
                queues.insert(sql.to_string(), queue);
            }
            let queue = &queues[sql.as_ref()];
            // Counted before it can be taken, so the count never goes below.
            self.counts.waiting.fetch_add(1, Ordering::Relaxed);
            match queue.send(row) {
                Ok(()) => None,
                // Its task ended with the runtime it ran on: start afresh.
                Err(mpsc::error::SendError(row)) => {
                    self.counts.waiting.fetch_sub(1, Ordering::Relaxed);
                    queues.remove(sql.as_ref());
                    Some(row)
                }
            }
        };
        if let Some(row) = refused {
            return alone(
                pool,
                Statement {
                    sql,
                    params: row.params,
                },
            )
            .await;
        }
        // A group's writer that stops before answering (its runtime shut
        // down) leaves the row's fate unknown: an error, as for a crash.
        answer
            .await
            .unwrap_or(Err(StoreError::Query(sqlx::Error::WorkerCrashed)))
    }
}

async fn alone(pool: &PgPool, statement: Statement<'static>) -> Result<(), StoreError> {
    let (sql, args) = statement.postgres_params()?;
    sqlx::query_with(&sql, args).execute(pool).await?;
    Ok(())
}

/// Writes the rows of one statement text in groups, as long as anyone can
/// ask for more.
async fn write_groups(
    pool: PgPool,
    sql: String,
    columns: usize,
    mut rows: mpsc::UnboundedReceiver<Row>,
    counts: Arc<Counts>,
) {
    let prefix = values_prefix(&sql, columns)
        .expect("checked before the queue was made")
        .to_owned();
    while let Some(first) = rows.recv().await {
        let mut group = vec![first];
        while group.len() < MOST_ROWS {
            match rows.try_recv() {
                Ok(row) => group.push(row),
                Err(_) => break,
            }
        }
        counts
            .waiting
            .fetch_sub(group.len() as u64, Ordering::Relaxed);
        counts.statements.fetch_add(1, Ordering::Relaxed);
        write_group(&pool, &sql, &prefix, columns, group).await;
    }
}

/// One statement for the group, which stands or fails as one: a log row
/// has nothing in it to refuse (no key of its own), so what fails it (the
/// database out of reach) fails the others too.
async fn write_group(pool: &PgPool, sql: &str, prefix: &str, columns: usize, group: Vec<Row>) {
    let (result, waiting) = if let [_] = group[..] {
        let row = group.into_iter().next().expect("one row");
        let statement = Statement {
            sql: sql.to_owned().into(),
            params: row.params,
        };
        (alone(pool, statement).await, vec![row.done])
    } else {
        let text = format!("{prefix}VALUES {}", values(group.len(), columns));
        let mut args = PgArguments::default();
        let mut encoded = Ok(());
        let mut waiting = Vec::with_capacity(group.len());
        for row in group {
            for p in row.params {
                encoded = encoded.and_then(|()| p.postgres(&mut args));
            }
            waiting.push(row.done);
        }
        let result = match encoded {
            Ok(()) => sqlx::query_with(&text, args)
                .execute(pool)
                .await
                .map(drop)
                .map_err(StoreError::from),
            Err(e) => Err(StoreError::Query(sqlx::Error::Encode(e))),
        };
        (result, waiting)
    };
    answer_all(waiting, result);
}

/// Tells everyone waiting on a group how it went: all committed, or all
/// failed with the group's error.
pub(super) fn answer_all(
    waiting: Vec<oneshot::Sender<Result<(), StoreError>>>,
    result: Result<(), StoreError>,
) {
    match result {
        Ok(()) => {
            for done in waiting {
                let _ = done.send(Ok(()));
            }
        }
        Err(e) => {
            let e = Arc::new(e);
            for done in waiting {
                let _ = done.send(Err(StoreError::Group(e.clone())));
            }
        }
    }
}
