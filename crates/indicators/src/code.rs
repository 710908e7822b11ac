//! The codes elements, indicators and rules go by: what formulas name
//! them with and DHIS2 exchanges them as.

/// 1 to 50 ASCII letters, digits, `_`, `-` or `.`.
pub fn valid_code(code: &str) -> bool {
    (1..=50).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}
