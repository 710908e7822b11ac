//! What can go wrong, with the cause kept as the error's source so a caller
//! logging the chain sees tantivy's or the file system's own words.

use std::path::PathBuf;

/// An error from the search index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The index directory could not be created or opened.
    #[error("cannot open the search index directory {}", path.display())]
    Directory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The on-disk index could not be opened or created (a damaged index, a
    /// schema that differs from this build's, another writer holding the lock).
    #[error("cannot open the search index at {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: tantivy::TantivyError,
    },
    /// Writing (adding, deleting, committing) failed; nothing of the batch
    /// was committed.
    #[error("cannot write to the search index")]
    Write(#[source] tantivy::TantivyError),
    /// Reading or searching failed.
    #[error("cannot search the index")]
    Read(#[source] tantivy::TantivyError),
    /// A document was refused before anything was written.
    #[error("document {id:?}: {reason}")]
    InvalidDocument { id: String, reason: String },
    /// A query was refused before it ran.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A line of a synonyms list is malformed; `line` counts from 1.
    #[error("synonyms line {line}: {reason}: {text:?}")]
    Synonyms {
        line: usize,
        text: String,
        reason: String,
    },
}
