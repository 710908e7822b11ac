//! Synonym groups, applied when a query is planned (query expansion), so
//! editing the list needs no re-indexing.
//!
//! Text format, one group per line:
//!
//! ```text
//! # comment to the end of the line
//! 营业执照, 个体工商户登记, 企业设立登记
//! 身份证 居民身份证          # commas (，、 too) or white space separate terms
//! ```

use std::collections::HashMap;
use std::fmt;

use crate::analysis;
use crate::SearchError;

/// Longest term accepted, in characters: a synonym is a word or short
/// phrase, and a longer "term" is most likely two terms missing a comma.
const MAX_TERM_CHARS: usize = 32;

/// One term of a group as the planner needs it.
#[derive(Debug, Clone)]
pub(crate) struct Term {
    /// As written in the list.
    pub(crate) text: String,
    /// Its comparison key (see `analysis::key`).
    pub(crate) key: String,
    /// Its words, as a query containing only this term would be cut.
    pub(crate) words: Vec<String>,
}

/// A parsed synonyms list: groups of interchangeable terms.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    groups: Vec<Vec<Term>>,
    /// Term key → the groups it belongs to (a term may be in several).
    by_key: HashMap<String, Vec<usize>>,
    /// Length in characters of the longest key, to bound the planner's
    /// search for multi-word terms in a query.
    max_key_chars: usize,
}

impl Synonyms {
    /// Parses the text format (see the module documentation). A line whose
    /// group has fewer than two distinct terms, or a term without a letter
    /// or digit, or one longer than 32 characters, is an error naming the
    /// line.
    pub fn parse(text: &str) -> Result<Self, SearchError> {
        let mut synonyms = Synonyms::default();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or_default();
            let error = |reason: String| SearchError::Synonyms {
                line: index + 1,
                text: raw.trim().to_owned(),
                reason,
            };
            let mut group: Vec<Term> = Vec::new();
            for text in line
                .split(|c: char| matches!(c, ',' | '，' | '、' | ';' | '；') || c.is_whitespace())
                .filter(|t| !t.is_empty())
            {
                let key = analysis::key(text);
                if key.is_empty() {
                    return Err(error(format!("term {text:?} has no letter or digit")));
                }
                if text.chars().count() > MAX_TERM_CHARS {
                    return Err(error(format!(
                        "term {text:?} is longer than {MAX_TERM_CHARS} characters (a missing comma?)"
                    )));
                }
                if group.iter().any(|t| t.key == key) {
                    continue;
                }
                let words = analysis::query_words(text);
                group.push(Term {
                    text: text.to_owned(),
                    key,
                    words,
                });
            }
            match group.len() {
                0 => continue,
                1 => return Err(error("a group needs at least two different terms".into())),
                _ => {}
            }
            let id = synonyms.groups.len();
            for term in &group {
                synonyms.max_key_chars = synonyms.max_key_chars.max(term.key.chars().count());
                synonyms
                    .by_key
                    .entry(term.key.clone())
                    .or_default()
                    .push(id);
            }
            synonyms.groups.push(group);
        }
        Ok(synonyms)
    }

    /// The groups, each term as written.
    pub fn groups(&self) -> impl Iterator<Item = Vec<&str>> + '_ {
        self.groups
            .iter()
            .map(|g| g.iter().map(|t| t.text.as_str()).collect())
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are no groups.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The terms that a query containing `key` also searches: those of every
    /// group holding `key`, except `key` itself. Empty when `key` is in no
    /// group.
    pub(crate) fn alternatives<'s>(&'s self, key: &str) -> Vec<&'s Term> {
        let mut out: Vec<&Term> = Vec::new();
        for &g in self.by_key.get(key).map(Vec::as_slice).unwrap_or_default() {
            for term in &self.groups[g] {
                if term.key != key && !out.iter().any(|t| t.key == term.key) {
                    out.push(term);
                }
            }
        }
        out
    }

    /// Whether `key` is a term of some group.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    pub(crate) fn max_key_chars(&self) -> usize {
        self.max_key_chars
    }
}

/// Writes the list back in the text format, one group per line, so an
/// editor can show what is in force.
impl fmt::Display for Synonyms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for group in self.groups() {
            writeln!(f, "{}", group.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_groups_comments_and_separators() {
        let s = Synonyms::parse(
            "# 同义词\n\n营业执照, 个体工商户登记, 企业设立登记\n身份证 居民身份证 # 注释\n户口，户籍、户口\n",
        )
        .unwrap();
        let groups: Vec<Vec<&str>> = s.groups().collect();
        assert_eq!(
            groups,
            vec![
                vec!["营业执照", "个体工商户登记", "企业设立登记"],
                vec!["身份证", "居民身份证"],
                vec!["户口", "户籍"],
            ]
        );
        let alts: Vec<&str> = s
            .alternatives("营业执照")
            .iter()
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(alts, ["个体工商户登记", "企业设立登记"]);
        assert!(s.alternatives("登记").is_empty());
        assert_eq!(Synonyms::parse(&s.to_string()).unwrap().len(), 3);
    }

    #[test]
    fn malformed_lines_name_the_line() {
        let err = Synonyms::parse("户口, 户籍\n营业执照\n").unwrap_err();
        assert!(
            matches!(err, SearchError::Synonyms { line: 2, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("line 2"), "{err}");

        let err = Synonyms::parse("a b\n\n户口, ！！\n").unwrap_err();
        assert!(
            matches!(err, SearchError::Synonyms { line: 3, .. }),
            "{err}"
        );

        let err = Synonyms::parse("户口 户口\n").unwrap_err();
        assert!(
            matches!(err, SearchError::Synonyms { line: 1, .. }),
            "{err}"
        );
    }
}
