//! Queries as callers write them, results as they get them, and the planner
//! that turns query text into a tantivy query.
//!
//! Matching: the query is cut into words (`analysis::query_words`); runs of
//! words that spell a synonym term are taken together as one unit. Every
//! unit must match (AND), and a unit matches a document through any of:
//!
//! * its words as whole terms in title, keywords or body (BM25, weighted
//!   title 3 : keywords 2 : body 1);
//! * for an all-Han word, all of its character pairs (or its character) in
//!   the gram field of title and keywords, at a low weight: the partial-word
//!   path, so 营业 finds 营业执照 however jieba cut the title;
//! * the other terms of its synonym groups, at 0.8 of the weight; a
//!   synonym of several words (企业设立登记) must appear in a title or in
//!   keywords.
//!
//! A word that is in the bodies of very many documents (more than a tenth,
//! and more than 1000) and also in some title or keywords is matched in
//! titles and keywords only: in service guides such words (申请, 材料,
//! 咨询) are boilerplate, and matching them everywhere would return,
//! count and facet most of the index.
//!
//! A document whose whole title equals the query (compared by `key`, so
//! spacing and punctuation do not count) gets a constant bonus that puts it
//! first. Units that match nothing anywhere in the index are left out, so
//! a stray word (a typo, 如何) does not empty the result; if no unit
//! matches anything the result is empty. Question words (如何, 怎么, 哪些,
//! …) are dropped unless nothing else is left.

use std::collections::BTreeMap;

use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query as TQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use crate::analysis::{key, query_words, word_grams};
use crate::synonyms::{self, Synonyms};

/// Field weights: a title match counts more than a keyword match, a keyword
/// match more than one in the body.
const TITLE_BOOST: f32 = 3.0;
const KEYWORDS_BOOST: f32 = 2.0;
const BODY_BOOST: f32 = 1.0;
/// The partial-word path: below any whole-word match in the title.
const GRAMS_BOOST: f32 = 0.5;
/// A match through a synonym counts a little less than the word typed.
const SYNONYM_WEIGHT: f32 = 0.8;
/// Added to an exact title match: far above any BM25 sum of a short query.
const EXACT_TITLE_BONUS: f32 = 1000.0;
/// In a partial result, per unit of the query a document matches: above any
/// BM25 sum of one unit, so matching more units ranks first.
const UNIT_MATCHED: f32 = 200.0;
/// A word is common in bodies (see `Planner::word_query`) when more than
/// 1/COMMON_BODY_FRACTION of the documents have it there, and more than
/// COMMON_BODY_MIN_DOCS: in a small index matching every body is cheap and
/// the body may be all there is to find.
const COMMON_BODY_FRACTION: u64 = 10;
const COMMON_BODY_MIN_DOCS: u64 = 1000;

/// Words of the query text beyond this many are ignored.
const MAX_QUERY_WORDS: usize = 32;

/// Query words that carry no meaning in a search box (question and
/// function words); dropped unless nothing else is left.
const QUERY_STOPWORDS: &[&str] = &[
    "如何",
    "怎么",
    "怎样",
    "怎么样",
    "怎么办",
    "哪里",
    "哪儿",
    "在哪",
    "在哪里",
    "什么",
    "吗",
    "呢",
    "吧",
    "啊",
    "的",
    "了",
    "和",
    "与",
    "及",
    "或",
    "我",
    "我要",
    "我想",
    "想",
    "要",
    "请问",
    "哪些",
    "需要",
    "可以",
    "能否",
    "是否",
    "多久",
];

/// A search request.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// What the user typed. Empty (or only punctuation) lists the documents
    /// matching `kind` and `filters`, ordered by title.
    pub text: String,
    /// Only documents of this kind (e.g. "service"), if set.
    pub kind: Option<String>,
    /// Facet values a document must have: AND across fields, OR within a
    /// field (`[("audience","个人"),("audience","法人")]` is 个人 or 法人).
    pub filters: Vec<(String, String)>,
    /// Facet fields whose value counts to return, over all matching documents.
    pub facets: Vec<String>,
    /// Page size; at most `MAX_LIMIT`. 0 returns only the total and facets.
    pub limit: usize,
    /// Hits to skip; `offset + limit` is at most `MAX_WINDOW`.
    pub offset: usize,
}

