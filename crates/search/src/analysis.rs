//! Text analysis: normalisation, jieba segmentation and Han character grams.
//!
//! Two tokenizers are registered with tantivy. `egov_jieba` segments with
//! jieba in search mode, so a long word is indexed together with the
//! dictionary words inside it (中华人民共和国 → 中华, 华人, 人民, 共和,
//! 共和国, 中华人民共和国). `egov_grams` emits every Han character and every
//! pair of adjacent Han characters; it feeds a low-weight field that lets a
//! query word match inside a title or keyword even where jieba cut the
//! indexed text differently (which it does: segmentation depends on context).
//!
//! Queries do not go through tantivy's tokenizers: `query_words` cuts the
//! query with the same jieba instance and the same normalisation, but in
//! default mode, because a query word is the unit the query must match
//! (search mode would turn 营业执照 into three required words).

use std::sync::OnceLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Tokenizer name of the jieba fields (title, keywords, body).
pub(crate) const JIEBA: &str = "egov_jieba";
/// Tokenizer name of the Han character gram field.
pub(crate) const GRAMS: &str = "egov_grams";

/// The process's jieba instance: loading the dictionary takes a noticeable
/// fraction of a second and tens of megabytes, so every index shares one.
pub(crate) fn jieba() -> &'static Jieba {
    static JIEBA_INSTANCE: OnceLock<Jieba> = OnceLock::new();
    JIEBA_INSTANCE.get_or_init(Jieba::new)
}

/// Whether `c` is a Han ideograph (CJK unified ideographs, their extensions
/// and the compatibility block).
pub(crate) fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}'
        | '\u{30000}'..='\u{323AF}')
}

/// Appends `text` to `out` normalised: full-width ASCII (ＡＢＣ１２３, common in
/// Chinese documents) becomes half-width, the ideographic space a space, and
/// letters lower case, so 'ＩＣ卡', 'IC卡' and 'ic卡' index alike.
pub(crate) fn normalize_into(text: &str, out: &mut String) {
    out.reserve(text.len());
    for c in text.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if c.is_alphabetic() && !is_han(c) {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
}

/// The comparison key of a whole string: normalised, with everything but
/// letters and digits (punctuation, spaces) removed. Exact-title matching and
/// synonym look-up compare keys, so '个体工商户 登记' equals '个体工商户登记'.
pub(crate) fn key(text: &str) -> String {
    let mut normalized = String::new();
    normalize_into(text, &mut normalized);
    normalized.retain(char::is_alphanumeric);
    normalized
}

/// Whether a token is worth indexing: one with no letter or digit is
/// punctuation or white space.
fn is_word(token: &str) -> bool {
    token.chars().any(char::is_alphanumeric)
}

/// The words of a query, in order: normalised text cut by jieba in default
/// mode, punctuation and white space dropped. Public so that other crates
/// weighing words (the grid's dispatch classifier) cut text as the search
/// does, with the one dictionary the process loads.
pub fn query_words(text: &str) -> Vec<String> {
    let mut normalized = String::new();
    normalize_into(text, &mut normalized);
    jieba()
        .cut(&normalized, true)
        .into_iter()
        .filter(|t| is_word(t.word))
        .map(|t| t.word.to_owned())
        .collect()
}

/// The gram terms that must all be present for `word` to occur in a gram
/// field: its single character if it is one Han character, else its
/// adjacent pairs. `None` when the word is not all Han (grams cover Han
/// only; other words match whole).
pub(crate) fn word_grams(word: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = word.chars().collect();
    if chars.is_empty() || !chars.iter().all(|&c| is_han(c)) {
        return None;
    }
    if chars.len() == 1 {
        return Some(vec![word.to_owned()]);
    }
    let mut grams: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
    grams.sort_unstable();
    grams.dedup();
    Some(grams)
}

/// How alike two short texts are, 0 to 1: the Dice coefficient of their
/// adjacent character pairs (single characters for a one-character text),
/// compared by `key`. 营叶执照 and 营业执照 score 1/3: enough to offer one as
/// "did you mean" for the other.
pub fn similarity(a: &str, b: &str) -> f32 {
    let pairs = |s: &str| -> Vec<String> {
        let chars: Vec<char> = key(s).chars().collect();
        let mut v: Vec<String> = match chars.len() {
            0 => Vec::new(),
            1 => vec![chars[0].to_string()],
            _ => chars.windows(2).map(|w| w.iter().collect()).collect(),
        };
        v.sort_unstable();
        v.dedup();
        v
    };
    let (x, y) = (pairs(a), pairs(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let shared = x.iter().filter(|p| y.binary_search(p).is_ok()).count();
    2.0 * shared as f32 / (x.len() + y.len()) as f32
}

/// Shared state of both tokenizers: the normalised text and the tokens of
/// the last call, kept so their allocations are reused from one field value
/// to the next (tantivy clones a tokenizer per indexing thread).
#[derive(Clone, Default)]
struct Buffers {
    text: String,
    tokens: Vec<Token>,
}

/// Appends the token `text[from..to]` at the next position.
fn push(tokens: &mut Vec<Token>, text: &str, from: usize, to: usize) {
    let position = tokens.len();
    tokens.push(Token {
        offset_from: from,
        offset_to: to,
        position,
        text: text[from..to].to_owned(),
        position_length: 1,
    });
}

/// jieba in search mode over normalised text. Offsets refer to the
/// normalised text (used for nothing here: no highlighting).
#[derive(Clone, Default)]
pub(crate) struct JiebaTokenizer {
    buffers: Buffers,
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = VecTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream<'a> {
        let Buffers {
            text: normalized,
            tokens,
        } = &mut self.buffers;
        normalized.clear();
        tokens.clear();
        normalize_into(text, normalized);
        for w in jieba().cut_for_search(normalized, true) {
            if is_word(w.word) {
                push(tokens, normalized, w.byte_start, w.byte_end);
            }
        }
        VecTokenStream::new(tokens)
    }
}

/// Every Han character and every pair of adjacent Han characters.
#[derive(Clone, Default)]
pub(crate) struct GramTokenizer {
    buffers: Buffers,
}

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = VecTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream<'a> {
        let Buffers {
            text: normalized,
            tokens,
        } = &mut self.buffers;
        normalized.clear();
        tokens.clear();
        normalize_into(text, normalized);
        // Start of the previous character while inside a run of Han.
        let mut previous: Option<usize> = None;
        for (start, c) in normalized.char_indices() {
            if !is_han(c) {
                previous = None;
                continue;
            }
            let end = start + c.len_utf8();
            push(tokens, normalized, start, end);
            if let Some(p) = previous {
                push(tokens, normalized, p, end);
            }
            previous = Some(start);
        }
        VecTokenStream::new(tokens)
    }
}

