//! The index: schema, writing (one writer behind a mutex) and searching
//! (a reader reloaded after every commit).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::NoMergePolicy;
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query as TQuery, TermQuery};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::TokenizerManager;
use tantivy::{
    DocAddress, Index, IndexBuilder, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher,
    TantivyDocument, Term,
};

use crate::analysis::{self, GramTokenizer, JiebaTokenizer};
use crate::facets::{self, FacetCounter};
use crate::query::{self, Plan, TextFields, MAX_LIMIT, MAX_WINDOW};
use crate::{Hit, Query, Results, SearchError, Synonyms};

/// Subdirectory of the index directory holding this schema's index. A later
/// schema gets a new name, so an upgraded build starts from an empty index
/// (which its caller refills with `rebuild`) instead of failing on the old
/// one; the old subdirectory can then be deleted.
pub const LAYOUT_VERSION: &str = "v1";

/// Indexing memory, shared by the writer's threads (one per core, at most
/// two here). A segment is flushed when it is used up; more means fewer,
/// larger segments on a bulk rebuild.
const WRITER_MEMORY: usize = 128 << 20;
const WRITER_MAX_THREADS: usize = 2;

/// Longest document id accepted, in bytes.
const MAX_ID_BYTES: usize = 256;

/// A document to index. The index knows nothing of what it describes; the
/// caller maps its records (a service item, a data set, a disclosure) to
/// this.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Unique key: indexing a document with an id already present replaces it.
    pub id: String,
    /// What the document is, e.g. "service"; queries may filter on it.
    pub kind: String,
    /// Weighs most in ranking; browsing orders by it.
    pub title: String,
    /// Curated search terms (aliases, common names); weigh more than body.
    pub keywords: Vec<String>,
    /// Free text.
    pub body: String,
    /// Facet values by field, e.g. ("department", "110105-SCJGJ"),
    /// ("audience", "个人"), ("life_event", "出生"); several values per field
    /// are allowed.
    pub facets: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    facet: Field,
    text: TextFields,
}

/// A full-text index of `Document`s, on disk or in memory.
///
/// Synchronous and blocking (callers on an async runtime use
/// `spawn_blocking`); `Send + Sync`, meant to be shared in an `Arc`.
/// Searches run concurrently with each other and with writes; writes are
/// serialised by the single writer's mutex. Every write commits, and the
/// reader is reloaded before the write returns, so a search started after
/// a write returns sees it.
pub struct SearchIndex {
    index: Index,
    fields: Fields,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    reader: IndexReader,
    synonyms: RwLock<Arc<Synonyms>>,
}

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex")
            .field("documents", &self.len())
            .field("synonym_groups", &self.synonyms().len())
            .finish()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Exact-match fields: ids, kinds and the title key are terms, not text;
    // no field norms, since they are never scored by length.
    let exact = |stored: bool| {
        let o = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        );
        if stored {
            o.set_stored()
        } else {
            o
        }
    };
    // Searched text: frequencies for BM25, no positions (no phrase queries),
    // which keeps the index about a third smaller.
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let id = b.add_text_field("id", exact(true));
    let kind = b.add_text_field("kind", exact(true));
    let title = b.add_text_field("title", text(analysis::JIEBA).set_stored());
    let keywords = b.add_text_field("keywords", text(analysis::JIEBA));
    let body = b.add_text_field("body", text(analysis::JIEBA));
    let grams = b.add_text_field("grams", text(analysis::GRAMS));
    // Sorted on when browsing (a fast column) and matched for exact titles.
    let title_key = b.add_text_field("title_key", exact(false).set_fast("raw"));
    // One facet field for all facet fields: /<field>/<value>.
    let facet = b.add_facet_field(facets::FIELD, FacetOptions::default());
    let fields = Fields {
        id,
        kind,
        facet,
        text: TextFields {
            title,
            keywords,
            body,
            grams,
            title_key,
        },
    };
    (b.build(), fields)
}

