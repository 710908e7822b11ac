//! The audit engine: who did what, when, to which object, from where.
//!
//! Each record is appended in the transaction of the change it describes and
//! carries the SHA-256 of the record before it, so altering, removing or
//! reordering any record breaks the chain, and [`verify`] finds the first
//! broken link. The one-row head table serialises appenders (a row lock on
//! PostgreSQL; the single writer on SQLite) and pins the newest record.
//!
//! On SQLite each record is linked in its own transaction: the one writer
//! serialises them anyway. On PostgreSQL holding the head until commit
//! would serialise every audited transaction, so the record is written to
//! `audit_pending` in the change's transaction (atomic with it, durable at
//! its commit) and [`link_pending`] links such records into the chain in
//! batches, a few milliseconds later, under the head's lock (any number of
//! nodes may run it).

pub mod changes;
pub mod checkpoint;
mod pending;

pub use checkpoint::{checkpoint, checkpoints, Checkpoint};
pub use pending::{link_as_written, link_pending, pending};

use egov_kernel::{time, Context};
use egov_keyring::Keyring;
use egov_store::{query, run, Db, Engine, StoreError, Tx};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, as the domain describes it.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// A dotted verb, e.g. `department.create`, `person.view_unmasked`.
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    /// Facts worth keeping with the record (never secrets).
    pub detail: serde_json::Value,
}

