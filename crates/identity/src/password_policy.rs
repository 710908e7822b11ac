//! Which passwords the platform accepts. The rules are data that an
//! administrator may edit: `data/identity/password-policy.toml` sets the
//! lengths and switches, `data/identity/common-passwords.txt` lists the
//! passwords refused outright. Both are compiled into the binary as the
//! [`PasswordPolicy::builtin`] policy.
//!
//! A check never echoes the password: a [`PasswordProblem`] names the rule
//! that failed and nothing else, so it is safe to log and to show.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use serde::Deserialize;

const BUILTIN_POLICY: &str = include_str!("../../../data/identity/password-policy.toml");
const BUILTIN_COMMON: &str = include_str!("../../../data/identity/common-passwords.txt");

/// A common password followed by digits or punctuation is only looked up
/// when what is left is at least this long, so "ab" + "123456" is not
/// refused as "ab".
const MIN_STRIPPED_LEN: usize = 6;
/// Personal identifiers are matched by runs of this many characters.
const PERSONAL_RUN: usize = 6;
/// Identifiers shorter than a run are matched whole, but only from this
/// length: a two-letter user name such as "li" would otherwise refuse every
/// password that happens to contain those letters.
const MIN_PERSONAL_LEN: usize = 4;
/// Upper bound on `max_length` in the policy file. Every accepted password
/// is hashed, so the maximum is also a guard against oversized input.
const MAX_LENGTH_LIMIT: usize = 4096;

/// Keyboard and alphabet runs; a password lying entirely inside one of them
/// is trivial.
const SEQUENCES: [&str; 5] = [
    "01234567890",
    "9876543210",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb",
];

/// Why a password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    /// Shorter than the minimum, which is given.
    #[error("The password must be at least {0} characters long.")]
    TooShort(usize),
    /// Longer than the maximum, which is given.
    #[error("The password must be at most {0} characters long.")]
    TooLong(usize),
    /// On the list of common passwords, possibly with digits or
    /// punctuation appended.
    #[error("This password is too common and easy to guess; please choose another.")]
    Common,
    /// Contains the user's own user name, phone number or ID number.
    #[error("The password must not contain your user name, phone number or ID number.")]
    Personal,
    /// One repeated character or a plain keyboard or alphabet sequence.
    #[error("The password must not be one repeated character or a simple sequence.")]
    Trivial,
}

impl PasswordProblem {
    /// The message shown to a user of the Chinese interface.
    pub fn message_zh(&self) -> String {
        match self {
            PasswordProblem::TooShort(min) => format!("密码长度至少为 {min} 个字符。"),
            PasswordProblem::TooLong(max) => format!("密码长度不能超过 {max} 个字符。"),
            PasswordProblem::Common => "该密码过于常见，容易被猜中，请另选一个。".to_owned(),
            PasswordProblem::Personal => {
                "密码不能包含您的用户名、手机号码或身份证号码。".to_owned()
            }
            PasswordProblem::Trivial => "密码不能是同一字符的重复或简单的连续序列。".to_owned(),
        }
    }

    /// The message shown to a user of the English interface.
    pub fn message_en(&self) -> String {
        self.to_string()
    }

    /// A stable machine-readable code for APIs and form field errors.
    pub fn code(&self) -> &'static str {
        match self {
            PasswordProblem::TooShort(_) => "too_short",
            PasswordProblem::TooLong(_) => "too_long",
            PasswordProblem::Common => "common",
            PasswordProblem::Personal => "personal",
            PasswordProblem::Trivial => "trivial",
        }
    }
}

/// The password rules in force.
pub struct PasswordPolicy {
    /// Version label from the policy file, for audit records.
    pub version: String,
    /// Minimum length in characters (not bytes).
    pub min_length: usize,
    /// Maximum length in characters (not bytes).
    pub max_length: usize,
    refuse_personal: bool,
    refuse_trivial: bool,
    /// Lower-cased common passwords.
    common: HashSet<String>,
}

