//! UI strings in Chinese (default) and English, from `locales/*.toml`, which
//! are embedded in the binary. A test asserts both files hold the same keys.

use egov_kernel::Locale;
use std::collections::BTreeMap;
use std::sync::LazyLock;

type Catalogue = BTreeMap<String, String>;

fn parse(text: &str) -> Catalogue {
    // Nested tables flatten to dotted keys: [nav] home = ".." -> "nav.home".
    fn walk(prefix: &str, value: &toml::Value, out: &mut Catalogue) {
        match value {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            toml::Value::String(s) => {
                out.insert(prefix.to_owned(), s.clone());
            }
            other => panic!("locale key {prefix}: expected a string, got {other:?}"),
        }
    }
    let value: toml::Value = toml::from_str(text).expect("embedded locale file is valid TOML");
    let mut out = Catalogue::new();
    walk("", &value, &mut out);
    out
}

static ZH: LazyLock<Catalogue> = LazyLock::new(|| parse(include_str!("../locales/zh-CN.toml")));
static EN: LazyLock<Catalogue> = LazyLock::new(|| parse(include_str!("../locales/en.toml")));

fn catalogue(locale: Locale) -> &'static Catalogue {
    match locale {
        Locale::Zh => &ZH,
        Locale::En => &EN,
    }
}

/// The string for `key`; the key itself when missing, so a gap shows
/// instead of breaking the page.
pub fn translate(locale: Locale, key: &str) -> &'static str {
    match catalogue(locale).get(key) {
        Some(s) => s.as_str(),
        None => {
            tracing::warn!(key, locale = locale.tag(), "missing translation");
            catalogue(Locale::Zh)
                .get(key)
                .map(String::as_str)
                .unwrap_or("?")
        }
    }
}

/// The string for `key`, if the catalogue has one.
pub fn lookup(locale: Locale, key: &str) -> Option<&'static str> {
    catalogue(locale).get(key).map(String::as_str)
}

pub fn catalogue_keys(locale: Locale) -> Vec<&'static str> {
    catalogue(locale).keys().map(String::as_str).collect()
}
