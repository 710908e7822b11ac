//! The mailboxes as data (`data/mailbox/mailbox.toml`): who keeps the
//! mayor's mailbox, the kinds of letter, and how long a writer without an
//! account has to confirm their phone.

use serde::Deserialize;
use std::sync::OnceLock;

/// The shipped settings.
const SHIPPED: &str = include_str!("../../../data/mailbox/mailbox.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub version: u32,
    /// The department that keeps the mayor's mailbox.
    pub mayor_office: String,
    #[serde(rename = "category")]
    pub categories: Vec<CategoryEntry>,
    pub confirmation: Confirmation,
}

/// A kind of letter the writer picks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryEntry {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

/// How a writer without an account confirms the phone they gave.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    pub minutes: i64,
    pub attempts: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("the mailbox settings do not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("the mailbox settings name no kind of letter")]
    NoCategories,
    #[error("kind of letter '{0}' is named twice")]
    CategoryTwice(String),
    #[error("a confirmation needs at least a minute and one try")]
    Confirmation,
}

impl Settings {
    /// Reads and checks a settings file's text.
    pub fn parse(text: &str) -> Result<Settings, SettingsError> {
        let s: Settings = toml::from_str(text)?;
        if s.categories.is_empty() {
            return Err(SettingsError::NoCategories);
        }
        for (i, c) in s.categories.iter().enumerate() {
            if s.categories[..i].iter().any(|o| o.code == c.code) {
                return Err(SettingsError::CategoryTwice(c.code.clone()));
            }
        }
        if s.confirmation.minutes < 1 || s.confirmation.attempts < 1 {
            return Err(SettingsError::Confirmation);
        }
        Ok(s)
    }

    /// The shipped settings, checked once.
    pub fn shipped() -> &'static Settings {
        static SETTINGS: OnceLock<Settings> = OnceLock::new();
        SETTINGS.get_or_init(|| Settings::parse(SHIPPED).expect("the shipped mailbox settings"))
    }

    /// The kind of letter with `code`.
    pub fn category(&self, code: &str) -> Option<&CategoryEntry> {
        self.categories.iter().find(|c| c.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_check() {
        let s = Settings::shipped();
        assert_eq!(s.mayor_office, "110000-BGT");
        assert!(s.category("complaint").is_some());
    }

    #[test]
    fn a_kind_named_twice_is_refused() {
        let text = SHIPPED.replace("code = \"praise\"", "code = \"help\"");
        assert!(matches!(
            Settings::parse(&text),
            Err(SettingsError::CategoryTwice(c)) if c == "help"
        ));
    }
}