/// The policy file as written by an administrator.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    version: String,
    min_length: usize,
    max_length: usize,
    refuse_personal: bool,
    refuse_trivial: bool,
}

static BUILTIN: LazyLock<PasswordPolicy> = LazyLock::new(|| {
    PasswordPolicy::from_files(BUILTIN_POLICY, BUILTIN_COMMON)
        .unwrap_or_else(|e| panic!("the password policy shipped in the binary is invalid: {e}"))
});

impl PasswordPolicy {
    /// The policy shipped in the binary, built from
    /// `data/identity/password-policy.toml` and
    /// `data/identity/common-passwords.txt`.
    pub fn builtin() -> &'static PasswordPolicy {
        &BUILTIN
    }

    /// Builds a policy from the text of a policy file and of a common
    /// password list (one password a line; blank lines and lines starting
    /// with `#` are skipped; entries are matched case-insensitively).
    pub fn from_files(policy_toml: &str, common_list: &str) -> Result<PasswordPolicy, String> {
        let file: PolicyFile =
            toml::from_str(policy_toml).map_err(|e| format!("password policy: {e}"))?;
        if file.version.trim().is_empty() {
            return Err("password policy: version must not be empty".to_owned());
        }
        if file.min_length == 0 {
            return Err("password policy: min_length must be at least 1".to_owned());
        }
        if file.min_length > file.max_length {
            return Err(format!(
                "password policy: min_length {} is greater than max_length {}",
                file.min_length, file.max_length
            ));
        }
        if file.max_length > MAX_LENGTH_LIMIT {
            return Err(format!(
                "password policy: max_length {} is above the limit of {MAX_LENGTH_LIMIT}",
                file.max_length
            ));
        }
        let common = common_list
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_lowercase)
            .collect();
        Ok(PasswordPolicy {
            version: file.version,
            min_length: file.min_length,
            max_length: file.max_length,
            refuse_personal: file.refuse_personal,
            refuse_trivial: file.refuse_trivial,
            common,
        })
    }

    /// Checks a candidate. `personal` holds the user's own identifiers (user
    /// name, phone, ID number) to refuse passwords that contain them
    /// (case-insensitive, any run of 6+ characters of an identifier, or the
    /// whole identifier if shorter).
    ///
    /// Rules are applied in the order length, trivial, common, personal; the
    /// first that fails is reported.
    pub fn check(&self, password: &str, personal: &[&str]) -> Result<(), PasswordProblem> {
        // Every char takes at least one byte: a cheap refusal of huge input
        // before anything walks it.
        if password.len() > self.max_length * 4 {
            return Err(PasswordProblem::TooLong(self.max_length));
        }
        let length = password.chars().count();
        if length > self.max_length {
            return Err(PasswordProblem::TooLong(self.max_length));
        }
        if length < self.min_length {
            return Err(PasswordProblem::TooShort(self.min_length));
        }
        let lower = password.to_lowercase();
        if self.refuse_trivial && is_trivial(&lower) {
            return Err(PasswordProblem::Trivial);
        }
        if self.is_common(&lower) {
            return Err(PasswordProblem::Common);
        }
        if self.refuse_personal && contains_personal(&lower, personal) {
            return Err(PasswordProblem::Personal);
        }
        Ok(())
    }

    /// `lower` is on the list, or is a listed password followed only by
    /// digits and punctuation ("password2024!", "qq123456789!").
    fn is_common(&self, lower: &str) -> bool {
        if self.common.contains(lower) {
            return true;
        }
        // Every way of splitting `lower` into a prefix and a suffix made only
        // of digits and punctuation; the prefix may itself end in digits, as
        // listed passwords often do.
        let mut prefix = lower;
        while let Some(last) = prefix.chars().next_back() {
            if !is_strippable(last) {
                break;
            }
            prefix = &prefix[..prefix.len() - last.len_utf8()];
            if prefix.chars().count() >= MIN_STRIPPED_LEN && self.common.contains(prefix) {
                return true;
            }
        }
        false
    }
}

