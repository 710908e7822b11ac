//! National identifiers, validated at the boundary (REFERENCE section 1).
//!
//! - [`ResidentId`]: the 18-character resident identity number, GB 11643-1999
//!   (ISO 7064 MOD 11-2 check character, a real birth date).
//! - [`CreditCode`]: the unified social credit code, GB 32100-2015 (MOD 31).
//! - [`OrgCode`]: the organisation code, GB 11714 (MOD 11), still found on
//!   records from before 2015.
//! - [`MobileNumber`]: a mainland mobile number.
//!
//! Each type can only be built by `parse`, and each offers `masked()` for
//! display to viewers whose role does not need the full value.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("must be {0} characters")]
    Length(usize),
    #[error("contains a character that is not allowed")]
    Charset,
    #[error("the check character does not match")]
    Checksum,
    #[error("the birth date is not a real date")]
    BirthDate,
    #[error("the area code is not valid")]
    Area,
}

impl IdentifierError {
    /// A message for people, in Chinese.
    pub fn message_zh(self) -> &'static str {
        match self {
            IdentifierError::Length(_) => "位数不正确",
            IdentifierError::Charset => "含有不允许的字符",
            IdentifierError::Checksum => "校验位不正确",
            IdentifierError::BirthDate => "出生日期不是真实日期",
            IdentifierError::Area => "地址码不正确",
        }
    }
}

const RESIDENT_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RESIDENT_CHECK: &[u8; 11] = b"10X98765432";