/// Largest page a query may ask for.
pub const MAX_LIMIT: usize = 1000;
/// Deepest a query may page (`offset + limit`): ranking keeps the top
/// `offset + limit` documents in memory, so unbounded paging is a way to
/// make the server allocate without limit.
pub const MAX_WINDOW: usize = 10_000;

impl Query {
    /// A query for `text`, first page of 20, no filters or facets.
    pub fn new(text: impl Into<String>) -> Self {
        Query {
            text: text.into(),
            kind: None,
            filters: Vec::new(),
            facets: Vec::new(),
            limit: 20,
            offset: 0,
        }
    }

    /// Restricts to documents of `kind`.
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = Some(kind.into());
        self
    }

    /// Adds a facet filter.
    pub fn filter(mut self, field: impl Into<String>, value: impl Into<String>) -> Self {
        self.filters.push((field.into(), value.into()));
        self
    }

    /// Asks for the value counts of a facet field.
    pub fn facet(mut self, field: impl Into<String>) -> Self {
        self.facets.push(field.into());
        self
    }

    /// Sets the page.
    pub fn page(mut self, offset: usize, limit: usize) -> Self {
        self.offset = offset;
        self.limit = limit;
        self
    }
}

impl Default for Query {
    /// Browse everything, first page of 20.
    fn default() -> Self {
        Query::new("")
    }
}

/// What a search found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    /// Number of matching documents (all of them, not just this page).
    pub total: usize,
    /// The requested page, best first (by title when browsing).
    pub hits: Vec<Hit>,
    /// For each requested facet field, its values among all matching
    /// documents with their counts, most frequent first (ties by value).
    /// A requested field with no values has an empty list.
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
    /// No document matched every word: these match some of them, those
    /// with the most first.
    pub partial: bool,
}

/// One matching document.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: String,
    pub kind: String,
    pub title: String,
    /// Relevance (higher is better); 0 when browsing. Comparable only
    /// within one result.
    pub score: f32,
}

/// The index fields the planner needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextFields {
    pub(crate) title: Field,
    pub(crate) keywords: Field,
    pub(crate) body: Field,
    pub(crate) grams: Field,
    pub(crate) title_key: Field,
}

/// What the text of a query asks for.
pub(crate) enum Plan {
    /// No words: list by title.
    Browse,
    /// Words, none found anywhere in the index.
    Nothing,
    /// Rank by `all` (every unit matches); when that finds nothing and the
    /// query has several units, by `some` (any unit matches, the documents
    /// matching most of them first).
    Match {
        all: Box<dyn TQuery>,
        some: Option<Box<dyn TQuery>>,
    },
}

/// A unit of the query: words that must match together, and the synonym
/// terms that may stand in for them.
struct Unit<'s> {
    words: Vec<String>,
    alternatives: Vec<&'s synonyms::Term>,
}