/// A token stream over tokens computed in advance.
pub(crate) struct VecTokenStream<'a> {
    tokens: &'a mut [Token],
    /// Index of the current token plus one; 0 before the first advance.
    next: usize,
}

impl<'a> VecTokenStream<'a> {
    fn new(tokens: &'a mut [Token]) -> Self {
        VecTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for VecTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens<T: Tokenizer>(mut t: T, text: &str) -> Vec<String> {
        let mut stream = t.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn search_mode_yields_sub_words() {
        let t = tokens(JiebaTokenizer::default(), "中华人民共和国");
        for w in ["中华", "华人", "人民", "共和", "共和国", "中华人民共和国"] {
            assert!(t.iter().any(|x| x == w), "{w} missing from {t:?}");
        }
    }

    #[test]
    fn punctuation_and_space_dropped_ascii_lowered() {
        let t = tokens(JiebaTokenizer::default(), "办理 ＩＣ卡，Hello!  （补办）");
        assert!(
            t.iter().all(|x| x.chars().any(char::is_alphanumeric)),
            "{t:?}"
        );
        assert!(t.iter().any(|x| x == "hello"), "{t:?}");
        assert!(t.iter().any(|x| x.contains("ic")), "{t:?}");
        assert!(t.iter().any(|x| x == "补办"), "{t:?}");
    }

    #[test]
    fn grams_are_han_unigrams_and_bigrams() {
        let t = tokens(GramTokenizer::default(), "A营业执照·B");
        assert_eq!(t, ["营", "业", "营业", "执", "业执", "照", "执照"]);
    }

    #[test]
    fn keys_and_word_grams() {
        assert_eq!(key(" 个体工商户　登记！"), "个体工商户登记");
        assert_eq!(key("ＩＣ卡"), "ic卡");
        assert_eq!(word_grams("税"), Some(vec!["税".to_owned()]));
        assert_eq!(
            word_grams("营业执照"),
            Some(vec![
                "业执".to_owned(),
                "执照".to_owned(),
                "营业".to_owned()
            ])
        );
        assert_eq!(word_grams("ic卡"), None);
        assert_eq!(query_words("个体工商户，登记?").concat(), "个体工商户登记");
        assert_eq!(query_words("  ，。！"), Vec::<String>::new());
    }
}

#[cfg(test)]
mod similarity_tests {
    use super::similarity;

    #[test]
    fn similarity_counts_shared_character_pairs() {
        assert_eq!(similarity("营业执照", "营业执照"), 1.0);
        assert!((similarity("营叶执照", "营业执照") - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(similarity("护照", "结婚证"), 0.0);
        assert_eq!(similarity("", "护照"), 0.0);
        // Spacing and punctuation do not count.
        assert_eq!(similarity("营业 执照。", "营业执照"), 1.0);
    }
}
