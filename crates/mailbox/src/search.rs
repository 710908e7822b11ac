//! Published letters in the shared Chinese search: each node keeps its own
//! index, which follows the letters published (or withdrawn) through the
//! audit log.

use crate::reading::{self, Published};
use egov_search::following::{FollowingIndex, Source};
use egov_search::{Document, Query, SearchError, SearchIndex};
use egov_store::{Db, StoreError};

/// The documents' kind in the index.
pub const KIND: &str = "letter";

/// The audit actions that change what the index holds.
const CHANGES: &[&str] = &["mailbox.published", "mailbox.withdrawn"];

#[derive(Debug, thiserror::Error)]
pub enum LetterSearchError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the index task stopped")]
    Join(#[from] tokio::task::JoinError),
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

/// The published letters, as the index follows them.
struct Letters<'a>(&'a Db);

impl Source for Letters<'_> {
    type Error = LetterSearchError;

    async fn mark(&self) -> Result<i64, Self::Error> {
        Ok(egov_audit::changes::newest(self.0, CHANGES).await?)
    }

    async fn published_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<Document>, Option<i64>), Self::Error> {
        let (letters, last) = reading::published_after(self.0, after, limit as i64).await?;
        Ok((letters.iter().map(document).collect(), last))
    }

    async fn changed_since(&self, since: i64) -> Result<Vec<String>, Self::Error> {
        Ok(egov_audit::changes::objects_since(self.0, CHANGES, since).await?)
    }

    async fn published(&self, ids: &[String]) -> Result<Vec<Document>, Self::Error> {
        let letters = reading::published_numbered(self.0, ids).await?;
        Ok(letters.iter().map(document).collect())
    }
}

/// The node's index of published letters, caught up on demand.
#[derive(Clone)]
pub struct LetterSearch(FollowingIndex);

impl LetterSearch {
    pub fn new(index: SearchIndex) -> Self {
        LetterSearch(FollowingIndex::new(index))
    }

    /// Brings the index up to date with what was published or withdrawn.
    pub async fn catch_up(&self, db: &Db) -> Result<(), LetterSearchError> {
        self.0.catch_up(&Letters(db)).await
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
        let q = Query::new(words).kind(KIND).page(offset, limit);
        let results = self.0.search(&Letters(db), q).await?;
        Ok((
            results.hits.into_iter().map(|h| h.id).collect(),
            results.total,
        ))
    }
}