impl fmt::Debug for PasswordPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordPolicy")
            .field("version", &self.version)
            .field("min_length", &self.min_length)
            .field("max_length", &self.max_length)
            .field("refuse_personal", &self.refuse_personal)
            .field("refuse_trivial", &self.refuse_trivial)
            .field("common", &self.common.len())
            .finish()
    }
}

/// Characters that may trail a common password without making it any
/// stronger: digits, punctuation (including full-width forms typed with a
/// Chinese input method) and spaces.
fn is_strippable(c: char) -> bool {
    c.is_ascii_punctuation()
        || c.is_numeric()
        || c.is_whitespace()
        || matches!(c,
            '\u{3000}'..='\u{303F}'   // CJK symbols and punctuation: 。、「」
            | '\u{FF01}'..='\u{FF0F}' // full-width ！＂＃＄％＆＇（）＊＋，－．／
            | '\u{FF1A}'..='\u{FF20}' // full-width ：；＜＝＞？＠
            | '\u{FF3B}'..='\u{FF40}' // full-width ［＼］＾＿｀
            | '\u{FF5B}'..='\u{FF65}' // full-width ｛｜｝～ and half-width 。「」、・
        )
}

/// One repeated character, or a run lying inside a keyboard or alphabet
/// sequence. `lower` is already lower-cased and not empty.
fn is_trivial(lower: &str) -> bool {
    let mut chars = lower.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return true;
    }
    SEQUENCES.iter().any(|seq| seq.contains(lower))
}

