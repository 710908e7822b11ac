//! Chinese full-text search, shared by the parts of the platform that need
//! it (the service hall's items; later the data catalogue and disclosure
//! documents). Domain-free: it indexes [`Document`]s with a title,
//! keywords, a body and facet values, and answers [`Query`]s with ranked
//! [`Hit`]s, a total and facet counts.
//!
//! Built on tantivy (BM25 ranking, on-disk or in-memory index) with jieba
//! segmentation; see `analysis` for how text is cut and `query` for how a
//! query matches. The API is synchronous: call it from a blocking thread.
//!
//! ```no_run
//! use egov_search::{Document, Query, SearchIndex, Synonyms};
//! # fn main() -> Result<(), egov_search::SearchError> {
//! let index = SearchIndex::open(std::path::Path::new("data/search"))?;
//! index.upsert(&[Document {
//!     id: "service:1".into(),
//!     kind: "service".into(),
//!     title: "个体工商户登记".into(),
//!     keywords: vec!["开店".into()],
//!     body: "申请人持身份证……".into(),
//!     facets: vec![("audience".into(), "个人".into())],
//! }])?;
//! index.set_synonyms(Synonyms::parse("营业执照, 个体工商户登记")?);
//! let results = index.search(&Query::new("营业执照").facet("audience"))?;
//! # Ok(()) }
//! ```

mod analysis;
mod error;
mod facets;
pub mod following;
mod index;
mod query;
mod synonyms;

pub use analysis::{query_words, similarity};
pub use error::SearchError;
pub use index::{Document, SearchIndex, LAYOUT_VERSION};
pub use query::{Hit, Query, Results, MAX_LIMIT, MAX_WINDOW};
pub use synonyms::Synonyms;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SearchIndex>();
        assert_send_sync::<Synonyms>();
    }
}