/// The check character for the first 17 digits of a resident ID number.
pub fn resident_id_check(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(RESIDENT_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    RESIDENT_CHECK[(sum % 11) as usize]
}

/// A resident identity number (公民身份号码), GB 11643-1999.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResidentId(String);

impl ResidentId {
    pub fn parse(raw: &str) -> Result<Self, IdentifierError> {
        let s = raw.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18 {
            return Err(IdentifierError::Length(18));
        }
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(IdentifierError::Charset);
        }
        // Area codes start 1-8 (GB/T 2260 regions) and end in a county.
        if !(b'1'..=b'8').contains(&b[0]) || &s[2..6] == "0000" {
            return Err(IdentifierError::Area);
        }
        let birth = NaiveDate::parse_from_str(&s[6..14], "%Y%m%d")
            .map_err(|_| IdentifierError::BirthDate)?;
        if birth.year() < 1850 || birth > chrono::Utc::now().date_naive() {
            return Err(IdentifierError::BirthDate);
        }
        if resident_id_check(&b[..17]) != b[17] {
            return Err(IdentifierError::Checksum);
        }
        Ok(ResidentId(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("checked at parse")
    }

    /// Odd sequence numbers are men, even are women.
    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }

    /// `110105********002X`: area code and the last four kept.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

const CREDIT_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

fn credit_value(c: u8) -> Option<u32> {
    CREDIT_CHARSET
        .iter()
        .position(|&x| x == c)
        .map(|p| p as u32)
}

/// The check character for the first 17 characters of a credit code.
pub fn credit_code_check(first17: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    let mut weight = 1u32;
    for &c in first17 {
        sum += credit_value(c)? * weight;
        weight = weight * 3 % 31;
    }
    let check = (31 - sum % 31) % 31;
    Some(CREDIT_CHARSET[check as usize])
}

/// A unified social credit code (统一社会信用代码), GB 32100-2015.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

impl CreditCode {
    pub fn parse(raw: &str) -> Result<Self, IdentifierError> {
        let s = raw.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18 {
            return Err(IdentifierError::Length(18));
        }
        if !b.iter().all(|&c| credit_value(c).is_some()) {
            return Err(IdentifierError::Charset);
        }
        if !b[2..8].iter().all(u8::is_ascii_digit) {
            return Err(IdentifierError::Area);
        }
        if credit_code_check(&b[..17]) != Some(b[17]) {
            return Err(IdentifierError::Checksum);
        }
        Ok(CreditCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The registering authority: `9` market regulation, `5` civil affairs,
    /// `1` institutional establishment, `Y` other.
    pub fn authority(&self) -> char {
        self.0.as_bytes()[0] as char
    }

    /// The embedded organisation code (positions 9-17).
    pub fn org_code_part(&self) -> &str {
        &self.0[8..17]
    }
}

const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

fn org_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

/// The check character for an organisation code's first eight characters.
pub fn org_code_check(first8: &[u8]) -> Option<u8> {
    let mut sum = 0;
    for (&c, w) in first8.iter().zip(ORG_WEIGHTS) {
        sum += org_value(c)? * w;
    }
    Some(match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        n => b'0' + n as u8,
    })
}

/// An organisation code (组织机构代码), GB 11714: `XXXXXXXX-C` or `XXXXXXXXC`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgCode(String);

impl OrgCode {
    pub fn parse(raw: &str) -> Result<Self, IdentifierError> {
        let s: String = raw
            .trim()
            .to_ascii_uppercase()
            .chars()
            .filter(|&c| c != '-')
            .collect();
        let b = s.as_bytes();
        if b.len() != 9 {
            return Err(IdentifierError::Length(9));
        }
        if !b[..8].iter().all(|&c| org_value(c).is_some())
            || !(b[8].is_ascii_digit() || b[8] == b'X')
        {
            return Err(IdentifierError::Charset);
        }
        if org_code_check(&b[..8]) != Some(b[8]) {
            return Err(IdentifierError::Checksum);
        }
        Ok(OrgCode(s))
    }

    /// The canonical form, `XXXXXXXX-C`.
    pub fn formatted(&self) -> String {
        format!("{}-{}", &self.0[..8], &self.0[8..])
    }
}

/// A mainland China mobile number: 11 digits starting 13-19.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MobileNumber(String);

impl MobileNumber {
    pub fn parse(raw: &str) -> Result<Self, IdentifierError> {
        let s: String = raw
            .trim()
            .trim_start_matches("+86")
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let b = s.as_bytes();
        if b.len() != 11 {
            return Err(IdentifierError::Length(11));
        }
        if !b.iter().all(u8::is_ascii_digit) {
            return Err(IdentifierError::Charset);
        }
        if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(IdentifierError::Area);
        }
        Ok(MobileNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****1234`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

/// A phone number as shown to those who may not see it whole: a mobile
/// number as `138****1234`, any other (a landline a caller gave) with only
/// its last four characters, the rest starred.
pub fn mask_phone(s: &str) -> String {
    if let Ok(m) = MobileNumber::parse(s) {
        return m.masked();
    }
    let n = s.chars().count();
    let kept = if n > 4 { 4 } else { 0 };
    let tail: String = s.chars().skip(n - kept).collect();
    format!("{}{tail}", "*".repeat(n - kept))
}

/// An e-mail address as shown to those who may not see it whole: its
/// first character and its domain (`l***@example.com`).
pub fn mask_email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "*".repeat(s.chars().count()),
    }
}

/// A person's name as shown to those who may not see it whole: its first
/// character, the rest starred.
pub fn mask_person_name(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count())),
        None => String::new(),
    }
}

macro_rules! identifier_impls {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = IdentifierError;
            fn try_from(s: String) -> Result<Self, IdentifierError> {
                <$t>::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        // Debug never prints the whole value: logs are not a place for it.
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({}…)", stringify!($t), &self.0[..3])
            }
        }
    };
}
identifier_impls!(ResidentId);
identifier_impls!(CreditCode);
identifier_impls!(OrgCode);
identifier_impls!(MobileNumber);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn contacts_are_masked_leaving_a_little_to_recognise() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("010-65127890"), "********7890");
        assert_eq!(mask_phone("110"), "***");
        assert_eq!(mask_email("li.min@example.com"), "l***@example.com");
        assert_eq!(mask_email("no-at-sign"), "**********");
        assert_eq!(mask_person_name("王小明"), "王**");
        assert_eq!(mask_person_name(""), "");
    }

    #[test]
    fn known_resident_ids() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert!(!id.is_male());
        assert!(ResidentId::parse("440524188001010014").unwrap().is_male());
        assert!(
            ResidentId::parse("11010519491231002x").is_ok(),
            "lower-case x"
        );
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(IdentifierError::Checksum)
        );
        assert_eq!(
            ResidentId::parse("110105194902300026"),
            Err(IdentifierError::BirthDate),
            "30 February"
        );
        assert_eq!(
            ResidentId::parse("1101051949"),
            Err(IdentifierError::Length(18))
        );
        assert_eq!(
            ResidentId::parse("11010519491231002Y"),
            Err(IdentifierError::Charset)
        );
    }

    #[test]
    fn known_credit_and_org_codes() {
        let c = CreditCode::parse("91350100M000100Y43").unwrap();
        assert_eq!(c.authority(), '9');
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(IdentifierError::Checksum)
        );
        assert_eq!(
            CreditCode::parse("91350100M000100I43"),
            Err(IdentifierError::Charset),
            "I is not in the charset"
        );
        // D=13: 13*3+2*7+1*9+4*10+3*5+5*8+6*4+9*2 = 199; 11 - 199 % 11 = 10 -> X.
        let o = OrgCode::parse("d2143569x").unwrap();
        assert_eq!(o.formatted(), "D2143569-X");
        assert_eq!(OrgCode::parse("D2143569-2"), Err(IdentifierError::Checksum));
    }

    #[test]
    fn mobile_numbers() {
        let m = MobileNumber::parse("+86 138-0013-8000").unwrap();
        assert_eq!(m.as_str(), "13800138000");
        assert_eq!(m.masked(), "138****8000");
        assert!(MobileNumber::parse("12800138000").is_err());
        assert!(MobileNumber::parse("1380013800").is_err());
    }

    fn valid_resident_id() -> impl Strategy<Value = String> {
        (
            1u32..=8,
            0u32..100,
            1u32..100,
            1900i32..2020,
            1u32..=12,
            1u32..=28,
            0u32..1000,
        )
            .prop_map(|(p, city, county, y, m, d, seq)| {
                let first17 = format!("{p}1{city:02}{county:02}{y:04}{m:02}{d:02}{seq:03}");
                let check = resident_id_check(first17.as_bytes()) as char;
                format!("{first17}{check}")
            })
    }

    fn valid_credit_code() -> impl Strategy<Value = String> {
        (
            proptest::sample::select(b"159Y".to_vec()),
            proptest::sample::select(b"123".to_vec()),
            100000u32..999999,
            proptest::collection::vec(proptest::sample::select(CREDIT_CHARSET.to_vec()), 9),
        )
            .prop_map(|(a, k, area, body)| {
                let mut s = vec![a, k];
                s.extend(area.to_string().bytes());
                s.extend(body);
                let check = credit_code_check(&s).unwrap();
                s.push(check);
                String::from_utf8(s).unwrap()
            })
    }

    proptest! {
        #[test]
        fn generated_resident_ids_parse(id in valid_resident_id()) {
            prop_assert!(ResidentId::parse(&id).is_ok(), "{}", id);
        }

        #[test]
        fn any_single_substitution_in_a_resident_id_is_caught(
            id in valid_resident_id(), pos in 0usize..18, digit in 0u8..10
        ) {
            let mut b = id.into_bytes();
            let replacement = if pos == 17 && digit == 0 { b'X' } else { b'0' + digit };
            prop_assume!(b[pos] != replacement);
            b[pos] = replacement;
            let changed = String::from_utf8(b).unwrap();
            prop_assert!(ResidentId::parse(&changed).is_err(), "{}", changed);
        }

        #[test]
        fn generated_credit_codes_parse(code in valid_credit_code()) {
            prop_assert!(CreditCode::parse(&code).is_ok(), "{}", code);
        }

        #[test]
        fn any_single_substitution_in_a_credit_code_is_caught(
            code in valid_credit_code(), pos in 0usize..18, idx in 0usize..31
        ) {
            let mut b = code.into_bytes();
            prop_assume!(b[pos] != CREDIT_CHARSET[idx]);
            b[pos] = CREDIT_CHARSET[idx];
            let changed = String::from_utf8(b).unwrap();
            prop_assert!(CreditCode::parse(&changed).is_err(), "{}", changed);
        }

        #[test]
        fn org_codes_round_trip(body in proptest::collection::vec(
            proptest::sample::select(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".to_vec()), 8)) {
            let check = org_code_check(&body).unwrap();
            let mut s = body.clone();
            s.push(check);
            let code = String::from_utf8(s).unwrap();
            prop_assert!(OrgCode::parse(&code).is_ok(), "{}", code);
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,24}") {
            let _ = ResidentId::parse(&s);
            let _ = CreditCode::parse(&s);
            let _ = OrgCode::parse(&s);
            let _ = MobileNumber::parse(&s);
        }
    }
}
