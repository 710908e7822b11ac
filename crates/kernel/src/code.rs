//! Validated codes used across modules. Constructed only through `parse`, so a
//! value of these types is always well formed.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("administrative division code must be 6, 9 or 12 digits")]
    Division,
    #[error(
        "department code must be a division code, a dash and 2-16 uppercase letters or digits"
    )]
    Department,
}

/// A GB/T 2260 county-level code (6 digits) or a statistical street/community
/// code (9 or 12 digits) that extends it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(String);

impl DivisionCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let ok = matches!(s.len(), 6 | 9 | 12) && s.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(DivisionCode(s.to_owned()))
        } else {
            Err(CodeError::Division)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A department's code: the division it serves, a dash, and a short uppercase
/// abbreviation, e.g. `110105-SCJGJ`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DepartmentCode(String);

impl DepartmentCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let (division, abbrev) = s.split_once('-').ok_or(CodeError::Department)?;
        let abbrev_ok = (2..=16).contains(&abbrev.len())
            && abbrev
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if DivisionCode::parse(division).is_ok() && abbrev_ok {
            Ok(DepartmentCode(s.to_owned()))
        } else {
            Err(CodeError::Department)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The division part of the code.
    pub fn division(&self) -> &str {
        self.0.split_once('-').map(|(d, _)| d).unwrap_or_default()
    }
}

macro_rules! string_newtype_impls {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = CodeError;
            fn try_from(s: String) -> Result<Self, CodeError> {
                <$t>::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(c: $t) -> String {
                c.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
string_newtype_impls!(DivisionCode);
string_newtype_impls!(DepartmentCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_codes() {
        assert!(DivisionCode::parse("110105").is_ok());
        assert!(DivisionCode::parse("110105001").is_ok());
        assert!(DivisionCode::parse("11010").is_err());
        assert!(DivisionCode::parse("11010a").is_err());
    }

    #[test]
    fn department_codes() {
        let c = DepartmentCode::parse("110105-SCJGJ").unwrap();
        assert_eq!(c.division(), "110105");
        assert!(DepartmentCode::parse("110105-scj").is_err());
        assert!(DepartmentCode::parse("110105SCJ").is_err());
        assert!(DepartmentCode::parse("1101-SCJ").is_err());
        assert!(DepartmentCode::parse("110105-S").is_err());
    }
}
