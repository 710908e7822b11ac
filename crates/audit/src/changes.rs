//! What changed since a mark, read from the audit log: its records are
//! numbered in commit order, so a node that remembers the number of the
//! newest record of some actions it has seen can ask for the objects those
//! actions touched since (the search indexes of published letters and
//! documents catch up so).

use crate::link_pending;
use egov_store::{in_list, run, Db, Engine, StoreError};

/// The number of the newest record of `actions` (0 when none). On
/// PostgreSQL such records still waiting to be linked into the chain are
/// linked first, so the mark counts them.
pub async fn newest(db: &Db, actions: &[&str]) -> Result<i64, StoreError> {
    let list = in_list(1, actions.len());
    let mut r = db.reader().await?;
    if db.engine() == Engine::Postgres {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM audit_pending WHERE action IN ({list}))");
        let waiting: bool = run!(r, |c| {
            let mut q = sqlx::query_scalar(&sql);
            for a in actions {
                q = q.bind(*a);
            }
            q.fetch_one(&mut *c).await
        })?;
        if waiting {
            link_pending(db).await?;
        }
    }
    let sql = format!("SELECT max(seq) FROM audit_log WHERE action IN ({list})");
    let newest: Option<i64> = run!(r, |c| {
        let mut q = sqlx::query_scalar(&sql);
        for a in actions {
            q = q.bind(*a);
        }
        q.fetch_one(&mut *c).await
    })?;
    Ok(newest.unwrap_or(0))
}

/// The ids of the objects `actions` touched after the record `since`, in
/// order, each once.
pub async fn objects_since(
    db: &Db,
    actions: &[&str],
    since: i64,
) -> Result<Vec<String>, StoreError> {
    let sql = format!(
        "SELECT object_id FROM audit_log WHERE action IN ({}) AND seq > $1 ORDER BY seq",
        in_list(2, actions.len())
    );
    let mut r = db.reader().await?;
    let mut ids: Vec<String> = run!(r, |c| {
        let mut q = sqlx::query_scalar(&sql).bind(since);
        for a in actions {
            q = q.bind(*a);
        }
        q.fetch_all(&mut *c).await
    })?;
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    Ok(ids)
}