pub(crate) fn plan(
    text: &str,
    synonyms: &Synonyms,
    searcher: &Searcher,
    f: &TextFields,
) -> tantivy::Result<Plan> {
    let mut words = query_words(text);
    // A pasted paragraph is not a query; its first words are enough and
    // the query stays small.
    words.truncate(MAX_QUERY_WORDS);
    if words.is_empty() {
        return Ok(Plan::Browse);
    }
    let mut units = units(&words, synonyms);
    let is_stopword = |u: &Unit<'_>| {
        u.alternatives.is_empty()
            && u.words.len() == 1
            && QUERY_STOPWORDS.contains(&u.words[0].as_str())
    };
    if units.iter().any(|u| !is_stopword(u)) {
        units.retain(|u| !is_stopword(u));
    }
    let num_docs = searcher.num_docs();
    let planner = Planner {
        searcher,
        f,
        common_in_body: (num_docs / COMMON_BODY_FRACTION).max(COMMON_BODY_MIN_DOCS),
    };
    let mut found: Vec<Box<dyn TQuery>> = Vec::with_capacity(units.len());
    for unit in &units {
        // A unit found nowhere is left out (see the module documentation).
        if let Some(q) = planner.unit_query(unit)? {
            found.push(q);
        }
    }
    if found.is_empty() {
        return Ok(Plan::Nothing);
    }
    let title_key = key(text);
    let exact = (!title_key.is_empty()).then(|| {
        let exact = TermQuery::new(
            Term::from_field_text(f.title_key, &title_key),
            IndexRecordOption::Basic,
        );
        Box::new(ConstScoreQuery::new(Box::new(exact), EXACT_TITLE_BONUS)) as Box<dyn TQuery>
    });
    let with = |occur: Occur| {
        let mut clauses: Vec<(Occur, Box<dyn TQuery>)> =
            found.iter().map(|q| (occur, q.box_clone())).collect();
        clauses.extend(exact.as_ref().map(|e| (Occur::Should, e.box_clone())));
        Box::new(BooleanQuery::new(clauses)) as Box<dyn TQuery>
    };
    // A sentence typed as people speak (孩子上小学怎么报名) names more than
    // any one guide says; when nothing has every word, the guides with the
    // most of them are the best answer there is: each unit matched counts
    // a constant far above any BM25 sum, which then ranks within a count.
    let some = (found.len() > 1).then(|| {
        let clauses: Vec<(Occur, Box<dyn TQuery>)> = found
            .iter()
            .flat_map(|q| {
                [
                    (
                        Occur::Should,
                        Box::new(ConstScoreQuery::new(q.box_clone(), UNIT_MATCHED))
                            as Box<dyn TQuery>,
                    ),
                    (Occur::Should, q.box_clone()),
                ]
            })
            .collect();
        Box::new(BooleanQuery::new(clauses)) as Box<dyn TQuery>
    });
    Ok(Plan::Match {
        all: with(Occur::Must),
        some,
    })
}

/// Groups the query's words into units: at each word, the longest run of
/// words whose joined key is a synonym term becomes one unit (so a
/// multi-word term such as 个体工商户登记 is recognised); otherwise the word
/// alone.
fn units<'s>(words: &[String], synonyms: &'s Synonyms) -> Vec<Unit<'s>> {
    let mut units = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let mut best: Option<(usize, String)> = None;
        if !synonyms.is_empty() {
            let mut joined = String::new();
            for (j, word) in words.iter().enumerate().skip(i) {
                joined.push_str(&key(word));
                if joined.chars().count() > synonyms.max_key_chars() {
                    break;
                }
                if synonyms.contains(&joined) {
                    best = Some((j + 1, joined.clone()));
                }
            }
        }
        let (end, alternatives) = match best {
            Some((end, k)) => (end, synonyms.alternatives(&k)),
            None => (i + 1, Vec::new()),
        };
        units.push(Unit {
            words: words[i..end].to_vec(),
            alternatives,
        });
        i = end;
    }
    units
}

struct Planner<'a> {
    searcher: &'a Searcher,
    f: &'a TextFields,
    /// Body document frequency above which a word is boilerplate there.
    common_in_body: u64,
}

/// A boxed query, or `None` where it could match nothing in the index:
/// leaving such parts out keeps the query small and tells the planner
/// which units are unknown.
type Part = tantivy::Result<Option<Box<dyn TQuery>>>;

/// The union of `parts`; `None` if there are none.
fn any_of(mut parts: Vec<Box<dyn TQuery>>) -> Option<Box<dyn TQuery>> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Box::new(BooleanQuery::union(parts))),
    }
}

/// The intersection of `parts`; `None` if there are none.
fn all_of(mut parts: Vec<Box<dyn TQuery>>) -> Option<Box<dyn TQuery>> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Box::new(BooleanQuery::intersection(parts))),
    }
}

