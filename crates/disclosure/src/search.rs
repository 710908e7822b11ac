//! The documents on the public list in the shared Chinese search: each
//! node's index follows publications and withdrawals through the audit log.

use crate::documents::{self, Document as Published, CHANGES};
use egov_search::following::{FollowingIndex, Source};
use egov_search::{Document, Query, SearchError, SearchIndex};
use egov_store::{Db, StoreError};

/// The documents' kind in the index.
pub const KIND: &str = "disclosure_document";

#[derive(Debug, thiserror::Error)]
pub enum DocumentSearchError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the index task stopped")]
    Join(#[from] tokio::task::JoinError),
}

fn document(d: &Published) -> Document {
    Document {
        id: d.id.to_string(),
        kind: KIND.to_owned(),
        title: d.title.clone(),
        keywords: d.doc_number.iter().cloned().collect(),
        body: d.body.clone(),
        facets: vec![("category".to_owned(), d.category.clone())],
    }
}

struct Listed<'a>(&'a Db);

impl Source for Listed<'_> {
    type Error = DocumentSearchError;

    async fn mark(&self) -> Result<i64, Self::Error> {
        Ok(egov_audit::changes::newest(self.0, CHANGES).await?)
    }

    async fn published_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<Document>, Option<i64>), Self::Error> {
        let docs = documents::listed_after(self.0, after, limit as i64).await?;
        let last = docs.last().map(|d| d.id);
        Ok((docs.iter().map(document).collect(), last))
    }

    async fn changed_since(&self, since: i64) -> Result<Vec<String>, Self::Error> {
        Ok(egov_audit::changes::objects_since(self.0, CHANGES, since).await?)
    }

    async fn published(&self, ids: &[String]) -> Result<Vec<Document>, Self::Error> {
        let ids: Vec<i64> = ids.iter().filter_map(|i| i.parse().ok()).collect();
        let docs = documents::listed_of(self.0, &ids).await?;
        Ok(docs.iter().map(document).collect())
    }
}

/// The node's index of published documents, caught up on demand.
#[derive(Clone)]
pub struct DocumentSearch(FollowingIndex);

impl DocumentSearch {
    pub fn new(index: SearchIndex) -> Self {
        DocumentSearch(FollowingIndex::new(index))
    }

    pub async fn catch_up(&self, db: &Db) -> Result<(), DocumentSearchError> {
        self.0.catch_up(&Listed(db)).await
    }

    /// The ids of the listed documents matching `words`, best first, from
    /// `offset`, with the total.
    pub async fn search(
        &self,
        db: &Db,
        words: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<i64>, usize), DocumentSearchError> {
        let q = Query::new(words).kind(KIND).page(offset, limit);
        let results = self.0.search(&Listed(db), q).await?;
        let ids = results
            .hits
            .iter()
            .filter_map(|h| h.id.parse().ok())
            .collect();
        Ok((ids, results.total))
    }
}
