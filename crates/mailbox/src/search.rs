//! Published letters in the shared Chinese search: each node keeps its own
//! index and catches up with the letters published (or withdrawn) since it
//! last looked, read from the audit log (numbered in commit order), as the
//! service hall's index does.

use crate::reading::{self, Published};
use egov_search::{Document, Query, SearchError, SearchIndex};
use egov_store::{run, Db, Engine, StoreError};
use std::sync::Arc;
use tokio::sync::Mutex;

/// The documents' kind in the index.
pub const KIND: &str = "letter";

/// The audit actions that change what the index holds.
const CHANGES: &str = "('mailbox.published', 'mailbox.withdrawn')";

#[derive(Debug, thiserror::Error)]
pub enum LetterSearchError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the index task stopped")]
    Join(#[from] tokio::task::JoinError),
}

impl From<sqlx::Error> for LetterSearchError {
    fn from(e: sqlx::Error) -> Self {
        LetterSearchError::Store(e.into())
    }
}

/// A published letter as a search document.
fn document(p: &Published) -> Document {
    Document {
        id: p.number.clone(),
        kind: KIND.to_owned(),
        title: p.subject.clone(),
        keywords: Vec::new(),
        body: format!("{}\n{}", p.body, p.answer),
        facets: vec![("category".to_owned(), p.category.clone())],
    }
}

/// The node's index of published letters, caught up on demand.
#[derive(Clone)]
pub struct LetterSearch {
    index: Arc<SearchIndex>,
    /// The audit number of the newest publication indexed.
    seen: Arc<Mutex<Option<i64>>>,
}

impl LetterSearch {
    pub fn new(index: SearchIndex) -> Self {
        LetterSearch {
            index: Arc::new(index),
            seen: Arc::new(Mutex::new(None)),
        }
    }

    /// Brings the index up to date: the first time, every letter published
    /// (read from the table); after, the letters published or withdrawn
    /// since the last look. One caller catches up at a time; the others
    /// find it done.
    pub async fn catch_up(&self, db: &Db) -> Result<(), LetterSearchError> {
        let mut seen = self.seen.lock().await;
        let mut r = db.reader().await?;
        if db.engine() == Engine::Postgres {
            // Publications wait to be linked into the chain: link them so
            // the mark below counts them.
            let sql =
                format!("SELECT EXISTS (SELECT 1 FROM audit_pending WHERE action IN {CHANGES})");
            let waiting: bool = run!(r, |c| sqlx::query_scalar(&sql).fetch_one(&mut *c).await)?;
            if waiting {
                egov_audit::link_pending(db).await?;
            }
        }
        let sql = format!("SELECT max(seq) FROM audit_log WHERE action IN {CHANGES}");
        let newest: Option<i64> = run!(r, |c| sqlx::query_scalar(&sql).fetch_one(&mut *c).await)?;
        let mark = newest.unwrap_or(0);
        if *seen == Some(mark) {
            return Ok(());
        }
        if seen.is_none() {
            // A fresh index: whatever is published now, from the table.
            drop(r);
            let mut after = 0;
            loop {
                let (letters, last) = reading::published_after(db, after, 1000).await?;
                let Some(last) = last else { break };
                after = last;
                let docs: Vec<Document> = letters.iter().map(document).collect();
                let index = self.index.clone();
                tokio::task::spawn_blocking(move || index.upsert(&docs)).await??;
            }
            *seen = Some(mark);
            return Ok(());
        }
        let sql = format!(
            "SELECT object_id FROM audit_log WHERE action IN {CHANGES} AND seq > $1 ORDER BY seq"
        );
        let mut numbers: Vec<String> = run!(r, |c| sqlx::query_scalar(&sql)
            .bind(seen.unwrap_or(0))
            .fetch_all(&mut *c)
            .await)?;
        drop(r);
        numbers.sort();
        numbers.dedup();
        for chunk in numbers.chunks(500) {
            // Whatever is published now goes in; the rest (withdrawn) out.
            let letters = reading::published_numbered(db, chunk).await?;
            let gone: Vec<String> = chunk
                .iter()
                .filter(|n| !letters.iter().any(|l| &l.number == *n))
                .cloned()
                .collect();
            let docs: Vec<Document> = letters.iter().map(document).collect();
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || {
                index.upsert(&docs)?;
                index.delete(&gone.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .await??;
        }
        *seen = Some(mark);
        Ok(())
    }

    /// The numbers of the published letters matching `words`, best first,
    /// from `offset`, with the total.
    pub async fn search(
        &self,
        db: &Db,
        words: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<String>, usize), LetterSearchError> {
        self.catch_up(db).await?;
        let index = self.index.clone();
        let q = Query::new(words).kind(KIND).page(offset, limit);
        let results = tokio::task::spawn_blocking(move || index.search(&q)).await??;
        Ok((
            results.hits.into_iter().map(|h| h.id).collect(),
            results.total,
        ))
    }
}