fn tokenizers() -> TokenizerManager {
    let t = TokenizerManager::default();
    t.register(analysis::JIEBA, JiebaTokenizer::default());
    t.register(analysis::GRAMS, GramTokenizer::default());
    t
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (and `dir`) if absent. The
    /// files live in `dir/v1/` (see `LAYOUT_VERSION`). One `SearchIndex`
    /// per directory: a second one, in this process or another, fails on
    /// tantivy's writer lock.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        let path = dir.join(LAYOUT_VERSION);
        std::fs::create_dir_all(&path).map_err(|source| SearchError::Directory {
            path: path.clone(),
            source,
        })?;
        let open_err = |source: tantivy::TantivyError| SearchError::Open {
            path: path.clone(),
            source,
        };
        let directory = MmapDirectory::open(&path).map_err(|e| open_err(e.into()))?;
        let (schema, fields) = schema();
        let index = IndexBuilder::new()
            .schema(schema)
            .tokenizers(tokenizers())
            .open_or_create(directory)
            .map_err(open_err)?;
        Self::with_index(index, fields).map_err(open_err)
    }

    /// A new empty index held in memory (tests, small corpora rebuilt at
    /// start-up).
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        let open_err = |source| SearchError::Open {
            path: "(memory)".into(),
            source,
        };
        let index = IndexBuilder::new()
            .schema(schema)
            .tokenizers(tokenizers())
            .create_in_ram()
            .map_err(open_err)?;
        Self::with_index(index, fields).map_err(open_err)
    }

    fn with_index(index: Index, fields: Fields) -> tantivy::Result<Self> {
        // Load the dictionary now rather than in the first write or search.
        analysis::jieba();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(WRITER_MAX_THREADS);
        let writer = index.writer_with_num_threads(threads, WRITER_MEMORY)?;
        // Manual: we reload after each of our commits, which is the only
        // way the index changes (the writer lock keeps others out), so the
        // file watcher thread of the other policy would be wasted.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            fields,
            writer: Mutex::new(writer),
            reader,
            synonyms: RwLock::new(Arc::new(Synonyms::default())),
        })
    }

    /// Adds `docs`, replacing any indexed document with the same id, and
    /// commits. All or nothing: an invalid document fails the call before
    /// anything is written. Commits cost a few file syncs, so pass a batch
    /// rather than one call per document.
    pub fn upsert(&self, docs: &[Document]) -> Result<(), SearchError> {
        for d in docs {
            check(d)?;
        }
        if docs.is_empty() {
            return Ok(());
        }
        self.write(|w| {
            for d in docs {
                // A delete applies to documents added before it, so a
                // later duplicate in the same batch wins.
                w.delete_term(Term::from_field_text(self.fields.id, &d.id));
                w.add_document(self.to_tantivy(d))?;
            }
            Ok(())
        })
    }

    /// Removes the documents with these ids (unknown ids are ignored) and
    /// commits.
    pub fn delete(&self, ids: &[&str]) -> Result<(), SearchError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.write(|w| {
            for id in ids {
                w.delete_term(Term::from_field_text(self.fields.id, id));
            }
            Ok(())
        })
    }

    /// Replaces the whole content with `docs` and returns the number of
    /// documents now indexed (fewer than given if ids repeat: the last of
    /// an id wins). Searches go on seeing the old content until the new one is
    /// committed; on any error (an invalid document included) the old
    /// content stays. The new content is merged into one segment, the
    /// fastest shape to search.
    pub fn rebuild(&self, docs: impl IntoIterator<Item = Document>) -> Result<usize, SearchError> {
        let mut writer = self.lock_writer();
        let policy = writer.get_merge_policy();
        // No background merges while bulk loading: we merge everything
        // once at the end instead of repeatedly on the way.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let result = self.rebuild_locked(&mut writer, docs);
        writer.set_merge_policy(Box::new(ArcPolicy(policy)));
        if result.is_err() {
            let _ = writer.rollback();
        }
        self.reader.reload().map_err(SearchError::Read)?;
        result.map(|()| self.reader.searcher().num_docs() as usize)
    }

    fn rebuild_locked(
        &self,
        writer: &mut IndexWriter<TantivyDocument>,
        docs: impl IntoIterator<Item = Document>,
    ) -> Result<(), SearchError> {
        writer.delete_all_documents().map_err(SearchError::Write)?;
        // Ids are unique here too: a later duplicate replaces an earlier one.
        // Settled before indexing: a delete and an add of one id in a batch
        // may land in different segments on the writer's threads.
        let mut latest: Vec<Document> = Vec::new();
        let mut at: std::collections::HashMap<String, usize> = Default::default();
        for d in docs {
            check(&d)?;
            match at.get(&d.id) {
                Some(&i) => latest[i] = d,
                None => {
                    at.insert(d.id.clone(), latest.len());
                    latest.push(d);
                }
            }
        }
        for d in &latest {
            writer
                .add_document(self.to_tantivy(d))
                .map_err(SearchError::Write)?;
        }
        writer.commit().map_err(SearchError::Write)?;
        let segments = self
            .index
            .searchable_segment_ids()
            .map_err(SearchError::Write)?;
        if segments.len() > 1 {
            // The new content is committed already; a failed merge only
            // leaves it in several segments, which search just as well,
            // a little slower.
            let _ = writer.merge(&segments).wait();
        }
        // Drop the files of the replaced segments now rather than at the
        // next commit.
        let _ = writer.garbage_collect_files().wait();
        Ok(())
    }

    /// Number of documents indexed.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether the index holds no document.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces the synonyms used by searches from now on. Synonyms expand
    /// queries, so the index needs no rebuild.
    pub fn set_synonyms(&self, synonyms: Synonyms) {
        *self.synonyms.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(synonyms);
    }

    /// The synonyms in force.
    pub fn synonyms(&self) -> Arc<Synonyms> {
        self.synonyms
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Runs a query (see the `query` module for how text matches).
    pub fn search(&self, q: &Query) -> Result<Results, SearchError> {
        check_query(q)?;
        let searcher = self.reader.searcher();
        let synonyms = self.synonyms();
        let plan = query::plan(&q.text, &synonyms, &searcher, &self.fields.text)
            .map_err(SearchError::Read)?;
        let mut results = Results::default();
        for field in &q.facets {
            results.facets.entry(field.clone()).or_default();
        }
        let filters = self.filters(q);
        match plan {
            Plan::Nothing => Ok(results),
            Plan::Browse => {
                let query: Box<dyn TQuery> = if filters.is_empty() {
                    Box::new(AllQuery)
                } else {
                    Box::new(BooleanQuery::intersection(filters))
                };
                let top = (q.limit > 0).then(|| {
                    TopDocs::with_limit(q.limit)
                        .and_offset(q.offset)
                        .order_by_string_fast_field("title_key", Order::Asc)
                });
                let (top, total, facets) =
                    self.collect(&searcher, query.as_ref(), top, &q.facets)?;
                results.total = total;
                results.hits =
                    self.hits(&searcher, top.into_iter().flatten().map(|(_, a)| (0.0, a)))?;
                merge_facets(&mut results, facets);
                Ok(results)
            }
            Plan::Match { all, some } => {
                let filtered = |text_query: Box<dyn TQuery>| -> Box<dyn TQuery> {
                    if filters.is_empty() {
                        return text_query;
                    }
                    // Filters restrict, they do not rank.
                    let mut clauses = vec![(Occur::Must, text_query)];
                    clauses.extend(filters.iter().map(|f| {
                        (
                            Occur::Must,
                            Box::new(ConstScoreQuery::new(f.box_clone(), 0.0)) as Box<dyn TQuery>,
                        )
                    }));
                    Box::new(BooleanQuery::new(clauses))
                };
                let top = || {
                    (q.limit > 0).then(|| {
                        TopDocs::with_limit(q.limit)
                            .and_offset(q.offset)
                            .order_by_score()
                    })
                };
                let (mut found, mut total, mut facets) =
                    self.collect(&searcher, filtered(all).as_ref(), top(), &q.facets)?;
                if let (0, Some(some)) = (total, some) {
                    (found, total, facets) =
                        self.collect(&searcher, filtered(some).as_ref(), top(), &q.facets)?;
                    results.partial = total > 0;
                }
                results.total = total;
                results.hits = self.hits(&searcher, found.into_iter().flatten())?;
                merge_facets(&mut results, facets);
                Ok(results)
            }
        }
    }

    /// One pass over the matching documents: the page, the count, and the
    /// facet counts if any were asked for (they cost a look-up per match).
    #[allow(clippy::type_complexity)]
    fn collect<C>(
        &self,
        searcher: &Searcher,
        query: &dyn TQuery,
        top: Option<C>,
        facet_fields: &[String],
    ) -> Result<
        (
            Option<C::Fruit>,
            usize,
            Option<(Vec<String>, facets::Counts)>,
        ),
        SearchError,
    >
    where
        C: tantivy::collector::Collector,
    {
        let mut distinct: Vec<String> = Vec::with_capacity(facet_fields.len());
        for field in facet_fields {
            if !distinct.contains(field) {
                distinct.push(field.clone());
            }
        }
        let facets = (!distinct.is_empty()).then(|| FacetCounter::new(distinct.clone()));
        let (top, total, counts) = searcher
            .search(query, &(top, Count, facets))
            .map_err(SearchError::Read)?;
        let counts = counts.map(|n| (distinct, n));
        Ok((top, total, counts))
    }

    fn hits(
        &self,
        searcher: &Searcher,
        top: impl Iterator<Item = (f32, DocAddress)>,
    ) -> Result<Vec<Hit>, SearchError> {
        let f = &self.fields;
        top.map(|(score, address)| {
            let doc: TantivyDocument = searcher.doc(address).map_err(SearchError::Read)?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            Ok(Hit {
                id: text(f.id),
                kind: text(f.kind),
                title: text(f.text.title),
                score,
            })
        })
        .collect()
    }

    /// The kind and facet filters, each a query every hit must match.
    fn filters(&self, q: &Query) -> Vec<Box<dyn TQuery>> {
        let mut out: Vec<Box<dyn TQuery>> = Vec::new();
        if let Some(kind) = &q.kind {
            out.push(Box::new(TermQuery::new(
                Term::from_field_text(self.fields.kind, kind),
                IndexRecordOption::Basic,
            )));
        }
        let mut by_field: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (field, value) in &q.filters {
            by_field.entry(field).or_default().push(value);
        }
        for (field, values) in by_field {
            let mut any: Vec<Box<dyn TQuery>> = values
                .into_iter()
                .map(|v| {
                    let facet = Facet::from_path([field, v]);
                    Box::new(TermQuery::new(
                        Term::from_facet(self.fields.facet, &facet),
                        IndexRecordOption::Basic,
                    )) as Box<dyn TQuery>
                })
                .collect();
            out.push(if any.len() == 1 {
                any.pop().expect("one value")
            } else {
                Box::new(BooleanQuery::union(any))
            });
        }
        out
    }

    fn to_tantivy(&self, d: &Document) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::new();
        doc.add_text(f.id, &d.id);
        doc.add_text(f.kind, &d.kind);
        doc.add_text(f.text.title, &d.title);
        doc.add_text(f.text.title_key, analysis::key(&d.title));
        doc.add_text(f.text.grams, &d.title);
        for k in &d.keywords {
            doc.add_text(f.text.keywords, k);
            doc.add_text(f.text.grams, k);
        }
        doc.add_text(f.text.body, &d.body);
        for (field, value) in &d.facets {
            doc.add_facet(f.facet, Facet::from_path([field, value]));
        }
        doc
    }

    /// The writer, recovered if a panic poisoned its mutex: uncommitted
    /// operations of the panicked call are rolled back, so the committed
    /// index is all that remains.
    fn lock_writer(&self) -> MutexGuard<'_, IndexWriter<TantivyDocument>> {
        match self.writer.lock() {
            Ok(guard) => guard,
            Err(poisoned) => {
                let mut guard = poisoned.into_inner();
                let _ = guard.rollback();
                self.writer.clear_poison();
                guard
            }
        }
    }

    /// Runs `ops` and commits, or rolls back on error; then reloads the
    /// reader so the change is visible when this returns.
    fn write(
        &self,
        ops: impl FnOnce(&mut IndexWriter<TantivyDocument>) -> tantivy::Result<()>,
    ) -> Result<(), SearchError> {
        let mut writer = self.lock_writer();
        if let Err(e) = ops(&mut writer).and_then(|()| writer.commit().map(|_| ())) {
            let _ = writer.rollback();
            return Err(SearchError::Write(e));
        }
        self.reader.reload().map_err(SearchError::Read)
    }
}

