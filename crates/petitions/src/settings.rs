//! Petitions as data (`data/petitions/petitions.toml`): the kinds of
//! matter, and how alike two petitions' texts must be to be one matter.

use serde::Deserialize;
use std::sync::OnceLock;

/// The shipped settings.
const SHIPPED: &str = include_str!("../../../data/petitions/petitions.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub version: u32,
    /// The share of character pairs two texts of one matter have in common.
    pub same_matter: f64,
    /// How many days back a joint petition is looked for.
    pub joint_window_days: i64,
    /// In whose name reviews (复查) and re-reviews (复核) are decided: the
    /// level above the agencies that answer petitions.
    pub review_authority: String,
    #[serde(rename = "category")]
    pub categories: Vec<CategoryEntry>,
}

/// A kind of matter (问题类别).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryEntry {
    pub name: String,
    pub name_en: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("the petition settings do not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("the petition settings name no kind of matter")]
    NoCategories,
    #[error("kind of matter '{0}' is named twice")]
    CategoryTwice(String),
    #[error("same_matter must be above 0 and at most 1, joint_window_days at least 1")]
    Thresholds,
}

impl Settings {
    /// Reads and checks a settings file's text.
    pub fn parse(text: &str) -> Result<Settings, SettingsError> {
        let s: Settings = toml::from_str(text)?;
        if s.categories.is_empty() {
            return Err(SettingsError::NoCategories);
        }
        for (i, c) in s.categories.iter().enumerate() {
            if s.categories[..i].iter().any(|o| o.name == c.name) {
                return Err(SettingsError::CategoryTwice(c.name.clone()));
            }
        }
        if !(s.same_matter > 0.0 && s.same_matter <= 1.0) || s.joint_window_days < 1 {
            return Err(SettingsError::Thresholds);
        }
        Ok(s)
    }

    /// The shipped settings, checked once.
    pub fn shipped() -> &'static Settings {
        static SETTINGS: OnceLock<Settings> = OnceLock::new();
        SETTINGS.get_or_init(|| Settings::parse(SHIPPED).expect("the shipped petition settings"))
    }

    /// The kind of matter named `name`.
    pub fn category(&self, name: &str) -> Option<&CategoryEntry> {
        self.categories.iter().find(|c| c.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_parse_and_bad_ones_do_not() {
        assert!(Settings::shipped().category("住房保障").is_some());
        let twice =
            "version = 1\nsame_matter = 0.5\njoint_window_days = 1\nreview_authority = \"x\"\n\
                     [[category]]\nname = \"a\"\nname_en = \"a\"\n\
                     [[category]]\nname = \"a\"\nname_en = \"b\"\n";
        assert!(matches!(
            Settings::parse(twice),
            Err(SettingsError::CategoryTwice(_))
        ));
        let loose =
            "version = 1\nsame_matter = 0\njoint_window_days = 1\nreview_authority = \"x\"\n\
                     [[category]]\nname = \"a\"\nname_en = \"a\"\n";
        assert!(matches!(
            Settings::parse(loose),
            Err(SettingsError::Thresholds)
        ));
    }
}
