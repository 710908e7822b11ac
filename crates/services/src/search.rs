//! The service items in the shared search index: each published item as a
//! document (name, keywords, guide text; facets by department, audience,
//! life event and type), kept fresh from the database, and the editable
//! synonym list. Every node keeps its own index and catches up with what
//! changed since it last looked, so several nodes over one PostgreSQL agree.
//! What changed is read from the audit log, whose records are numbered in
//! commit order: a change committed late still lands after the mark.

use crate::guide::Guide;
use crate::registry::{ItemStatus, RegistryError, ServiceItem};
use egov_audit::Event;
use egov_kernel::time;
use egov_kernel::Context;
use egov_search::{Document, SearchError, SearchIndex, Synonyms};
use egov_store::{query, run, Db, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The documents' kind in the shared index.
pub const KIND: &str = "service";

/// The shipped default synonym list.
pub const DEFAULT_SYNONYMS: &str = include_str!("../../../data/search/synonyms.txt");

#[derive(Debug, thiserror::Error)]
pub enum SearchSyncError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the index task stopped")]
    Join(#[from] tokio::task::JoinError),
}

impl From<sqlx::Error> for SearchSyncError {
    fn from(e: sqlx::Error) -> Self {
        SearchSyncError::Store(e.into())
    }
}

/// An item as a search document.
pub fn document(g: &Guide, department_name: &str) -> Document {
    let mut body = vec![
        department_name.to_owned(),
        g.kind.clone(),
        g.conditions.clone(),
        g.result.clone(),
    ];
    body.extend(g.materials.iter().map(|m| m.name.clone()));
    body.extend(g.legal_basis.iter().cloned());
    // Found in English too, where the guide is written in it.
    body.extend(g.name_en.iter().cloned());
    body.extend(g.materials.iter().filter_map(|m| m.name_en.clone()));
    if let Some(en) = &g.en {
        body.extend(en.result.iter().cloned());
        body.extend(en.conditions.iter().cloned());
    }
    let mut facets = vec![
        ("department".to_owned(), g.department.clone()),
        ("kind".to_owned(), g.kind.clone()),
    ];
    facets.extend(
        g.audiences
            .iter()
            .map(|a| ("audience".to_owned(), a.clone())),
    );
    facets.extend(
        g.life_events
            .iter()
            .map(|e| ("life_event".to_owned(), e.clone())),
    );
    Document {
        id: g.code.clone(),
        kind: KIND.to_owned(),
        title: g.name.clone(),
        keywords: g.keywords.clone(),
        body: body.join("\n"),
        facets,
    }
}

/// The audit actions that change what the index holds.
const ITEM_ACTIONS: &str = "('service.load', 'service.publish', 'service.withdraw')";

/// What this node last saw: the audit numbers of the newest item change
/// and synonym edit.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Seen {
    items: Option<i64>,
    synonyms: Option<i64>,
}

/// The node's index of service items, caught up on demand.
#[derive(Clone)]
pub struct ServiceSearch {
    index: Arc<SearchIndex>,
    seen: Arc<Mutex<Option<Seen>>>,
}

impl ServiceSearch {
    pub fn new(index: SearchIndex) -> Self {
        ServiceSearch {
            index: Arc::new(index),
            seen: Arc::new(Mutex::new(None)),
        }
    }

    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    /// Brings the index up to date with the database: the items changed
    /// since the last look (all of them the first time) and the synonyms.
    /// One caller catches up at a time; the others wait and find it done.
    pub async fn catch_up(&self, db: &Db) -> Result<(), SearchSyncError> {
        let mut seen = self.seen.lock().await;
        let now = latest(db).await?;
        if *seen == Some(now) {
            return Ok(());
        }
        let before = seen.unwrap_or_default();
        if now.synonyms != before.synonyms || seen.is_none() {
            let text = synonyms(db).await?;
            let parsed = Synonyms::parse(&text)?;
            self.index.set_synonyms(parsed);
        }
        if now.items != before.items || seen.is_none() {
            let changed = changed_since(db, seen.as_ref().and_then(|s| s.items)).await?;
            let names = department_names(db).await?;
            let (keep, drop): (Vec<ServiceItem>, Vec<ServiceItem>) = changed
                .into_iter()
                .partition(|i| i.status == ItemStatus::Published);
            let docs: Vec<Document> = keep
                .iter()
                .map(|i| {
                    let name = names
                        .get(&i.department_id)
                        .map(String::as_str)
                        .unwrap_or("");
                    document(&i.guide, name)
                })
                .collect();
            let gone: Vec<String> = drop.into_iter().map(|i| i.guide.code).collect();
            let index = self.index.clone();
            let first = seen.is_none();
            tokio::task::spawn_blocking(move || -> Result<(), SearchError> {
                if first {
                    index.rebuild(docs)?;
                } else {
                    index.upsert(&docs)?;
                    let ids: Vec<&str> = gone.iter().map(String::as_str).collect();
                    index.delete(&ids)?;
                }
                Ok(())
            })
            .await??;
        }
        *seen = Some(now);
        Ok(())
    }
}