/// The merge policy taken from the writer, put back after a rebuild (the
/// writer hands it out as an `Arc` but takes a `Box`).
#[derive(Debug)]
struct ArcPolicy(Arc<dyn tantivy::indexer::MergePolicy>);

impl tantivy::indexer::MergePolicy for ArcPolicy {
    fn compute_merge_candidates(
        &self,
        segments: &[tantivy::index::SegmentMeta],
    ) -> Vec<tantivy::indexer::MergeCandidate> {
        self.0.compute_merge_candidates(segments)
    }
}

/// Puts facet counts into `results`, most frequent value first.
fn merge_facets(results: &mut Results, facets: Option<(Vec<String>, facets::Counts)>) {
    let Some((fields, counts)) = facets else {
        return;
    };
    for (field, values) in fields.into_iter().zip(counts) {
        let mut values: Vec<(String, u64)> = values.into_iter().collect();
        values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        results.facets.insert(field, values);
    }
}

fn invalid(d: &Document, reason: impl Into<String>) -> SearchError {
    SearchError::InvalidDocument {
        id: d.id.clone(),
        reason: reason.into(),
    }
}

/// Facet names and values become path steps of a tantivy facet, where the
/// NUL character is the separator.
fn valid_step(s: &str) -> bool {
    !s.is_empty() && !s.contains('\0')
}

