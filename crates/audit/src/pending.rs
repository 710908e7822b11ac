//! PostgreSQL's audit records waiting to be linked into the chain, and the
//! appender that links them (see the crate's documentation).

use crate::{Pending, Record};
use egov_store::{run, sqlx, AnyConn, Db, Engine, StoreError, Tx};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::Notify;

/// The most records one link transaction takes.
const BATCH: i64 = 2_000;

/// Woken by every record queued in this process, so that its appender
/// links it within milliseconds instead of at its next round.
fn appends() -> &'static Notify {
    static APPENDS: OnceLock<Notify> = OnceLock::new();
    APPENDS.get_or_init(Notify::new)
}

pub(crate) fn appended() {
    appends().notify_one();
}

/// Links records into the chain as they are written, for as long as it
/// runs (a task of each node; nothing to do on SQLite): a couple of
/// milliseconds after this process wrote one (so that a batch gathers),
/// and once a second for other nodes' records (and a dead node's).
pub async fn link_as_written(db: Db) {
    if db.engine() == Engine::Sqlite {
        return;
    }
    loop {
        tokio::select! {
            _ = appends().notified() => {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        if let Err(e) = link_pending(&db).await {
            tracing::warn!(error = %egov_kernel::error::Chain(&e), "linking audit records");
        }
    }
}

#[derive(sqlx::FromRow)]
struct Queued {
    id: i64,
    #[sqlx(flatten)]
    record: Pending,
}

/// Links waiting records into the chain, oldest first, in one transaction
/// that holds the chain's head: they take the next sequence numbers, each
/// hashed over the one before, and leave `audit_pending`. Any number of
/// nodes may call it at once (they take turns at the head's row lock); a
/// node that dies midway rolls back and leaves the records for the next.
/// Answers how many were linked; nothing to do on SQLite.
pub async fn link_pending(db: &Db) -> Result<u64, StoreError> {
    if db.engine() == Engine::Sqlite {
        return Ok(0);
    }
    let mut linked = 0;
    loop {
        let n = link_batch(db).await?;
        linked += n;
        if n < BATCH as u64 {
            return Ok(linked);
        }
    }
}

async fn link_batch(db: &Db) -> Result<u64, StoreError> {
    db.write(|tx| Box::pin(link_batch_in(tx))).await
}

async fn link_batch_in(tx: &mut Tx) -> Result<u64, StoreError> {
    // The head first: it is what makes linkers take turns over the queue.
    let head = lock_head(tx).await?;
    let queued: Vec<Queued> = run!(tx, |c| sqlx::query_as(
        "SELECT id, at, actor, action, object_type, object_id, source, request_id, detail \
         FROM audit_pending ORDER BY id LIMIT $1"
    )
    .bind(BATCH)
    .fetch_all(&mut *c)
    .await)?;
    if queued.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = queued.iter().map(|q| q.id).collect();
    write_linked(tx, head, queued.into_iter().map(|q| q.record).collect()).await?;
    let AnyConn::Postgres(c) = tx.conn() else {
        unreachable!("PostgreSQL only")
    };
    sqlx::query("DELETE FROM audit_pending WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&mut *c)
        .await?;
    Ok(ids.len() as u64)
}

/// Links records that go with no change of their own straight into the
/// chain, a group of them in one transaction (`Db::write_grouped`): written
/// once, where `audit_pending` would write, read and delete each.
pub(crate) fn link_group(
    tx: &mut Tx,
    records: Vec<Pending>,
) -> egov_store::write::BoxFuture<'_, Result<(), StoreError>> {
    Box::pin(async move {
        let head = lock_head(tx).await?;
        write_linked(tx, head, records).await
    })
}

/// The chain's newest sequence number and hash, its row locked until the
/// transaction ends.
async fn lock_head(tx: &mut Tx) -> Result<(i64, String), StoreError> {
    Ok(run!(tx, |c| sqlx::query_as(
        "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
    )
    .fetch_one(&mut *c)
    .await)?)
}

/// Writes `records` as the chain's next ones after `head` (locked by this
/// transaction) and moves the head past them: one statement.
async fn write_linked(
    tx: &mut Tx,
    (mut seq, mut prev_hash): (i64, String),
    pending: Vec<Pending>,
) -> Result<(), StoreError> {
    let mut records = Vec::with_capacity(pending.len());
    for p in pending {
        seq += 1;
        let record = p.linked(seq, prev_hash);
        prev_hash = record.hash.clone();
        records.push(record);
    }
    let column = |f: fn(&Record) -> Option<String>| records.iter().map(f).collect::<Vec<_>>();
    let AnyConn::Postgres(c) = tx.conn() else {
        unreachable!("PostgreSQL only")
    };
    // One text for any number of records, so it is prepared once.
    sqlx::query(
        "WITH linked AS (INSERT INTO audit_log (seq, at, actor, action, object_type, \
         object_id, source, request_id, detail, prev_hash, hash) \
         SELECT * FROM UNNEST($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], \
         $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])) \
         UPDATE audit_head SET seq = $12, hash = $13 WHERE id = 1",
    )
    .bind(records.iter().map(|r| r.seq).collect::<Vec<_>>())
    .bind(records.iter().map(|r| r.at).collect::<Vec<_>>())
    .bind(column(|r| Some(r.actor.clone())))
    .bind(column(|r| Some(r.action.clone())))
    .bind(column(|r| Some(r.object_type.clone())))
    .bind(column(|r| Some(r.object_id.clone())))
    .bind(column(|r| r.source.clone()))
    .bind(column(|r| r.request_id.clone()))
    .bind(column(|r| Some(r.detail.clone())))
    .bind(column(|r| Some(r.prev_hash.clone())))
    .bind(column(|r| Some(r.hash.clone())))
    .bind(seq)
    .bind(&prev_hash)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Records written but not yet linked into the chain (none on SQLite).
pub async fn pending(db: &Db) -> Result<i64, StoreError> {
    if db.engine() == Engine::Sqlite {
        return Ok(0);
    }
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(
        "SELECT count(*) FROM audit_pending"
    )
    .fetch_one(&mut *c)
    .await)?)
}
