//! Signed checkpoints of the chain. Every few seconds a node signs the
//! head (its sequence number and hash) with the server key, which lives
//! outside the database; the newest checkpoint is also written to an
//! anchor file beside the key, and all of them can be exported to be kept
//! elsewhere. Someone with write access to the database alone can then no
//! longer re-compute the chain after an edit, or cut off its newest records,
//! without verification noticing.

use egov_kernel::time;
use egov_keyring::{Keyring, Signed};
use egov_store::{query, run, Db, StoreError, Tx};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// When it was signed, in the canonical text form.
    pub signed_at: String,
    pub key_id: String,
    /// Ed25519 over [`Checkpoint::message`], base64.
    pub signature: String,
}

impl Checkpoint {
    /// The bytes that are signed.
    pub fn message(seq: i64, hash: &str, signed_at: &str) -> Vec<u8> {
        format!("egov-audit-checkpoint/v1\n{seq}\n{hash}\n{signed_at}").into_bytes()
    }

    /// Whether the signature is one of `ring`'s over this checkpoint.
    pub fn is_signed_by(&self, ring: &Keyring) -> bool {
        ring.verify(
            &Checkpoint::message(self.seq, &self.hash, &self.signed_at),
            &Signed {
                key_id: self.key_id.clone(),
                signature: self.signature.clone(),
            },
        )
    }
}

/// Signs the chain's head, once the records waiting are linked into it,
/// unless the newest checkpoint already covers it. Returns the new
/// checkpoint, if one was made.
pub async fn checkpoint(db: &Db, ring: &Arc<Keyring>) -> Result<Option<Checkpoint>, StoreError> {
    crate::link_pending(db).await?;
    let ring = ring.clone();
    db.write(move |tx| Box::pin(async move { sign_head(tx, &ring).await }))
        .await
}

async fn sign_head(tx: &mut Tx, ring: &Keyring) -> Result<Option<Checkpoint>, StoreError> {
    let (seq, hash): (i64, String) = tx
        .fetch_one(query("SELECT seq, hash FROM audit_head WHERE id = 1"))
        .await?;
    let newest: Option<i64> = tx
        .fetch_scalar(query("SELECT MAX(seq) FROM audit_checkpoints"))
        .await?;
    if seq == 0 || newest.is_some_and(|n| n >= seq) {
        return Ok(None);
    }
    let signed_at = time::canonical(&time::now());
    let signed = ring.sign(&Checkpoint::message(seq, &hash, &signed_at));
    let cp = Checkpoint {
        seq,
        hash,
        signed_at,
        key_id: signed.key_id,
        signature: signed.signature,
    };
    // Two nodes signing the same head: the first one stands.
    let inserted = tx
        .execute(
            query(
                "INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
            )
            .bind(cp.seq)
            .bind(&cp.hash)
            .bind(&cp.signed_at)
            .bind(&cp.key_id)
            .bind(&cp.signature),
        )
        .await?;
    Ok((inserted == 1).then_some(cp))
}

/// The checkpoints after `since`, oldest first.
pub async fn checkpoints(db: &Db, since: i64) -> Result<Vec<Checkpoint>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT seq, hash, signed_at, key_id, signature FROM audit_checkpoints \
         WHERE seq > $1 ORDER BY seq"
    )
    .bind(since)
    .fetch_all(&mut *c)
    .await)?)
}

/// Keeps `cp` as the anchor at `path` (replacing an older one whole).
pub fn write_anchor(path: &Path, cp: &Checkpoint) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let partial = path.with_extension("partial");
    let mut text = serde_json::to_string(cp).expect("a checkpoint serialises");
    text.push('\n');
    std::fs::write(&partial, text)?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(partial, path)
}

/// Reads anchors: a file of checkpoints, one JSON object a line (what the
/// anchor file and an export hold). A missing file holds none.
pub fn read_anchors(path: &Path) -> std::io::Result<Vec<Checkpoint>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })
        .collect()
}
