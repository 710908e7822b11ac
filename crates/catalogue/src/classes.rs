//! The catalogue's classes as data (`data/catalogue/classes.toml`): the
//! kinds of the 2017 cataloguing guide and the classes under them. A
//! resource names a class; the file is versioned so a city can publish its
//! own scheme.

use serde::Deserialize;
use std::sync::OnceLock;

/// The shipped scheme.
pub const SHIPPED: &str = include_str!("../../../data/catalogue/classes.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Class {
    pub code: String,
    #[serde(default)]
    pub parent: Option<String>,
    pub name: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Classes {
    pub version: String,
    #[serde(rename = "class")]
    pub classes: Vec<Class>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClassesError {
    #[error("classes file: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("class {0}: its parent {1} is not in the file")]
    Parent(String, String),
    #[error("class {0} appears twice")]
    Twice(String),
}

impl Classes {
    /// Parses and checks a classes file: codes unique, parents present.
    pub fn parse(text: &str) -> Result<Classes, ClassesError> {
        let classes: Classes = toml::from_str(text)?;
        let mut seen = std::collections::HashSet::new();
        for c in &classes.classes {
            if !seen.insert(c.code.as_str()) {
                return Err(ClassesError::Twice(c.code.clone()));
            }
        }
        for c in &classes.classes {
            if let Some(p) = &c.parent {
                if !seen.contains(p.as_str()) {
                    return Err(ClassesError::Parent(c.code.clone(), p.clone()));
                }
            }
        }
        Ok(classes)
    }

    /// The shipped scheme (checked by the tests, so parsing cannot fail).
    pub fn shipped() -> &'static Classes {
        static SCHEME: OnceLock<Classes> = OnceLock::new();
        SCHEME.get_or_init(|| Classes::parse(SHIPPED).expect("the shipped classes parse"))
    }

    /// A class a resource may name (one below a kind).
    pub fn class(&self, code: &str) -> Option<&Class> {
        self.classes
            .iter()
            .find(|c| c.code == code && c.parent.is_some())
    }

    /// The kind (类) a class belongs to.
    pub fn kind_of(&self, code: &str) -> Option<&Class> {
        let parent = self.class(code)?.parent.as_deref()?;
        self.classes.iter().find(|c| c.code == parent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_scheme_has_the_guides_base_categories() {
        let c = Classes::shipped();
        let names: Vec<&str> = c
            .classes
            .iter()
            .filter(|c| c.parent.as_deref() == Some("1"))
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "人口",
                "法人单位",
                "自然资源和空间地理",
                "社会信用",
                "电子证照"
            ]
        );
        assert_eq!(c.kind_of("203").unwrap().name, "主题信息资源");
        assert!(c.class("2").is_none(), "a kind is not a class");
    }

    #[test]
    fn a_class_under_a_missing_parent_is_refused() {
        let text = "version = \"x\"\n[[class]]\ncode = \"101\"\nparent = \"9\"\nname = \"a\"\nname_en = \"a\"\n";
        assert!(matches!(
            Classes::parse(text),
            Err(ClassesError::Parent(..))
        ));
    }
}
