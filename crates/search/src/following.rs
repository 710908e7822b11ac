//! An index that follows a source of published things (letters, documents):
//! each node keeps its own, and before answering catches up with what the
//! source changed since it last looked. The source numbers its changes in
//! commit order (the platform's audit log does), so a change committed
//! late still lands after the mark. Storage-free: the source says how to
//! read the mark, what changed and what is current.

use crate::{Document, Query, Results, SearchError, SearchIndex};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Where an index's documents come from.
pub trait Source: Sync {
    type Error: From<SearchError> + From<tokio::task::JoinError> + Send;

    /// The number of the newest change (0 when none).
    fn mark(&self) -> impl Future<Output = Result<i64, Self::Error>> + Send;

    /// Everything published now, a page at a time: the documents after the
    /// key `after` and the last key given (`None` at the end).
    fn published_after(
        &self,
        after: i64,
        limit: usize,
    ) -> impl Future<Output = Result<(Vec<Document>, Option<i64>), Self::Error>> + Send;

    /// The ids changed after the mark `since`.
    fn changed_since(
        &self,
        since: i64,
    ) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send;

    /// Of `ids`, the documents published now (the rest are not).
    fn published(
        &self,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<Document>, Self::Error>> + Send;
}

/// The node's index, caught up on demand.
#[derive(Clone)]
pub struct FollowingIndex {
    index: Arc<SearchIndex>,
    /// The mark of the newest change indexed.
    seen: Arc<Mutex<Option<i64>>>,
}

/// Documents read from the source a page at a time on a fresh node.
const PAGE: usize = 1000;
/// Changed ids looked up at a time.
const CHUNK: usize = 500;

impl FollowingIndex {
    pub fn new(index: SearchIndex) -> Self {
        FollowingIndex {
            index: Arc::new(index),
            seen: Arc::new(Mutex::new(None)),
        }
    }

    /// Brings the index up to date: the first time, everything published
    /// now; after, what changed since the last look. One caller catches up
    /// at a time; the others find it done.
    pub async fn catch_up<S: Source>(&self, source: &S) -> Result<(), S::Error> {
        let mut seen = self.seen.lock().await;
        let mark = source.mark().await?;
        if *seen == Some(mark) {
            return Ok(());
        }
        let Some(since) = *seen else {
            let mut after = 0;
            loop {
                let (docs, last) = source.published_after(after, PAGE).await?;
                let Some(last) = last else { break };
                after = last;
                let index = self.index.clone();
                tokio::task::spawn_blocking(move || index.upsert(&docs)).await??;
            }
            *seen = Some(mark);
            return Ok(());
        };
        let mut ids = source.changed_since(since).await?;
        ids.sort();
        ids.dedup();
        for chunk in ids.chunks(CHUNK) {
            // Whatever is published now goes in; the rest (withdrawn) out.
            let docs = source.published(chunk).await?;
            let gone: Vec<String> = chunk
                .iter()
                .filter(|id| !docs.iter().any(|d| &d.id == *id))
                .cloned()
                .collect();
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

    /// Catches up, then answers `query`.
    pub async fn search<S: Source>(&self, source: &S, query: Query) -> Result<Results, S::Error> {
        self.catch_up(source).await?;
        let index = self.index.clone();
        Ok(tokio::task::spawn_blocking(move || index.search(&query)).await??)
    }
}