/// Lower-cased letters and digits only: "+86 138-0013-8000" and
/// "13800138000" compare equal, as do "Li.Wei" and "liwei".
fn fold(s: &str) -> Vec<char> {
    s.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Whether `lower` contains a run of [`PERSONAL_RUN`] characters of one of
/// the identifiers, or a whole identifier shorter than that. Both sides are
/// compared after [`fold`], so separators in either do not hide a match.
fn contains_personal(lower: &str, personal: &[&str]) -> bool {
    let password: String = fold(lower).into_iter().collect();
    personal.iter().any(|identifier| {
        let id = fold(identifier);
        if id.len() < MIN_PERSONAL_LEN {
            return false;
        }
        let run = id.len().min(PERSONAL_RUN);
        id.windows(run)
            .any(|w| password.contains(&w.iter().collect::<String>()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
version = "test"
min_length = 10
max_length = 128
refuse_personal = true
refuse_trivial = true
"#;

    const COMMON: &str =
        "# header\n# matched case-insensitively\npassword\nqq123456789\nwoaini1314\nabcde\n";

    fn policy() -> PasswordPolicy {
        PasswordPolicy::from_files(POLICY, COMMON).unwrap()
    }

    const ID: &str = "11010519491231002X";
    const PHONE: &str = "13800138000";

    #[test]
    fn good_passphrases_pass() {
        for p in [PasswordPolicy::builtin(), &policy()] {
            assert_eq!(p.check("绿水青山就是金山银山2026", &[]), Ok(()));
            assert_eq!(p.check("correct-horse-battery-staple", &[]), Ok(()));
            assert_eq!(
                p.check("correct-horse-battery-staple", &["zhangwei", PHONE, ID]),
                Ok(())
            );
        }
    }

    #[test]
    fn too_short_counts_characters_not_bytes() {
        let p = policy();
        assert_eq!(
            p.check("Tr0ub4d&r", &[]),
            Err(PasswordProblem::TooShort(10))
        );
        assert_eq!(p.check("", &[]), Err(PasswordProblem::TooShort(10)));
        // Nine Chinese characters are 27 bytes but still too short.
        assert_eq!(
            p.check("绿水青山就是金山银", &[]),
            Err(PasswordProblem::TooShort(10))
        );
        assert_eq!(p.check("绿水青山就是金山银山", &[]), Ok(()));
    }

    #[test]
    fn too_long_counts_characters_not_bytes() {
        let p = policy();
        let base = "绿水青山就是金山银山-correct-horse-";
        let long: String = base.chars().cycle().take(128).collect();
        assert_eq!(p.check(&long, &[]), Ok(()));
        let longer: String = base.chars().cycle().take(129).collect();
        assert_eq!(p.check(&longer, &[]), Err(PasswordProblem::TooLong(128)));
        let huge = "x".repeat(1 << 20);
        assert_eq!(p.check(&huge, &[]), Err(PasswordProblem::TooLong(128)));
    }

    #[test]
    fn common_passwords_are_refused_case_insensitively() {
        let p = policy();
        assert_eq!(p.check("woaini1314", &[]), Err(PasswordProblem::Common));
        assert_eq!(p.check("WoAiNi1314", &[]), Err(PasswordProblem::Common));
        assert_eq!(p.check("QQ123456789", &[]), Err(PasswordProblem::Common));
        let b = PasswordPolicy::builtin();
        assert_eq!(b.check("Password123", &[]), Err(PasswordProblem::Common));
        assert_eq!(b.check("WOAINI1314520", &[]), Err(PasswordProblem::Common));
        assert_eq!(b.check("Beijing2008", &[]), Err(PasswordProblem::Common));
    }

    #[test]
    fn common_password_with_trailing_digits_or_punctuation_is_refused() {
        let p = policy();
        assert_eq!(p.check("password2024!", &[]), Err(PasswordProblem::Common));
        assert_eq!(p.check("PASSWORD!!!!", &[]), Err(PasswordProblem::Common));
        assert_eq!(p.check("Password 2026", &[]), Err(PasswordProblem::Common));
        // Full-width punctuation typed with a Chinese input method.
        assert_eq!(
            p.check("password２０２６！", &[]),
            Err(PasswordProblem::Common)
        );
        // The listed password itself ends in digits.
        assert_eq!(p.check("qq1234567890!", &[]), Err(PasswordProblem::Common));
        assert_eq!(p.check("woaini1314520", &[]), Err(PasswordProblem::Common));
        // Only a suffix is stripped, not a prefix or something in between.
        assert_eq!(p.check("2024password!", &[]), Ok(()));
        assert_eq!(p.check("password-is-long", &[]), Ok(()));
        // A stripped remainder shorter than six characters is not looked up.
        assert_eq!(p.check("abcde12345", &[]), Ok(()));
        let b = PasswordPolicy::builtin();
        assert_eq!(b.check("Woaini@2026", &[]), Err(PasswordProblem::Common));
        assert_eq!(b.check("Zhongguo1949!", &[]), Err(PasswordProblem::Common));
    }

    #[test]
    fn trivial_passwords_are_refused() {
        let p = policy();
        for t in [
            "aaaaaaaaaa",
            "AAAAAAAAAAAA",
            "0000000000",
            "哈哈哈哈哈哈哈哈哈哈",
            "1234567890",
            "0123456789",
            "9876543210",
            "abcdefghij",
            "ABCDEFGHIJKLMNOP",
            "qwertyuiop",
            "QWERTYUIOPASDF",
            "asdfghjklzxc",
            "1qaz2wsx3edc",
        ] {
            assert_eq!(p.check(t, &[]), Err(PasswordProblem::Trivial), "{t}");
        }
        let off = PasswordPolicy::from_files(
            &POLICY.replace("refuse_trivial = true", "refuse_trivial = false"),
            COMMON,
        )
        .unwrap();
        assert_eq!(off.check("abcdefghij", &[]), Ok(()));
    }

    #[test]
    fn personal_data_is_refused() {
        let p = policy();
        // The birth date 19491231 from the resident ID number.
        assert_eq!(
            p.check("ab19491231xy", &[ID]),
            Err(PasswordProblem::Personal)
        );
        assert_eq!(p.check("ab19491231xy", &[]), Ok(()));
        // Any run of six: the last six characters of the ID, in upper case.
        assert_eq!(
            p.check("horse-231002X!", &["zhangwei", ID]),
            Err(PasswordProblem::Personal)
        );
        assert_eq!(
            p.check("my-13800138000", &[PHONE]),
            Err(PasswordProblem::Personal)
        );
        // Separators in the identifier or the password do not hide it.
        assert_eq!(
            p.check("phone138-0013-8000", &["+86 138 0013 8000"]),
            Err(PasswordProblem::Personal)
        );
        // User names, case-insensitively.
        assert_eq!(
            p.check("ZhangWei-horse-staple", &["zhangwei88"]),
            Err(PasswordProblem::Personal)
        );
        // A short identifier is matched whole ...
        assert_eq!(
            p.check("wang5-battery-staple", &["Wang5"]),
            Err(PasswordProblem::Personal)
        );
        assert_eq!(p.check("wang-battery-staple", &["Wang5"]), Ok(()));
        // ... but a very short one would refuse too much and is ignored.
        assert_eq!(p.check("reliable-horse-2026", &["li"]), Ok(()));
        assert_eq!(p.check("reliable-horse-2026", &[""]), Ok(()));
        let off = PasswordPolicy::from_files(
            &POLICY.replace("refuse_personal = true", "refuse_personal = false"),
            COMMON,
        )
        .unwrap();
        assert_eq!(off.check("ab19491231xy", &[ID]), Ok(()));
    }

    #[test]
    fn problems_have_codes_and_messages() {
        let all = [
            (PasswordProblem::TooShort(10), "too_short"),
            (PasswordProblem::TooLong(128), "too_long"),
            (PasswordProblem::Common, "common"),
            (PasswordProblem::Personal, "personal"),
            (PasswordProblem::Trivial, "trivial"),
        ];
        for (problem, code) in all {
            assert_eq!(problem.code(), code);
            assert!(!problem.message_zh().is_empty());
            assert_eq!(problem.message_en(), problem.to_string());
        }
        assert!(PasswordProblem::TooShort(10).message_zh().contains("10"));
        assert!(PasswordProblem::TooLong(128).message_en().contains("128"));
    }

    #[test]
    fn builtin_policy_loads() {
        let b = PasswordPolicy::builtin();
        assert_eq!(b.version, "2026-01");
        assert_eq!(b.min_length, 10);
        assert_eq!(b.max_length, 128);
        assert!(b.refuse_personal);
        assert!(b.refuse_trivial);
        assert!(b.common.len() > 300, "{} entries", b.common.len());
        // The header is not an entry, and every entry is usable as given.
        assert!(b.common.iter().all(|w| !w.starts_with('#')));
        assert!(b.common.iter().all(|w| w.chars().count() >= 6));
        assert!(b.common.iter().all(|w| *w == w.to_lowercase()));
        for w in [
            "123456",
            "password",
            "5201314",
            "woaini1314",
            "1qaz2wsx",
            "wodemima",
        ] {
            assert!(b.common.contains(w), "{w}");
        }
    }

    #[test]
    fn invalid_policy_files_are_rejected() {
        let bad = |toml: &str| PasswordPolicy::from_files(toml, COMMON).unwrap_err();
        bad("this is not toml");
        bad(&POLICY.replace("min_length = 10", "min_length = 0"));
        bad(&POLICY.replace("min_length = 10", "min_length = 200"));
        bad(&POLICY.replace("max_length = 128", "max_length = 100000"));
        bad(&POLICY.replace("version = \"test\"", "version = \" \""));
        bad(&POLICY.replace("refuse_trivial = true\n", ""));
        let unknown = bad(&format!("{POLICY}\nrefuse_everything = true\n"));
        assert!(unknown.contains("refuse_everything"), "{unknown}");
    }
}
