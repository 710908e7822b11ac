//! Whether two petitions are about the same matter: the same kind of
//! matter, and texts that share enough of their two-character pieces
//! (the Dice coefficient over character bigrams, which needs no word
//! segmentation and tolerates a petition retold in other words around the
//! same names and places). The threshold is data (`same_matter`).

use std::collections::HashSet;

/// The text's character pairs, punctuation and spaces left out.
fn bigrams(text: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// How alike two texts are, from 0 (nothing shared) to 1 (the same pairs).
pub fn likeness(a: &str, b: &str) -> f64 {
    let (a, b) = (bigrams(a), bigrams(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(&b).count();
    2.0 * shared as f64 / (a.len() + b.len()) as f64
}

/// How a petition is linked to an earlier one about the same matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// The same person again (重复信访).
    Repeat,
    /// Another person on the same matter (联名/集体反映).
    Joint,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Repeat => "repeat",
            LinkKind::Joint => "joint",
        }
    }

    pub fn parse(s: &str) -> Option<LinkKind> {
        [LinkKind::Repeat, LinkKind::Joint]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    pub fn word(self) -> &'static str {
        match self {
            LinkKind::Repeat => "重复信访",
            LinkKind::Joint => "同一事项（联名）",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matter_retold_is_alike_and_another_is_not() {
        let first = "朝阳区幸福小区3号楼地下室长期积水，物业不处理。请求排水并修复防水层。";
        let retold = "幸福小区3号楼地下室积水半年了，物业一直不处理，请求尽快排水修复防水层。";
        let other = "海淀区某小学门口早晚高峰交通拥堵，请求增设交通协管员。";
        assert!(
            likeness(first, retold) >= 0.5,
            "{}",
            likeness(first, retold)
        );
        assert!(likeness(first, other) < 0.2, "{}", likeness(first, other));
        assert_eq!(likeness(first, first), 1.0);
        assert_eq!(likeness("", first), 0.0);
    }
}