fn check(d: &Document) -> Result<(), SearchError> {
    if d.id.is_empty() || d.id.len() > MAX_ID_BYTES {
        return Err(invalid(
            d,
            format!("the id must have 1 to {MAX_ID_BYTES} bytes"),
        ));
    }
    if d.kind.is_empty() {
        return Err(invalid(d, "the kind is empty"));
    }
    for (field, value) in &d.facets {
        if !valid_step(field) || !valid_step(value) {
            return Err(invalid(
                d,
                format!("facet ({field:?}, {value:?}) has an empty or NUL-containing part"),
            ));
        }
    }
    Ok(())
}

fn check_query(q: &Query) -> Result<(), SearchError> {
    if q.limit > MAX_LIMIT {
        return Err(SearchError::InvalidQuery(format!(
            "limit {} is above {MAX_LIMIT}",
            q.limit
        )));
    }
    if q.offset.saturating_add(q.limit) > MAX_WINDOW {
        return Err(SearchError::InvalidQuery(format!(
            "offset + limit is above {MAX_WINDOW}"
        )));
    }
    for field in &q.facets {
        if !valid_step(field) {
            return Err(SearchError::InvalidQuery(format!("facet field {field:?}")));
        }
    }
    for (field, value) in &q.filters {
        if !valid_step(field) || !valid_step(value) {
            return Err(SearchError::InvalidQuery(format!(
                "filter ({field:?}, {value:?})"
            )));
        }
    }
    Ok(())
}