impl Planner<'_> {
    fn doc_freq(&self, field: Field, text: &str) -> tantivy::Result<u64> {
        self.searcher.doc_freq(&Term::from_field_text(field, text))
    }

    fn term(&self, field: Field, text: &str, boost: f32) -> Box<dyn TQuery> {
        let q = TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        );
        Box::new(BoostQuery::new(Box::new(q), boost))
    }

    /// `text`'s grams all present in the gram field (title and keywords),
    /// at `boost` shared among them. `None` if `text` is not all Han or a
    /// gram is absent.
    fn grams_query(&self, text: &str, boost: f32) -> Part {
        let Some(grams) = word_grams(text) else {
            return Ok(None);
        };
        let mut all = Vec::with_capacity(grams.len());
        for g in &grams {
            if self.doc_freq(self.f.grams, g)? == 0 {
                return Ok(None);
            }
            all.push(self.term(self.f.grams, g, boost / grams.len() as f32));
        }
        Ok(all_of(all))
    }

    /// One word, any of the ways it can match, scaled by `weight`.
    ///
    /// A word in the bodies of very many documents (申请, 材料, 咨询 in
    /// service guides) is boilerplate there: if it also occurs in titles or
    /// keywords it is matched only in those. This keeps a one-word query
    /// from matching (and counting, and faceting) most of the index, which
    /// is both noise and the slowest thing a query can do.
    fn word_query(&self, word: &str, weight: f32) -> Part {
        let mut any = Vec::with_capacity(4);
        for (field, boost) in [
            (self.f.title, TITLE_BOOST),
            (self.f.keywords, KEYWORDS_BOOST),
        ] {
            if self.doc_freq(field, word)? > 0 {
                any.push(self.term(field, word, boost * weight));
            }
        }
        if let Some(grams) = self.grams_query(word, GRAMS_BOOST * weight)? {
            any.push(grams);
        }
        let in_body = self.doc_freq(self.f.body, word)?;
        if in_body > 0 && (any.is_empty() || in_body <= self.common_in_body) {
            any.push(self.term(self.f.body, word, BODY_BOOST * weight));
        }
        Ok(any_of(any))
    }

    /// All of `words` (the user's), scaled by `weight`. Each word gets its
    /// share of the weight: an intersection adds its parts' scores, and a
    /// term should not outweigh another for being cut into more words.
    fn words_query(&self, words: &[String], weight: f32) -> Part {
        let share = weight / words.len().max(1) as f32;
        let mut all = Vec::with_capacity(words.len());
        for w in words {
            match self.word_query(w, share)? {
                Some(q) => all.push(q),
                None => return Ok(None),
            }
        }
        Ok(all_of(all))
    }

    /// A synonym term standing in for the user's words. A one-word term
    /// matches like a typed word. A longer one is a name (企业设立登记), and
    /// its words scattered over a body are weak evidence of it (and, being
    /// common words, costly to intersect): it must appear in the title or
    /// the keywords, all its words in the same field or all its character
    /// pairs in the gram field.
    fn alternative_query(&self, term: &synonyms::Term) -> Part {
        if term.words.len() == 1 {
            return self.word_query(&term.words[0], SYNONYM_WEIGHT);
        }
        let share = SYNONYM_WEIGHT / term.words.len().max(1) as f32;
        let mut any = Vec::with_capacity(3);
        'fields: for (field, boost) in [
            (self.f.title, TITLE_BOOST),
            (self.f.keywords, KEYWORDS_BOOST),
        ] {
            let mut all = Vec::with_capacity(term.words.len());
            for w in &term.words {
                if self.doc_freq(field, w)? == 0 {
                    continue 'fields;
                }
                all.push(self.term(field, w, boost * share));
            }
            any.extend(all_of(all));
        }
        if let Some(grams) = self.grams_query(&term.key, GRAMS_BOOST * SYNONYM_WEIGHT)? {
            any.push(grams);
        }
        Ok(any_of(any))
    }

    fn unit_query(&self, unit: &Unit<'_>) -> Part {
        let mut any = Vec::with_capacity(1 + unit.alternatives.len());
        any.extend(self.words_query(&unit.words, 1.0)?);
        for alt in &unit.alternatives {
            any.extend(self.alternative_query(alt)?);
        }
        Ok(any_of(any))
    }
}