async fn latest(db: &Db) -> Result<Seen, SearchSyncError> {
    let mut r = db.reader().await?;
    // On PostgreSQL an item's change is seen here once its audit record is
    // linked into the chain: link it now if it is still waiting.
    if db.engine() == egov_store::Engine::Postgres {
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM audit_pending WHERE action IN {ITEM_ACTIONS} \
             OR action = 'search.synonyms')"
        );
        let waiting: bool = run!(r, |c| sqlx::query_scalar(&sql).fetch_one(&mut *c).await)?;
        if waiting {
            egov_audit::link_pending(db).await?;
        }
    }
    // Both marks in one round trip: every search asks.
    let sql = format!(
        "SELECT (SELECT max(seq) FROM audit_log WHERE action IN {ITEM_ACTIONS}), \
         (SELECT max(seq) FROM audit_log WHERE action = 'search.synonyms')"
    );
    let (items, synonyms): (Option<i64>, Option<i64>) =
        run!(r, |c| sqlx::query_as(&sql).fetch_one(&mut *c).await)?;
    Ok(Seen { items, synonyms })
}

/// Items changed after audit record `since` (all when None), in any status.
async fn changed_since(db: &Db, since: Option<i64>) -> Result<Vec<ServiceItem>, SearchSyncError> {
    let mut codes: Vec<String> = {
        let mut r = db.reader().await?;
        match since {
            Some(seq) => {
                let sql = format!(
                    "SELECT object_id FROM audit_log WHERE action IN {ITEM_ACTIONS} AND seq > $1"
                );
                let ids: Vec<String> = run!(r, |c| sqlx::query_scalar(&sql)
                    .bind(seq)
                    .fetch_all(&mut *c)
                    .await)?;
                // Recorded as code@version.
                ids.into_iter()
                    .map(|id| id.split('@').next().unwrap_or_default().to_owned())
                    .collect()
            }
            None => run!(r, |c| sqlx::query_scalar("SELECT code FROM service_items")
                .fetch_all(&mut *c)
                .await)?,
        }
    };
    codes.sort();
    codes.dedup();
    let mut out = Vec::with_capacity(codes.len());
    for code in codes {
        match crate::registry::get(db, &code).await {
            Ok(item) => out.push(item),
            Err(RegistryError::Unknown(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

async fn department_names(db: &Db) -> Result<HashMap<i64, String>, SearchSyncError> {
    let mut r = db.reader().await?;
    let rows: Vec<(i64, String)> = run!(r, |c| sqlx::query_as("SELECT id, name FROM departments")
        .fetch_all(&mut *c)
        .await)?;
    Ok(rows.into_iter().collect())
}

/// The synonym list in force: the administrators' edit, else the default.
pub async fn synonyms(db: &Db) -> Result<String, StoreError> {
    let mut r = db.reader().await?;
    let body: Option<String> = run!(r, |c| sqlx::query_scalar(
        "SELECT body FROM search_synonyms WHERE id = 1"
    )
    .fetch_optional(&mut *c)
    .await)?;
    Ok(body.unwrap_or_else(|| DEFAULT_SYNONYMS.to_owned()))
}

/// Replaces the synonym list, checked first; audited.
pub async fn save_synonyms(db: &Db, ctx: &Context, text: &str) -> Result<usize, SearchSyncError> {
    let groups = Synonyms::parse(text)?.len();
    let (ctx, text) = (ctx.clone(), text.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            tx.execute(
                query(
                    "INSERT INTO search_synonyms (id, body, updated_at) VALUES (1, $1, $2) \
                     ON CONFLICT (id) DO UPDATE SET body = excluded.body, \
                     updated_at = excluded.updated_at",
                )
                .bind(&text)
                .bind(time::now()),
            )
            .await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "search.synonyms",
                    object_type: "search",
                    object_id: "synonyms",
                    detail: serde_json::json!({ "groups": groups }),
                },
            )
            .await
        })
    })
    .await?;
    Ok(groups)
}