/// A stored record, as read back.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Record {
    pub seq: i64,
    pub at: time::Timestamp,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub source: Option<String>,
    pub request_id: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Record {
    /// The hash this record must carry, from its own fields and its predecessor's hash.
    pub fn expected_hash(&self) -> String {
        chain_hash(
            self.seq,
            &time::canonical(&self.at),
            &self.actor,
            &self.action,
            &self.object_type,
            &self.object_id,
            self.source.as_deref(),
            self.request_id.as_deref(),
            &self.detail,
            &self.prev_hash,
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn chain_hash(
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    object_type: &str,
    object_id: &str,
    source: Option<&str>,
    request_id: Option<&str>,
    detail: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different records encode the same bytes.
    let mut field = |s: Option<&str>| match s {
        None => h.update(b"-"),
        Some(s) => {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
    };
    field(Some(&seq.to_string()));
    field(Some(at));
    field(Some(actor));
    field(Some(action));
    field(Some(object_type));
    field(Some(object_id));
    field(source);
    field(request_id);
    field(Some(detail));
    field(Some(prev_hash));
    hex::encode(h.finalize())
}

/// Appends one record inside `tx`. Commit `tx` and the record lands with the
/// change; roll it back and neither does.
///
/// On SQLite the record is linked at the end of `tx`, after the change
/// itself. On PostgreSQL it waits in `audit_pending` for [`link_pending`].
pub async fn append(tx: &mut Tx, ctx: &Context, event: Event<'_>) -> Result<(), StoreError> {
    let record = Pending::new(ctx, event);
    match tx.engine() {
        Engine::Sqlite => tx.defer(Box::new(move |tx| Box::pin(record.append_in(tx)))),
        Engine::Postgres => {
            record.queue_in(tx).await?;
            pending::appended();
        }
    }
    Ok(())
}

/// Writes one record that goes with no change of its own: what is audited
/// but kept nowhere else (personal data shown unmasked, a signed token
/// handed out). On PostgreSQL it is linked into the chain with the others
/// asked for at the same moment, in one transaction (`Db::write_grouped`);
/// on SQLite it is a body on the writer like any other. Either way the
/// record is durable when this returns.
pub async fn record(db: &Db, ctx: &Context, event: Event<'_>) -> Result<(), StoreError> {
    let record = Pending::new(ctx, event);
    match db.engine() {
        Engine::Sqlite => db.write(move |tx| Box::pin(record.append_in(tx))).await,
        Engine::Postgres => db.write_grouped(record, pending::link_group).await,
    }
}

/// Appends several records inside `tx`, as [`append`] does one, with one
/// insert on either engine (SQLite links them into the chain at once).
pub async fn append_all(
    tx: &mut Tx,
    ctx: &Context,
    events: Vec<Event<'_>>,
) -> Result<(), StoreError> {
    if events.len() < 2 {
        for event in events {
            append(tx, ctx, event).await?;
        }
        return Ok(());
    }
    if tx.engine() == Engine::Sqlite {
        let records: Vec<Pending> = events.into_iter().map(|e| Pending::new(ctx, e)).collect();
        tx.defer(Box::new(move |tx| Box::pin(link_in(tx, records))));
        return Ok(());
    }
    let at = time::now();
    let actor = ctx.actor.audit_label();
    let sql = format!(
        "INSERT INTO audit_pending (at, actor, action, object_type, object_id, source, \
         request_id, detail) VALUES {}",
        egov_store::values(events.len(), 8)
    );
    let mut insert = query(&sql);
    for e in &events {
        insert = insert
            .bind(at)
            .bind(actor.as_str())
            .bind(e.action)
            .bind(e.object_type)
            .bind(e.object_id)
            .bind(ctx.source.as_deref())
            .bind(ctx.request_id.as_deref())
            .bind(e.detail.to_string());
    }
    tx.execute(insert).await?;
    pending::appended();
    Ok(())
}

/// Records linked into the chain at the end of a SQLite transaction: the
/// head moved once for them all and one insert per 500 records (11 values
/// a row, under SQLite's limit of bound values).
async fn link_in(tx: &mut Tx, records: Vec<Pending>) -> Result<(), StoreError> {
    // Taking the head row also takes its lock until commit.
    let (last, mut prev_hash): (i64, String) = tx
        .fetch_one(
            query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
                .bind(records.len() as i64),
        )
        .await?;
    let mut seq = last - records.len() as i64;
    let mut linked = Vec::with_capacity(records.len());
    for record in records {
        seq += 1;
        let record = record.linked(seq, prev_hash);
        prev_hash = record.hash.clone();
        linked.push(record);
    }
    for chunk in linked.chunks(500) {
        let sql = format!(
            "INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, source, \
             request_id, detail, prev_hash, hash) VALUES {}",
            egov_store::values(chunk.len(), 11)
        );
        let insert = chunk.iter().fold(query(&sql), |q, r| {
            q.bind(r.seq)
                .bind(r.at)
                .bind(r.actor.as_str())
                .bind(r.action.as_str())
                .bind(r.object_type.as_str())
                .bind(r.object_id.as_str())
                .bind(r.source.as_deref())
                .bind(r.request_id.as_deref())
                .bind(r.detail.as_str())
                .bind(r.prev_hash.as_str())
                .bind(r.hash.as_str())
        });
        tx.execute(insert).await?;
    }
    // The inserts' trigger (migration 0009) moved the head to the last record.
    Ok(())
}

/// A record not yet linked into the chain.
#[derive(sqlx::FromRow)]
pub(crate) struct Pending {
    at: time::Timestamp,
    actor: String,
    action: String,
    object_type: String,
    object_id: String,
    source: Option<String>,
    request_id: Option<String>,
    detail: String,
}

impl Pending {
    fn new(ctx: &Context, event: Event<'_>) -> Pending {
        Pending {
            at: time::now(),
            actor: ctx.actor.audit_label(),
            action: event.action.to_owned(),
            object_type: event.object_type.to_owned(),
            object_id: event.object_id.to_owned(),
            source: ctx.source.clone(),
            request_id: ctx.request_id.clone(),
            detail: event.detail.to_string(),
        }
    }

    async fn append_in(self, tx: &mut Tx) -> Result<(), StoreError> {
        link_in(tx, vec![self]).await
    }

    /// The record as the chain's `seq`-th, after the record hashed `prev_hash`.
    pub(crate) fn linked(self, seq: i64, prev_hash: String) -> Record {
        let mut record = Record {
            seq,
            at: self.at,
            actor: self.actor,
            action: self.action,
            object_type: self.object_type,
            object_id: self.object_id,
            source: self.source,
            request_id: self.request_id,
            detail: self.detail,
            prev_hash,
            hash: String::new(),
        };
        record.hash = record.expected_hash();
        record
    }

    /// Writes the record to `audit_pending`, for [`link_pending`].
    async fn queue_in(self, tx: &mut Tx) -> Result<(), StoreError> {
        tx.execute(self.queue()).await?;
        Ok(())
    }

    /// The statement that writes the record to `audit_pending`.
    fn queue(self) -> egov_store::Statement<'static> {
        query(
            "INSERT INTO audit_pending (at, actor, action, object_type, object_id, source, \
             request_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.at)
        .bind(self.actor)
        .bind(self.action)
        .bind(self.object_type)
        .bind(self.object_id)
        .bind(self.source)
        .bind(self.request_id)
        .bind(self.detail)
    }
}

/// The verdict of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        records: i64,
        /// Signed checkpoints checked along the chain.
        checkpoints: i64,
        /// The newest checkpoint's record: what came after it is not yet
        /// under a signature.
        newest_signed: Option<i64>,
        /// Records written but not yet linked into the chain (PostgreSQL).
        pending: i64,
    },
    Broken {
        seq: i64,
        reason: Break,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    #[error("record {expected} is missing (found {found} next)")]
    Missing { expected: i64, found: i64 },
    #[error("record does not point at the hash of the record before it")]
    Unlinked,
    #[error("record content does not match its hash (altered)")]
    Altered,
    #[error("the chain head says {head_seq} records, the log ends at {last_seq} (newest removed or head altered)")]
    HeadMismatch { head_seq: i64, last_seq: i64 },
    #[error("checkpoint {seq} is not signed by a server key (forged or altered)")]
    Unsigned { seq: i64 },
    #[error(
        "the record's hash is not the one its signed checkpoint holds (the chain was re-computed)"
    )]
    CheckpointMismatch,
    #[error("a checkpoint was signed at record {signed}, but the log ends at {last_seq} (newest records removed)")]
    Truncated { signed: i64, last_seq: i64 },
}

const PAGE: i64 = 5_000;

/// Walks the whole chain in order and names the first bad record: each
/// record against its hash and its predecessor's, every signed checkpoint
/// (in the database, and the `anchors` kept outside it) against `ring`'s
/// keys and against the record it names.
pub async fn verify(
    db: &Db,
    ring: &Keyring,
    anchors: &[Checkpoint],
) -> Result<Verdict, StoreError> {
    let mut signed: std::collections::BTreeMap<i64, Checkpoint> = Default::default();
    for cp in checkpoints(db, 0)
        .await?
        .into_iter()
        .chain(anchors.iter().cloned())
    {
        if !cp.is_signed_by(ring) {
            return Ok(broken(cp.seq, Break::Unsigned { seq: cp.seq }));
        }
        match signed.get(&cp.seq) {
            Some(other) if other.hash != cp.hash => {
                return Ok(broken(cp.seq, Break::CheckpointMismatch))
            }
            _ => {
                signed.insert(cp.seq, cp);
            }
        }
    }
    let mut r = db.reader().await?;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut last_seq = 0i64;
    loop {
        let page: Vec<Record> = run!(r, |c| sqlx::query_as(
            "SELECT seq, at, actor, action, object_type, object_id, source, request_id, \
             detail, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        )
        .bind(last_seq)
        .bind(PAGE)
        .fetch_all(&mut *c)
        .await)?;
        let done = (page.len() as i64) < PAGE;
        for rec in page {
            if rec.seq != last_seq + 1 {
                return Ok(Verdict::Broken {
                    seq: last_seq + 1,
                    reason: Break::Missing {
                        expected: last_seq + 1,
                        found: rec.seq,
                    },
                });
            }
            if rec.prev_hash != prev_hash {
                return Ok(broken(rec.seq, Break::Unlinked));
            }
            if rec.expected_hash() != rec.hash {
                return Ok(broken(rec.seq, Break::Altered));
            }
            if signed.get(&rec.seq).is_some_and(|cp| cp.hash != rec.hash) {
                return Ok(broken(rec.seq, Break::CheckpointMismatch));
            }
            prev_hash = rec.hash;
            last_seq = rec.seq;
        }
        if done {
            break;
        }
    }
    if let Some((&newest, _)) = signed.iter().next_back().filter(|(s, _)| **s > last_seq) {
        return Ok(broken(
            last_seq + 1,
            Break::Truncated {
                signed: newest,
                last_seq,
            },
        ));
    }
    let (head_seq, head_hash): (i64, String) = run!(r, |c| sqlx::query_as(
        "SELECT seq, hash FROM audit_head WHERE id = 1"
    )
    .fetch_one(&mut *c)
    .await)?;
    if head_seq != last_seq || head_hash != prev_hash {
        return Ok(broken(
            last_seq + 1,
            Break::HeadMismatch { head_seq, last_seq },
        ));
    }
    Ok(Verdict::Intact {
        records: last_seq,
        checkpoints: signed.len() as i64,
        newest_signed: signed.keys().next_back().copied(),
        pending: pending(db).await?,
    })
}

fn broken(seq: i64, reason: Break) -> Verdict {
    Verdict::Broken { seq, reason }
}

/// Reads the records about one object, newest first.
pub async fn for_object(
    db: &Db,
    object_type: &str,
    object_id: &str,
    limit: i64,
) -> Result<Vec<Record>, StoreError> {
    // What was written before is read back, linked or not.
    link_pending(db).await?;
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT seq, at, actor, action, object_type, object_id, source, request_id, \
         detail, prev_hash, hash FROM audit_log WHERE object_type = $1 AND object_id = $2 \
         ORDER BY seq DESC LIMIT $3"
    )
    .bind(object_type)
    .bind(object_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await)?)
}

/// The number of records in the chain, from its head, once those waiting
/// are linked.
pub async fn len(db: &Db) -> Result<i64, StoreError> {
    link_pending(db).await?;
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(
        "SELECT seq FROM audit_head WHERE id = 1"
    )
    .fetch_one(&mut *c)
    .await)?)
}
